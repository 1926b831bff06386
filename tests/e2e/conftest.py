"""Browser tests: the real ASGI app (HTTP + websockets) served by uvicorn in a thread on the test
database, driven by Debian's Chromium through Playwright."""

import os
import shutil
import socket
import threading
import time
from datetime import datetime
from datetime import time as clock_time

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
# The README's screenshots are written only when asked: `make screenshots` sets SCREENSHOTS_DIR to
# docs/screenshots. A plain test run leaves the checkout as it found it.
SCREENSHOTS = os.environ.get("SCREENSHOTS_DIR", "")



def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def local_noon():
    """Move the server's clock to 12:00 of today's local date, ticking on from there, so slots
    an hour or two either side of "now" stay on one local day whatever time the suite runs.

    time-machine moves the clock of the whole process (the test and uvicorn's thread alike) but
    not the monotonic clock that asyncio and Playwright time out by; the browser keeps the real
    time. Today's own noon, not a fixed date: the browser would drop cookies whose expiry the
    server computed from a date weeks in its past."""
    import time_machine
    from django.utils import timezone

    zone = timezone.get_current_timezone()
    noon = timezone.make_aware(datetime.combine(timezone.localdate(), clock_time(12)), zone)
    with time_machine.travel(noon, tick=True):
        yield noon


@pytest.fixture(scope="session")
def chromium_path():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    return CHROMIUM


@pytest.fixture
def live_server_url(transactional_db, settings):
    """Serve config.asgi on a free port for one test; yields its base URL."""
    import uvicorn

    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    from config.asgi import application

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser(chromium_path):
    # Module scope, not session: Playwright's sync API keeps an event loop running in the test
    # thread while it is open, which would break the async (websocket) tests that run later.
    from playwright.sync_api import sync_playwright

    # While the browser is open, Playwright's event loop runs in the test thread; the tests' own
    # ORM calls are still plain synchronous code. Only then, and only here, is that allowed.
    earlier = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        if earlier is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = earlier


@pytest.fixture
def page(browser):
    """A fresh page; the test fails if the browser refused anything under the Content-Security-Policy."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    refused = []
    context.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)
    page = context.new_page()
    yield page
    context.close()
    assert refused == [], f"blocked by the Content-Security-Policy: {refused}"


@pytest.fixture
def login(page, live_server_url, django_user_model):
    """login(user) logs the page in through the real login form."""

    def do_login(username, password):
        page.goto(f"{live_server_url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()

    return do_login


def screenshot(page, name: str) -> str | None:
    """Save a screenshot for the README to $SCREENSHOTS_DIR/<name>.png (when set)."""
    if not SCREENSHOTS:
        return None
    os.makedirs(SCREENSHOTS, exist_ok=True)
    path = os.path.abspath(os.path.join(SCREENSHOTS, f"{name}.png"))
    page.screenshot(path=path, full_page=False)
    return path

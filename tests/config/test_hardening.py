"""Browser-side hardening: a Content-Security-Policy with no inline script or style anywhere,
a Permissions-Policy, no caching of pages and API answers, sessions that end after idle time and
at browser close, and websockets only from the app's own origin (scheme, host and port)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from queues import allocation
from queues.models import Display
from tests.staff import PASSWORD, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    client.force_login(make_staff("boss", "Manager"))
    return client


@pytest.fixture
def pages(slot, patient, doctor):
    token = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN").token
    display = Display.objects.create(name="Hall")
    return [
        "/desk/", f"/desk/?patient={patient.pk}", f"/desk/?slot={slot.pk}", f"/doctor/{doctor.pk}/", "/reports/daily/",
        "/schedules/", f"/schedules/doctors/{doctor.pk}/", f"/schedules/day/?doctor={doctor.pk}", "/schedules/staff/",
        "/displays/", f"/displays/{display.pk}/", f"/board/{display.key}/", f"/tokens/{token.pk}/slip/",
        f"/desk/tokens/{token.pk}/cancel/", f"/desk/slots/{slot.pk}/delay/",
    ]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)


def test_every_page_sends_a_strict_policy_and_has_no_inline_script_or_style(manager, pages):
    for url in pages:
        response = manager.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
                          "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'"):
            assert directive in policy, (url, directive)
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html.replace('type="application/json"', 'src=""')), url
        assert not INLINE_HANDLER.search(html), url
        assert not STYLE_ATTRIBUTE.search(html), url
        assert "<style" not in html, url


def test_the_login_page_has_the_policy_too(client):
    response = client.get("/accounts/login/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert not INLINE_SCRIPT.search(response.content.decode())


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(manager):
    html = manager.get("/desk/").content.decode()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false, "allowEval": false}\'>' in html


def test_swagger_ui_loads_its_script_from_a_file(manager):
    html = manager.get("/api/docs/").content.decode()
    assert not INLINE_SCRIPT.search(html)


def test_pages_and_api_answers_are_never_cached_but_static_files_are(manager, patient):
    assert "no-store" in manager.get("/desk/")["Cache-Control"]
    api = APIClient()
    api.force_authenticate(make_staff("desk", "Reception"))
    assert "no-store" in api.get(f"/api/v1/patients/{patient.pk}/")["Cache-Control"]
    assert "no-store" in api.get("/api/v1/patients/?phone=98")["Cache-Control"]
    assert "no-store" in manager.get("/accounts/login/")["Cache-Control"]


def test_a_permissions_policy_switches_off_what_the_app_never_uses(manager):
    policy = manager.get("/desk/")["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy


# --- sessions ---------------------------------------------------------------------------------


def log_in(client, username):
    assert client.post("/accounts/login/", {"username": username, "password": PASSWORD}).status_code == 302


def test_the_session_cookie_ends_with_the_browser(client):
    make_staff("desk", "Reception")
    log_in(client, "desk")
    cookie = client.cookies["sessionid"]
    assert not cookie["max-age"] and not cookie["expires"]


def test_a_session_ends_after_thirty_idle_minutes(client):
    make_staff("desk", "Reception")
    now = timezone.now()
    with time_machine.travel(now, tick=False) as clock:
        log_in(client, "desk")
        clock.move_to(now + timedelta(minutes=20))
        assert client.get("/desk/").status_code == 200  # activity: the half hour starts again
        clock.move_to(now + timedelta(minutes=49))
        assert client.get("/desk/").status_code == 200
        clock.move_to(now + timedelta(minutes=80))
        response = client.get("/desk/")
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_live_refreshes_do_not_keep_an_idle_session_alive(client):
    make_staff("desk", "Reception")
    now = timezone.now()
    with time_machine.travel(now, tick=False) as clock:
        log_in(client, "desk")
        for minute in range(5, 35, 5):
            clock.move_to(now + timedelta(minutes=minute))
            client.get("/desk/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="slot-board", HTTP_X_LIVE_REFRESH="1")
        response = client.get("/desk/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="slot-board", HTTP_X_LIVE_REFRESH="1",
                              HTTP_HX_CURRENT_URL="http://testserver/desk/?slot=1")
        # An htmx request after the session ended sends the whole page to the login form.
        assert response.status_code == 200 and response["HX-Redirect"].startswith("/accounts/login/?next=/desk/")


def test_the_idle_time_is_configurable(settings):
    from config.settings import SESSION_COOKIE_AGE, SESSION_EXPIRE_AT_BROWSER_CLOSE

    assert SESSION_COOKIE_AGE == 30 * 60 and SESSION_EXPIRE_AT_BROWSER_CLOSE


# --- websocket origins ---------------------------------------------------------------------------


@pytest.mark.parametrize("scheme, host, origin, allowed", [
    ("wss", "opd.example.org", "https://opd.example.org", True),
    ("wss", "opd.example.org:8443", "https://opd.example.org:8443", True),
    ("ws", "opd.example.org", "http://opd.example.org", True),
    ("wss", "opd.example.org", "http://opd.example.org", False),  # scheme differs
    ("wss", "opd.example.org:8443", "https://opd.example.org", False),  # port differs
    ("wss", "opd.example.org", "https://opd.example.org:8443", False),
    ("wss", "opd.example.org", "https://evil.example.org", False),
    ("wss", "opd.example.org", None, False),
    ("wss", "other.example.org", "https://other.example.org", False),  # host not allowed
    ("wss", "opd.example.org", "https://kiosk.example.org", True),  # CSRF_TRUSTED_ORIGINS
])
async def test_a_socket_is_accepted_only_from_the_apps_own_origin(settings, scheme, host, origin, allowed):
    from channels.testing import WebsocketCommunicator

    from config.origins import SameOriginValidator

    settings.ALLOWED_HOSTS = ["opd.example.org"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://kiosk.example.org"]

    async def accept(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})

    headers = [(b"host", host.encode())] + ([(b"origin", origin.encode())] if origin else [])
    socket = WebsocketCommunicator(SameOriginValidator(accept), "/ws/desk/", headers=headers)
    socket.scope["scheme"] = scheme
    connected, _ = await socket.connect()
    assert connected is allowed
    await socket.disconnect()

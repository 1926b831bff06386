"""Sentry: off unless SENTRY_DSN is set; its events never carry patient data."""

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from config.sentry import init_sentry, strip_patient_data

# Built, not written out: Sentry sends source lines around a frame, and these would be in them.
PHONE, NAME = "98765" + "43210", " ".join(["Sunita", "Devi"])


def register_then_fail(request):
    patient_name, patient_phone = request.POST["name"], request.POST["phone"]  # noqa: F841 (locals a report could send)
    raise RuntimeError(f"duplicate key value violates unique constraint: Key (phone)=({PHONE}) already exists.")


def fine(request):
    return HttpResponse("ok")


urlpatterns = [path("register/", register_then_fail), path("fine/", fine)]


class Captured:
    """A Sentry transport that keeps the events instead of sending them."""

    events: list = []

    def __init__(self, options=None):
        self.options = options

    def capture_envelope(self, envelope):
        Captured.events += [item.payload.json for item in envelope.items if item.headers.get("type") == "event"]

    def flush(self, timeout, callback=None):
        pass

    def kill(self):
        pass

    def record_lost_event(self, *args, **kwargs):
        pass


@pytest.fixture
def sentry_on():
    import sentry_sdk
    from sentry_sdk.transport import Transport

    transport = type("CapturedTransport", (Captured, Transport), {})
    Captured.events = []
    init_sentry(dsn="https://public@sentry.example.invalid/1", environment="test", release=None,
                traces_sample_rate=0, transport=transport)
    yield Captured.events
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)  # off again, as without SENTRY_DSN


def test_sentry_is_off_when_no_dsn_is_set():
    import sentry_sdk

    from config import settings as project_settings

    assert project_settings.SENTRY_DSN == ""
    assert not sentry_sdk.get_client().dsn


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_an_error_report_carries_no_patient_data(sentry_on):
    import sentry_sdk

    client = Client(raise_request_exception=False)
    response = client.post(f"/register/?q={PHONE}", {"name": NAME, "phone": PHONE}, HTTP_COOKIE="sessionid=abc")
    assert response.status_code == 500
    sentry_sdk.flush()
    (event,) = sentry_on
    assert event["exception"]["values"][0]["type"] == "RuntimeError"  # the error itself is reported
    text = repr(event)
    assert PHONE not in text and NAME not in text and "sessionid" not in text


def test_patient_fields_are_stripped_wherever_they_are():
    event = {
        "request": {"url": "https://opd.example.org/desk/?q=Sunita", "data": {"name": NAME}, "query_string": "q=Sunita"},
        "extra": {"patient": {"name": NAME, "phone": PHONE}, "slot_id": "42"},
        "breadcrumbs": {"values": [{"category": "query", "message": "SELECT ...", "data": {"params": [PHONE]}}]},
        "message": f"Booking for {PHONE} failed",
    }
    stripped = strip_patient_data(event)
    assert stripped["request"] == {"url": "https://opd.example.org/desk/"}
    assert stripped["extra"] == {"patient": "[Filtered]", "slot_id": "42"}
    assert "data" not in stripped["breadcrumbs"]["values"][0]
    assert stripped["message"] == "Booking for [Filtered] failed"
    assert strip_patient_data({"timestamp": "2026-12-03T06:30:00Z", "event_id": "0123456789abcdef"}) == {
        "timestamp": "2026-12-03T06:30:00Z", "event_id": "0123456789abcdef"}

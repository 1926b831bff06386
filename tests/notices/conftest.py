"""A local fake provider: a small HTTP server on a free port that records every request and
answers with the status codes a test lines up (200 with a message id once the line is empty)."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from notices.consent import record_consent


@dataclass
class Recorded:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def form(self) -> dict:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class FakeProvider:
    url: str
    requests: list = field(default_factory=list)
    statuses: list = field(default_factory=list)  # answered in order, then 200
    delay: float = 0.0
    counter: int = 0

    def answer(self, path: str):
        self.counter += 1
        status = self.statuses.pop(0) if self.statuses else 200
        if status != 200:
            return status, "text/plain", b"provider trouble"
        if "/messages" in path and "Messages.json" not in path:  # WhatsApp Cloud API
            return 200, "application/json", json.dumps({"messages": [{"id": f"wamid.{self.counter}"}]}).encode()
        if "Messages.json" in path:  # Twilio
            return 201, "application/json", json.dumps({"sid": f"SM{self.counter:032d}"}).encode()
        if path.startswith("/msg91"):
            return 200, "text/plain", f"3{self.counter:023d}".encode()
        return 200, "application/json", json.dumps({"id": f"msg-{self.counter}"}).encode()


@pytest.fixture
def fake_provider():
    provider = FakeProvider(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            provider.requests.append(Recorded(path=self.path, headers=dict(self.headers), body=body))
            if provider.delay:
                time.sleep(provider.delay)
            status, content_type, payload = provider.answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield provider
    server.shutdown()
    server.server_close()


@pytest.fixture
def sms_gateway(fake_provider, settings):
    """SMS through the generic HTTP gateway to the fake provider, with DLT ids for every kind."""
    settings.NOTICE_CHANNELS = ["sms"]
    settings.NOTICE_BACKENDS = {**settings.NOTICE_BACKENDS, "sms": "http"}
    settings.SMS_GATEWAY_URL = f"{fake_provider.url}/sms"
    settings.SMS_API_KEY = "test-key"
    settings.SMS_SENDER_ID = "CTYHSP"
    settings.SMS_DLT_ENTITY_ID = "1201159100000000001"
    settings.NOTICE_DLT_TEMPLATES = {kind: f"11071600000000{n:05d}" for n, kind in enumerate(
        ["BOOKED", "WAITLISTED", "NEAR", "CALLED", "DELAYED", "PROMOTED", "SLOT_CANCELLED", "REMINDER", "NO_SHOW"])}
    settings.PUBLIC_BASE_URL = "https://opd.example-hospital.in"
    return fake_provider


@pytest.fixture
def consented(make_patient):
    """make(name=..., channels=("sms",), language="en"): a patient who agreed to be messaged."""

    def make(name=None, channels=("sms",), language="en", **kwargs):
        patient = make_patient(name, **kwargs)
        for channel in channels:
            record_consent(patient_id=patient.pk, channel=channel, granted=True, how="desk", language=language)
        return patient

    return make

"""A local fake ABDM gateway: its own RSA signing key, a JWKS certs endpoint, sessions, and an
on-share endpoint that records what it is told (and can be made to fail)."""

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from abdm import gateway, gateway_auth
from abdm.models import RegistrationCounter

HIP_ID = "IN0000012345"


_KEYS = []


def _key(n=0):
    """RSA keys made once per test run (making one takes a while): 0 is the gateway's."""
    while len(_KEYS) <= n:
        _KEYS.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _KEYS[n]


class FakeGateway:
    def __init__(self):
        self.key, self.kid = _key(0), "fake-gateway-1"
        self.on_shares, self.sessions, self.failures_left, self.certs_fetches = [], 0, 0, 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def jwks(self):
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def sign(self, *, key=None, kid=None, expires_in=timedelta(minutes=5), **claims):
        now = datetime.now(UTC)
        body = {"iss": "https://fake-gateway", "sub": "gateway", "iat": now, "exp": now + expires_in, **claims}
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, body=None):
                data = json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                if self.path == "/certs":
                    fake.certs_fetches += 1
                    return self._answer(200, fake.jwks())
                return self._answer(404)

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.path == gateway.SESSIONS_PATH:
                    fake.sessions += 1
                    return self._answer(200, {"accessToken": "session-token", "expiresIn": 600})
                if self.path == gateway.ON_SHARE_PATH:
                    if fake.failures_left:
                        fake.failures_left -= 1
                        return self._answer(503, {"error": "gateway down"})
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    fake.on_shares.append({"body": body, "headers": headers, "at": time.monotonic()})
                    return self._answer(202)
                return self._answer(404)

        return Handler

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_gateway(settings):
    fake = FakeGateway()
    settings.ABDM_CLIENT_ID, settings.ABDM_CLIENT_SECRET, settings.ABDM_HIP_ID = "SBX_TEST", "secret", HIP_ID
    settings.ABDM_GATEWAY_URL, settings.ABDM_CERTS_URL = fake.url, f"{fake.url}/certs"
    settings.ABDM_ANSWER_RETRY_SECONDS = (0, 0.05, 0.1)
    gateway_auth.forget_keys()
    gateway.forget_session()
    yield fake
    from abdm import shares

    shares.wait_for_answers()
    fake.close()
    gateway_auth.forget_keys()
    gateway.forget_session()


@pytest.fixture
def counter(db):
    return RegistrationCounter.objects.create(code="OPD-1", name="Main OPD counter 1")


def share_body(*, context="OPD-1", hip_id=HIP_ID, **patient):
    return {
        "intent": "PROFILE_SHARE",
        "metaData": {"hipId": hip_id, "context": context, "hprId": "", "latitude": "", "longitude": ""},
        "profile": {"patient": {
            "abhaNumber": "91-1234-5678-9012", "abhaAddress": "raju.prasad@sbx", "name": "Raju Prasad", "gender": "M",
            "dayOfBirth": "15", "monthOfBirth": "8", "yearOfBirth": "1980", "phoneNumber": "9812345678",
            "address": {"line": "Ward 4, Rampur", "district": "Patna", "state": "BIHAR", "pincode": "800001"},
            **patient,
        }},
    }


@pytest.fixture
def share(client, fake_gateway):
    """POST a share as the gateway does: its signed bearer token and a REQUEST-ID."""

    def post(body=None, *, token=None, request_id=None, raw=None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token or fake_gateway.sign()}",
                   "HTTP_REQUEST_ID": str(uuid.uuid4()) if request_id is None else request_id}
        data = raw if raw is not None else json.dumps(body if body is not None else share_body())
        return client.post("/abdm/api/v3/hip/patient/share", data, content_type="application/json", **headers)

    return post

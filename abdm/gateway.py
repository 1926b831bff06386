"""Calling the ABDM gateway: a session token (client credentials, kept until it expires) and the
on-share answer. Plain urllib: two JSON POSTs need no HTTP library."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime

from django.conf import settings

SESSIONS_PATH = "/api/hiecm/gateway/v3/sessions"
ON_SHARE_PATH = "/api/hiecm/patient-share/v3/on-share"
TIMEOUT_SECONDS = 5
_session = {"token": "", "until": 0.0}
_session_lock = threading.Lock()


class GatewayError(Exception):
    """The gateway could not be reached or refused the call (the reason is recorded)."""


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _post(path: str, body: dict, *, token: str = "") -> dict:
    headers = {"Content-Type": "application/json", "REQUEST-ID": str(uuid.uuid4()), "TIMESTAMP": _timestamp(),
               "X-CM-ID": settings.ABDM_CM_ID}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(settings.ABDM_GATEWAY_URL + path, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            text = response.read().decode() or "{}"
    except urllib.error.HTTPError as exc:
        raise GatewayError(f"{path} answered {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise GatewayError(f"{path} unreachable: {exc}") from exc
    try:
        return json.loads(text)
    except ValueError:
        return {}


def session_token() -> str:
    with _session_lock:
        if _session["token"] and time.monotonic() < _session["until"]:
            return _session["token"]
        answer = _post(SESSIONS_PATH, {"clientId": settings.ABDM_CLIENT_ID, "clientSecret": settings.ABDM_CLIENT_SECRET,
                                       "grantType": "client_credentials"})
        if not answer.get("accessToken"):
            raise GatewayError("the gateway gave no session token")
        _session.update(token=answer["accessToken"], until=time.monotonic() + max(int(answer.get("expiresIn", 600)) - 30, 30))
        return _session["token"]


def forget_session() -> None:
    with _session_lock:
        _session.update(token="", until=0.0)


def send_on_share(*, request_id: str, abha_address: str, context: str, token_number: int, expiry_seconds: int) -> None:
    """Tell the gateway the counter token it shows the patient (POST .../patient-share/v3/on-share)."""
    body = {
        "acknowledgement": {
            "status": "SUCCESS", "abhaAddress": abha_address,
            "profile": {"context": context, "tokenNumber": str(token_number), "expiry": str(expiry_seconds)},
        },
        "response": {"requestId": request_id},
    }
    _post(ON_SHARE_PATH, body, token=session_token())

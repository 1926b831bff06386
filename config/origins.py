"""Websockets only from the app's own pages: the Origin must match the scheme, host and port the
socket was opened on (or one of CSRF_TRUSTED_ORIGINS, exactly), and the host must be one of
ALLOWED_HOSTS. Channels' AllowedHostsOriginValidator compares the host alone, so a page on any
port or scheme of an allowed host (another app on that server) could open staff sockets."""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, with the default port filled in; None if malformed."""
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    return (scheme, host, port) if scheme in DEFAULT_PORTS and host and port else None


def is_allowed(scope) -> bool:
    headers = dict(scope.get("headers") or [])
    host = headers.get(b"host", b"").decode("latin1")
    origin = _origin(headers.get(b"origin", b"").decode("latin1"))
    domain, _ = split_domain_port(host)
    if origin is None or not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    if origin == _origin(f"{scheme}://{host}"):
        return True
    return origin in {_origin(trusted) for trusted in settings.CSRF_TRUSTED_ORIGINS}


class SameOriginValidator:
    """ASGI middleware in front of the websocket routes (config/asgi.py)."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not is_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)

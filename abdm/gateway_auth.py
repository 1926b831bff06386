"""Authenticating the ABDM gateway's calls: its bearer token is a JWT signed with one of the
gateway's RSA keys, published as a JSON Web Key Set at ABDM_CERTS_URL. The keys are fetched and
kept for ABDM_CERTS_CACHE_SECONDS (PyJWT's PyJWKClient), and fetched again when a token names a
key the cache does not hold (the gateway rotated its keys)."""

from __future__ import annotations

import threading

import jwt
from django.conf import settings

ALGORITHMS = ["RS256"]
_clients: dict = {}
_lock = threading.Lock()


class GatewayUnauthorised(Exception):
    """Not a call from the gateway: the reason is safe to answer with (401)."""


def _jwks_client(url: str) -> jwt.PyJWKClient:
    with _lock:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = jwt.PyJWKClient(url, cache_keys=True, lifespan=settings.ABDM_CERTS_CACHE_SECONDS, timeout=5)
        return client


def forget_keys() -> None:
    """Drop the cached key sets (tests; a changed ABDM_CERTS_URL)."""
    with _lock:
        _clients.clear()


def verify_gateway_token(authorization: str) -> dict:
    """The claims of a valid gateway token from an `Authorization: Bearer ...` header."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GatewayUnauthorised("An ABDM gateway token (Authorization: Bearer ...) is required.")
    try:
        key = _jwks_client(settings.ABDM_CERTS_URL).get_signing_key_from_jwt(token.strip())
        return jwt.decode(token.strip(), key.key, algorithms=ALGORITHMS, options={"require": ["exp"], "verify_aud": False})
    except jwt.PyJWKClientConnectionError as exc:
        raise GatewayUnauthorised("The gateway's signing keys could not be fetched; the token cannot be checked.") from exc
    except jwt.PyJWTError as exc:
        raise GatewayUnauthorised(f"The gateway token is not valid: {exc}.") from exc

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from django.conf import settings


@dataclass
class Message:
    channel: str
    to: str  # E.164 without "+" for phones ("919812345678"), an address for email
    body: str
    kind: str
    language: str
    fields: dict = field(default_factory=dict)  # the template's values (WhatsApp sends these, not the body)
    reference: str = ""  # our delivery id, echoed back by providers that take one


@dataclass
class Sent:
    provider: str
    provider_id: str


class ProviderError(Exception):
    """The provider refused or failed. `retry`: worth trying again later (5xx, network)."""

    def __init__(self, reason: str, *, retry: bool):
        super().__init__(reason)
        self.reason = reason[:300]
        self.retry = retry


_client: httpx.Client | None = None


def client() -> httpx.Client:
    """One HTTP client per process (made on first use, so after a worker's fork): its TLS
    context and open connections are reused, where a client per request cost ~150 ms each."""
    global _client
    if _client is None:
        _client = httpx.Client(timeout=settings.NOTICE_HTTP_TIMEOUT_SECONDS)
    return _client


def post(url: str, **kwargs) -> httpx.Response:
    """POST with the notices' timeout; network trouble and 5xx answers are retryable errors,
    other refusals carry the provider's reason."""
    try:
        response = client().post(url, **kwargs)
    except httpx.HTTPError as exc:
        raise ProviderError(f"{type(exc).__name__}: {exc}", retry=True) from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise ProviderError(f"HTTP {response.status_code}: {response.text[:200]}", retry=True)
    if response.status_code >= 400:
        raise ProviderError(f"HTTP {response.status_code}: {response.text[:200]}", retry=False)
    return response

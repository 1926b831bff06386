"""Rate limits: API throttles (429 with Retry-After) and the answer to a locked-out login.

- Staff (an API token or a session): API_THROTTLE_RATE per staff member, default 600/min, far
  above a busy desk or an integrating system; `off` turns it off (load tests).
- Refused calls (no credentials, or a bad token): API_ANON_THROTTLE_RATE per client address,
  default 30/min, counted only when a call is refused, so they cost an accepted call nothing.
- Logins: django-axes locks a username at one address out after LOGIN_FAILURE_LIMIT wrong
  passwords for LOGIN_LOCKOUT_MINUTES (config.settings).

Counting costs one cache round trip per API call and no database query: a fixed-window counter
(INCR with its expiry in one Redis pipeline). Correctness never depends on Redis: when the cache
is down, calls are let through.
"""

from __future__ import annotations

import logging
import math
import time
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


@lru_cache(maxsize=16)
def parse_rate(rate: str) -> tuple[int, int] | None:
    """"600/min" -> (600, 60); "off" (or empty) -> None."""
    if not rate or rate.strip().lower() in {"off", "0", "none"}:
        return None
    count, _, period = rate.partition("/")
    try:
        return int(count), PERIODS[period.strip().lower()]
    except (ValueError, KeyError):
        raise ValueError(f"A rate looks like 600/min (or off), not {rate!r}") from None


def hit(key: str, seconds: int) -> int:
    """Count one call in the window `key` (which expires after `seconds`); the count so far."""
    try:
        backend = getattr(cache, "_cache", None)
        if hasattr(backend, "get_client"):  # Django's RedisCache: one round trip
            full_key = cache.make_and_validate_key(key)
            pipe = backend.get_client(full_key, write=True).pipeline()
            pipe.incr(full_key)
            pipe.expire(full_key, seconds, nx=True)
            return int(pipe.execute()[0])
        cache.add(key, 0, seconds)
        return cache.incr(key)
    except Exception:
        logger.warning("Throttle counter unavailable: letting the call through", exc_info=True)
        return 0


def _window(rate: tuple[int, int], ident: str, scope: str) -> tuple[bool, float]:
    """(allowed, seconds until the window ends) for one more call by `ident`."""
    limit, seconds = rate
    now = time.time()
    count = hit(f"throttle:{scope}:{ident}:{int(now // seconds)}", seconds)
    return count <= limit, seconds - now % seconds


class StaffRateThrottle(BaseThrottle):
    """API_THROTTLE_RATE per staff member (DRF's DEFAULT_THROTTLE_CLASSES)."""

    wait_seconds: float | None = None

    def allow_request(self, request, view):
        rate = parse_rate(settings.API_THROTTLE_RATE)
        user = request.user
        if rate is None or not (user and user.is_authenticated):
            return True
        allowed, self.wait_seconds = _window(rate, str(user.pk), "staff")
        return allowed

    def wait(self):
        return self.wait_seconds


def refused_call_wait(request) -> int | None:
    """Count a refused (unauthenticated) call from the client's address; the seconds it must
    wait once it is over API_ANON_THROTTLE_RATE, else None."""
    rate = parse_rate(settings.API_ANON_THROTTLE_RATE)
    if rate is None:
        return None
    allowed, wait = _window(rate, request.META.get("REMOTE_ADDR", ""), "refused")
    return None if allowed else max(1, math.ceil(wait))


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login (AXES_LOCKOUT_CALLABLE): a page saying so."""
    minutes = settings.AXES_COOLOFF_TIME.total_seconds() / 60
    response = render(request, "registration/locked_out.html", {"minutes": math.ceil(minutes)}, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response

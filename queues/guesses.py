"""Rate limit on guessing status-page codes: misses are counted per client IP in the cache, and
an IP past STATUS_GUESS_LIMIT misses in STATUS_GUESS_WINDOW_SECONDS is refused every lookup until
the window ends. Found codes cost nothing, so a patient reloading their page is never slowed."""

import logging

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def _key(ip: str) -> str:
    return f"status-miss:{ip}"


def blocked(ip: str) -> bool:
    try:
        return (cache.get(_key(ip)) or 0) >= settings.STATUS_GUESS_LIMIT
    except Exception:  # the cache is down: let the lookup through (the codes are unguessable anyway)
        logger.warning("Status guess counter unavailable", exc_info=True)
        return False


def count_miss(ip: str) -> None:
    try:
        cache.add(_key(ip), 0, timeout=settings.STATUS_GUESS_WINDOW_SECONDS)
        cache.incr(_key(ip))
    except ValueError:  # expired between the two calls
        cache.add(_key(ip), 1, timeout=settings.STATUS_GUESS_WINDOW_SECONDS)
    except Exception:
        logger.warning("Status guess counter unavailable", exc_info=True)

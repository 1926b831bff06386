"""API token authentication that remembers a key's staff member for a few seconds.

DRF's TokenAuthentication reads the token and its user on every request, and each permission
check then reads the user's and their groups' permissions: three queries before any work. A
busy desk or an integrating system sends the same key many times a second, so each web process
keeps what it read for API_TOKEN_CACHE_SECONDS (default 10; 0 turns it off). A deleted key, a
deactivated login or a changed role therefore takes effect within that many seconds.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from rest_framework.authentication import TokenAuthentication

_remembered: dict[str, tuple[float, object, object]] = {}
_lock = threading.Lock()
MAX_REMEMBERED = 1000


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        seconds = getattr(settings, "API_TOKEN_CACHE_SECONDS", 10)
        now = time.time()
        hit = _remembered.get(key)
        if seconds and hit and hit[0] > now:
            return hit[1], hit[2]
        user, token = super().authenticate_credentials(key)  # raises for unknown keys and inactive users
        if seconds:
            user.get_all_permissions()  # fills the user's permission caches once, for every request it serves
            with _lock:
                if len(_remembered) >= MAX_REMEMBERED:
                    _remembered.clear()
                _remembered[key] = (now + seconds, user, token)
        return user, token


def forget_tokens() -> None:
    _remembered.clear()

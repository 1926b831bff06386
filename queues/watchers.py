"""Which live groups have a screen open, across all web processes.

A counter per channel-layer group in the cache (Redis when REDIS_URL is set, so every web process
sees the same counts): consumers count themselves in when they join a group and out when they
leave, and the broadcaster skips rendering fragments for groups nobody is watching. A count left
behind by a crashed process only costs an unneeded render; it never hides a change, because a
screen always counts itself in before it reads its full state.
"""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

TIMEOUT = 24 * 3600  # stale counts (a process killed without closing its sockets) expire in a day


def _key(group: str) -> str:
    return f"watching:{group}"


async def watch(groups: list[str]) -> None:
    for group in groups:
        try:
            await cache.aadd(_key(group), 0, timeout=TIMEOUT)
            await cache.aincr(_key(group))
            await cache.atouch(_key(group), timeout=TIMEOUT)
        except Exception:  # the cache is an optimisation; a screen must still connect
            logger.warning("Could not count a screen in for %s", group, exc_info=True)


async def unwatch(groups: list[str]) -> None:
    for group in groups:
        try:
            await cache.adecr(_key(group))
        except ValueError:
            pass  # already expired
        except Exception:
            logger.debug("Could not count a screen out for %s", group, exc_info=True)


def watched(groups: list[str]) -> set[str]:
    """The groups among `groups` with at least one screen open. If the cache cannot answer,
    all of them: better an unneeded render than a screen left stale."""
    try:
        counts = cache.get_many([_key(g) for g in groups])
    except Exception:
        logger.warning("Could not read screen counts; pushing to every group", exc_info=True)
        return set(groups)
    return {g for g in groups if counts.get(_key(g), 0) > 0}

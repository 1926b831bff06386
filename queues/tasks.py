"""The worker's timed jobs for the queue (beat: config/settings.py CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from queues import allocation, broadcast, selectors

logger = logging.getLogger(__name__)

OFFER_MEMORY_SECONDS = 24 * 3600


@shared_task(name="queues.sweep_no_shows", ignore_result=True)
def sweep_no_shows() -> dict:
    return sweep(now=timezone.now())


def sweep(*, now: datetime) -> dict:
    """Mark booked patients past their grace period as no-shows (through the allocation service),
    and show each doctor, once, the called patients they are now offered as no-shows."""
    marked = []
    for token in selectors.overdue_for_no_show(now=now):
        try:
            if allocation.mark_overdue_no_show(token_id=token.pk, now=now):
                marked.append(token.token_label)
        except Exception:  # one token's trouble (a busy slot) must not stop the rest; next sweep retries
            logger.exception("Could not mark token %s as a no-show", token.pk)
    offered = []
    for token in selectors.calls_to_offer_as_no_show(now=now):
        if cache.add(f"no-show-offered:{token.pk}:{token.called_at.timestamp():.0f}", 1, timeout=OFFER_MEMORY_SECONDS):
            broadcast.queue_changed(doctor_id=token.doctor_id, slot_id=token.slot_id, kind="no_show_offered")
            offered.append(token.token_label)
    return {"marked": marked, "offered": offered}

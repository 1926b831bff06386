"""The worker's tasks (config/celery.py). Each is safe to run twice: the outbox rows and their
deliveries carry the state, the tasks only move it on."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from notices import delivery
from queues import outbox
from queues.models import Notice, Token

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
# Longer waits (quiet hours) are left to the sweep: Redis redelivers a countdown task held past
# its visibility timeout, and the sweep needs no message held that long.
MAX_COUNTDOWN_SECONDS = 600
SWEEP_HORIZON = timedelta(days=2)  # older notices than this are past any use


@shared_task(name=outbox.DELIVER_TASK, ignore_result=True)
def deliver(notice_id: str) -> None:
    outcome = delivery.deliver(notice_id)
    if not outcome.done and outcome.retry_in is not None and outcome.retry_in <= MAX_COUNTDOWN_SECONDS:
        outbox.dispatch_later([notice_id], countdown=outcome.retry_in)


@shared_task(name=outbox.DELIVER_MANY_TASK, ignore_result=True)
def deliver_many(notice_ids: list[str]) -> None:
    """A burst of notices in one message (queues.outbox); each is delivered on its own, and one
    that fails does not hold up the rest (the sweep retries it)."""
    for notice_id in notice_ids:
        try:
            deliver(notice_id)
        except Exception:
            logger.exception("Notice %s not delivered; the outbox sweep will retry it", notice_id)


@shared_task(name="notices.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    """Re-queue notices whose task was lost (the broker was down, a worker died) or whose
    back-off or quiet hours are over. Returns how many."""
    return len(sweep(now=timezone.now()))


def sweep(*, now: datetime) -> list[str]:
    idle = now - timedelta(seconds=settings.NOTICE_REDISPATCH_SECONDS)
    due = (
        Notice.objects.filter(state=Notice.State.PENDING, created_at__gte=now - SWEEP_HORIZON)
        .filter(
            # a task lost on the way (never handed over, or handed over long ago) ...
            Q(not_before__isnull=True, created_at__lte=idle) & (Q(dispatched_at__isnull=True) | Q(dispatched_at__lte=idle))
            # ... or a back-off or quiet hours over since it was last handed over
            | Q(not_before__lte=now) & (Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=F("not_before")))
        )
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    ids = [str(pk) for pk in due]
    if ids:
        Notice.objects.filter(pk__in=ids).update(dispatched_at=now)
        outbox.dispatch(ids)
    return ids


@shared_task(name="notices.send_reminders", ignore_result=True)
def send_reminders() -> int:
    return len(write_reminders(now=timezone.now()))


def write_reminders(*, now: datetime) -> list[Notice]:
    """From NOTICE_REMINDER_HOUR on, a reminder for each of tomorrow's advance bookings (booked on
    an earlier day, not yet checked in). Run as often as beat likes: the outbox's key keeps it once."""
    local = timezone.localtime(now)
    if local.hour < settings.NOTICE_REMINDER_HOUR:
        return []
    tomorrow = local.date() + timedelta(days=1)
    tokens = Token.objects.filter(day=tomorrow, status=Token.Status.CONFIRMED, booked_at__lt=now - timedelta(hours=1)).exclude(
        notices__kind=Notice.Kind.REMINDER
    ).only("id", "patient_id", "doctor_id", "booked_at", "day")
    reminders = [outbox.for_token(Notice.Kind.REMINDER, t) for t in tokens if timezone.localdate(t.booked_at) < t.day]
    outbox.write_now(reminders)
    return reminders

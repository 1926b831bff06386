"""Delivering one notice of the outbox on the channels its patient consented to.

Once per notice and channel even when its task runs twice or two workers take it: the notice's
row is locked (SKIP LOCKED: a second run leaves at once) and each channel's Delivery row is
sent only while QUEUED. A provider's 5xx or network failure leaves the delivery QUEUED with a
back-off (`DeliveryOutcome.retry_in`); after NOTICE_MAX_ATTEMPTS it is FAILED with the reason.
Not sent at all, with the reason on the Delivery: no consent, no contact, quiet hours (deferred,
not dropped), the day's limit per token, or a notice that no longer applies (a "nearly your
turn" for a patient already called).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notices import consent, texts
from notices.backends import Message, ProviderError, backend_for
from notices.metrics import count_delivery
from notices.models import Channel, Delivery
from queues import patient_status, selectors
from queues.models import Notice, Token, WaitingListEntry

logger = logging.getLogger(__name__)

Kind = Notice.Kind
TokenStatus = Token.Status
# Sent during quiet hours anyway: the patient is in the hospital and the doctor is waiting.
URGENT = {Kind.CALLED, Kind.NEAR}
# What a notice needs to be still true when it is delivered.
STILL_TRUE = {
    Kind.BOOKED: {TokenStatus.CONFIRMED, TokenStatus.ARRIVED},
    Kind.PROMOTED: {TokenStatus.CONFIRMED, TokenStatus.ARRIVED},
    Kind.NEAR: {TokenStatus.CONFIRMED, TokenStatus.ARRIVED},
    Kind.DELAYED: {TokenStatus.CONFIRMED, TokenStatus.ARRIVED},
    Kind.REMINDER: {TokenStatus.CONFIRMED},
    Kind.CALLED: {TokenStatus.CALLED},
    Kind.NO_SHOW: {TokenStatus.NO_SHOW},
    Kind.SLOT_CANCELLED: {TokenStatus.CANCELLED, WaitingListEntry.Status.CANCELLED},
    Kind.WAITLISTED: {WaitingListEntry.Status.WAITING},
}
SENT_STATES = (Delivery.State.SENT, Delivery.State.DELIVERED)


@dataclass
class DeliveryOutcome:
    done: bool
    retry_in: float | None = None  # seconds until the next attempt (a failed or deferred delivery)


def deliver(notice_id, *, now: datetime | None = None) -> DeliveryOutcome:
    now = now or timezone.now()
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("token__doctor", "token__slot", "waiting_entry__doctor", "waiting_entry__slot", "patient")
            .filter(pk=notice_id).first()
        )
        if notice is None or notice.state == Notice.State.DONE:
            return DeliveryOutcome(done=True)  # delivered already, or another run is on it
        if notice.not_before and notice.not_before > now:
            return DeliveryOutcome(done=False, retry_in=(notice.not_before - now).total_seconds())
        outcome = _deliver_locked(notice, now)
        if outcome.done:
            notice.state, notice.done_at = Notice.State.DONE, now
        else:
            notice.attempts += 1
            notice.not_before = now + timedelta(seconds=outcome.retry_in)
        notice.save(update_fields=["state", "done_at", "attempts", "not_before"])
        return outcome


def _deliver_locked(notice: Notice, now: datetime) -> DeliveryOutcome:
    subject = notice.token or notice.waiting_entry
    if subject.status not in STILL_TRUE[notice.kind] or patient_status.has_expired(subject.day, now):
        _skip_all(notice, "No longer applies: the patient's status has moved on.", outcome="skipped_stale")
        return DeliveryOutcome(done=True)
    if notice.kind not in URGENT and (until := quiet_until(now)):
        _count_deferred(notice)
        return DeliveryOutcome(done=False, retry_in=(until - now).total_seconds())
    if _sent_today(notice, now) >= settings.NOTICE_MAX_PER_TOKEN_PER_DAY:
        _skip_all(notice, f"Daily limit reached ({settings.NOTICE_MAX_PER_TOKEN_PER_DAY} notices per token).",
                  outcome="skipped_daily_limit")
        return DeliveryOutcome(done=True)
    decisions = consent.in_force(notice.patient_id)
    fields = None
    retry = False
    for channel, delivery in _deliveries(notice).items():
        if delivery.state != Delivery.State.QUEUED:
            continue  # sent (or settled) by an earlier run
        decision = decisions.get(channel)
        if decision is None or not decision.granted:
            _settle(delivery, Delivery.State.SKIPPED, "No consent for this channel.", outcome="skipped_no_consent")
            continue
        to = consent.contact_of(notice.patient, channel)
        if not to:
            _settle(delivery, Delivery.State.SKIPPED, f"No {'email address' if channel == Channel.EMAIL else 'phone number'}.",
                    outcome="skipped_no_contact")
            continue
        fields = fields or notice_fields(notice, subject, now)
        retry |= _send(delivery, notice, to=to, language=decision.language, fields=fields, now=now)
    if retry:
        return DeliveryOutcome(done=False, retry_in=settings.NOTICE_RETRY_SECONDS * 2 ** notice.attempts)
    return DeliveryOutcome(done=True)


def _send(delivery: Delivery, notice: Notice, *, to: str, language: str, fields: dict, now: datetime) -> bool:
    """One attempt on one channel; True when it is worth another attempt later."""
    delivery.to = to
    delivery.body = texts.render(notice.kind, language, fields, with_stop=delivery.channel != Channel.WHATSAPP)
    delivery.attempts += 1
    message = Message(channel=delivery.channel, to=to, body=delivery.body, kind=notice.kind, language=language,
                      fields=fields, reference=str(delivery.pk))
    try:
        sent = backend_for(delivery.channel)(message)
    except ProviderError as exc:
        delivery.reason = exc.reason
        if exc.retry and delivery.attempts < settings.NOTICE_MAX_ATTEMPTS:
            delivery.save(update_fields=["to", "body", "attempts", "reason"])
            count_delivery(channel=delivery.channel, outcome="retried")
            logger.warning("Notice %s on %s failed (attempt %s), will retry: %s", notice.pk, delivery.channel,
                           delivery.attempts, exc.reason)
            return True
        _settle(delivery, Delivery.State.FAILED, exc.reason, outcome="failed")
        return False
    delivery.provider, delivery.provider_id, delivery.sent_at = sent.provider, sent.provider_id, now
    _settle(delivery, Delivery.State.SENT, "", outcome="sent")
    return False


def _settle(delivery: Delivery, state: str, reason: str, *, outcome: str) -> None:
    delivery.state, delivery.reason = state, reason[:300]
    delivery.save(update_fields=["state", "reason", "to", "body", "attempts", "provider", "provider_id", "sent_at"])
    count_delivery(channel=delivery.channel, outcome=outcome)


def _deliveries(notice: Notice) -> dict[str, Delivery]:
    """The notice's delivery on each configured channel, made on its first run (two queries)."""
    existing = {d.channel: d for d in notice.deliveries.all()}
    missing = [Delivery(notice=notice, channel=c) for c in settings.NOTICE_CHANNELS if c not in existing]
    if missing:
        Delivery.objects.bulk_create(missing)
        existing.update({d.channel: d for d in missing})
    return {c: existing[c] for c in settings.NOTICE_CHANNELS}


def _skip_all(notice: Notice, reason: str, *, outcome: str) -> None:
    for delivery in _deliveries(notice).values():
        if delivery.state == Delivery.State.QUEUED:
            _settle(delivery, Delivery.State.SKIPPED, reason, outcome=outcome)


def _count_deferred(notice: Notice) -> None:
    """Quiet hours hold the whole notice: counted on each channel not settled yet (without
    making its Delivery rows, which the first run after the quiet hours makes)."""
    settled = set(notice.deliveries.exclude(state=Delivery.State.QUEUED).values_list("channel", flat=True))
    for channel in settings.NOTICE_CHANNELS:
        if channel not in settled:
            count_delivery(channel=channel, outcome="deferred_quiet_hours")


def _sent_today(notice: Notice, now: datetime) -> int:
    """Notices already sent on some channel for this token (or entry) today."""
    same = {"notice__token_id": notice.token_id} if notice.token_id else {"notice__waiting_entry_id": notice.waiting_entry_id}
    since = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        Delivery.objects.filter(**same, state__in=SENT_STATES, sent_at__gte=since)
        .exclude(notice=notice).values("notice").distinct().count()
    )


def quiet_until(now: datetime) -> datetime | None:
    """The end of the quiet hours (NOTICE_QUIET_HOURS, local "21:00-07:00") if `now` is in them."""
    if not settings.NOTICE_QUIET_HOURS:
        return None
    start, end = (time.fromisoformat(part.strip()) for part in settings.NOTICE_QUIET_HOURS.split("-"))
    local = timezone.localtime(now)
    clock = local.time()
    inside = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, end), timezone.get_current_timezone())


# Kinds whose text shows the current estimate, read from the doctor's day queue when sent (a
# booking's is the one it was told, a delay's comes with the notice: neither reads the queue).
NEEDS_ESTIMATE = {Kind.PROMOTED}


def notice_fields(notice: Notice, subject, now: datetime) -> dict:
    """The values the templates use. Cheap on purpose: the day's queue (hundreds of tokens to
    place) is read only for the kinds in NEEDS_ESTIMATE."""
    slot, doctor = subject.slot, subject.doctor
    estimate = notice.params.get("estimate")
    if estimate:
        estimate = datetime.fromisoformat(estimate)
    elif notice.kind in NEEDS_ESTIMATE:
        estimate = patient_status.status_of(subject, now=now).estimated_time
    else:
        estimate = getattr(subject, "first_estimate", None)
    place = notice.params.get("place", "")
    if notice.kind == Kind.WAITLISTED:
        place = selectors.annotate_waiting_places([subject], now)[0].place or ""
    return {
        "hospital": settings.HOSPITAL_NAME,
        "label": subject.waiting_label if isinstance(subject, WaitingListEntry) else subject.token_label,
        "doctor": doctor.name,
        "room": doctor.room or "-",
        "estimate": f"{timezone.localtime(estimate):%H:%M}" if estimate else "-",
        "place": place,
        "minutes": notice.params.get("minutes", ""),
        "reason": notice.params.get("reason", ""),
        "was": notice.params.get("was", ""),
        "day": f"{subject.day:%d %b}",
        "slot_time": f"{timezone.localtime(slot.start_time):%H:%M}",
        "url": patient_status.status_url(subject.status_code),
        "stop_url": _stop_url(notice.patient_id),
    }


def _stop_url(patient_id) -> str:
    from urllib.parse import urljoin

    from django.urls import reverse

    path = reverse("notices:stop", args=[consent.stop_token(patient_id)])
    return urljoin(settings.PUBLIC_BASE_URL.rstrip("/") + "/", path.lstrip("/")) if settings.PUBLIC_BASE_URL else path

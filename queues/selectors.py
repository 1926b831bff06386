"""Reads that pages, the API and the consumers share: queues in serving order, waiting lists,
effective delays and estimated times. Positions are computed when asked, because the waiting
bonus keeps changing the order while patients wait."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Iterable

from django.utils import timezone

from queues import priority
from queues.models import Token, WaitingListEntry
from scheduling.models import Slot


def effective_delays(slots: Iterable[Slot]) -> dict:
    """Effective delay (own + cascaded) in minutes for each given slot, in one query."""
    slots = list(slots)
    if not slots:
        return {}
    days = {(s.doctor_id, s.local_day) for s in slots}
    doctor_ids = {doctor_id for doctor_id, _ in days}
    siblings = Slot.objects.filter(
        doctor_id__in=doctor_ids,
        start_time__date__in={day for _, day in days},
    ).exclude(status=Slot.Status.CANCELLED).only("id", "doctor_id", "start_time", "end_time", "delay_minutes")
    by_day: dict[tuple, list] = defaultdict(list)
    for s in siblings:
        by_day[(s.doctor_id, s.local_day)].append(
            priority.SlotTimes(s.id, s.start_time, s.end_time, s.delay_minutes)
        )
    result = {}
    for key, day_slots in by_day.items():
        if key in days:
            result.update(priority.cascade_delays(day_slots))
    for s in slots:  # a cancelled slot runs no more: report its own delay
        result.setdefault(s.id, s.delay_minutes)
    return result


def effective_delay(slot: Slot) -> int:
    return effective_delays([slot])[slot.id]


def expected_start(slot: Slot, delay_minutes: int) -> datetime:
    return slot.start_time + timedelta(minutes=delay_minutes)


def has_ended(slot: Slot, now: datetime, delay_minutes: int | None = None) -> bool:
    """A slot has ended once its (delayed) end has passed."""
    if now < slot.end_time:
        return False  # the common case needs no delay lookup
    delay = effective_delay(slot) if delay_minutes is None else delay_minutes
    return now >= slot.end_time + timedelta(minutes=delay)


def annotate_queue(slot: Slot, tokens: Iterable[Token], delay_minutes: int, now: datetime) -> list[Token]:
    """Put a slot's active tokens in serving order and give each .position, .score and
    .estimated_time."""
    ordered = priority.serving_order(tokens, now)
    consultation = slot.consultation_length
    for position, token in enumerate(ordered, start=1):
        token.position = position
        token.score = priority.priority_score(token.category, token.booked_at, now)
        token.estimated_time = priority.estimated_time(
            start=slot.start_time,
            effective_delay_minutes=delay_minutes,
            position=position,
            consultation=consultation,
        )
    return ordered


def queue_for_slot(*, slot: Slot, now: datetime | None = None) -> list[Token]:
    """The slot's active tokens (confirmed, arrived, called) in serving order."""
    now = now or timezone.now()
    tokens = Token.objects.filter(slot=slot, status__in=Token.ACTIVE).select_related("patient")
    return annotate_queue(slot, tokens, effective_delay(slot), now)


def annotate_tokens(tokens: Iterable[Token], now: datetime | None = None) -> list[Token]:
    """Give any tokens (of any slots) .position, .score and .estimated_time in a fixed number
    of queries; tokens no longer in the queue get position and estimated time None."""
    now = now or timezone.now()
    tokens = list(tokens)
    slot_ids = {t.slot_id for t in tokens}
    if not slot_ids:
        return tokens
    slots = {s.id: s for s in Slot.objects.filter(pk__in=slot_ids)}
    delays = effective_delays(slots.values())
    active_by_slot: dict = defaultdict(list)
    for t in Token.objects.filter(slot_id__in=slot_ids, status__in=Token.ACTIVE).only(
        "id", "slot_id", "category", "booked_at", "status", "called_at", "token_number"
    ):
        active_by_slot[t.slot_id].append(t)
    placed = {}
    for slot_id, active in active_by_slot.items():
        for t in annotate_queue(slots[slot_id], active, delays[slot_id], now):
            placed[t.id] = t
    for token in tokens:
        twin = placed.get(token.id)
        token.position = twin.position if twin else None
        token.estimated_time = twin.estimated_time if twin else None
        token.score = priority.priority_score(token.category, token.booked_at, now)
    return tokens


def waiting_list_for_slot(*, slot: Slot, now: datetime | None = None) -> list[WaitingListEntry]:
    """The slot's waiting patients in promotion order, each with .place and .score."""
    now = now or timezone.now()
    entries = WaitingListEntry.objects.filter(slot=slot, status=WaitingListEntry.Status.WAITING)
    return annotate_waiting(entries.select_related("patient"), now)


def annotate_waiting(entries: Iterable[WaitingListEntry], now: datetime) -> list[WaitingListEntry]:
    ordered = priority.serving_order(entries, now)
    for place, entry in enumerate(ordered, start=1):
        entry.place = place
        entry.score = priority.priority_score(entry.category, entry.booked_at, now)
    return ordered


def annotate_waiting_places(entries: Iterable[WaitingListEntry], now: datetime | None = None) -> list:
    """Give any waiting-list entries their .place on their slot's list (None once resolved)."""
    now = now or timezone.now()
    entries = list(entries)
    slot_ids = {e.slot_id for e in entries}
    waiting_by_slot: dict = defaultdict(list)
    for e in WaitingListEntry.objects.filter(slot_id__in=slot_ids, status=WaitingListEntry.Status.WAITING).only(
        "id", "slot_id", "category", "booked_at", "status"
    ):
        waiting_by_slot[e.slot_id].append(e)
    places = {}
    for waiting in waiting_by_slot.values():
        for e in annotate_waiting(waiting, now):
            places[e.id] = e.place
    for entry in entries:
        entry.place = places.get(entry.id)
        entry.score = priority.priority_score(entry.category, entry.booked_at, now)
    return entries


def slots_for_day(*, day: date, doctor_id=None):
    qs = Slot.objects.filter(start_time__date=day).select_related("doctor")
    if doctor_id:
        qs = qs.filter(doctor_id=doctor_id)
    return qs

"""Reads that pages, the API and the consumers share: queues in serving order, waiting lists,
effective delays and estimated times. Positions are computed when asked, because the waiting
bonus keeps changing the order while patients wait."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable

from django.db.models import Count
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


def slot_board(*, day: date, now: datetime | None = None) -> list[Slot]:
    """The day's slots of active doctors, by doctor then time, each with what the desk shows:
    .held (places taken), .waiting (waiting-list length), .effective_delay (minutes), .ended
    and .has_room (open for a confirmed booking). Four queries whatever the number of slots."""
    now = now or timezone.now()
    slots = list(slots_for_day(day=day).filter(doctor__is_active=True).order_by("doctor__name", "start_time"))
    ids = [s.id for s in slots]
    held = dict(
        Token.objects.filter(slot_id__in=ids, status__in=Token.HOLDING_A_PLACE)
        .order_by().values_list("slot_id").annotate(n=Count("id"))
    )
    waiting = dict(
        WaitingListEntry.objects.filter(slot_id__in=ids, status=WaitingListEntry.Status.WAITING)
        .order_by().values_list("slot_id").annotate(n=Count("id"))
    )
    delays = effective_delays(slots)
    for s in slots:
        s.held = held.get(s.id, 0)
        s.waiting = waiting.get(s.id, 0)
        s.effective_delay = delays.get(s.id, 0)
        s.ended = has_ended(s, now, s.effective_delay)
        s.open = s.status != Slot.Status.CANCELLED and not s.ended
        s.has_room = s.open and s.held < s.max_capacity
    return slots


def preselected_slot(slots: Iterable[Slot]) -> Slot | None:
    """The slot a booking goes to unless staff choose another: among one doctor's annotated
    slots (see slot_board), the current or next one with room, else the first still open
    (its waiting list)."""
    slots = [s for s in slots if s.open]
    return next((s for s in slots if s.has_room), slots[0] if slots else None)


# --- live screens: the doctor's day and the waiting-room boards -----------------------------------


@dataclass
class DoctorDayQueue:
    """Everything the doctor's page shows, read in a fixed number of queries."""

    doctor: object
    day: date
    slots: list  # today's slots, each with .effective_delay
    current: list  # CALLED tokens (normally one), with the doctor now
    queue: list  # CONFIRMED and ARRIVED tokens: slot by slot, each slot in serving order
    waiting: list  # WAITING entries, slot by slot, each list in promotion order
    recent: list  # tokens called earlier today, latest first
    delay_slot: Slot | None  # the slot a "running late" notice is about (now or next)
    delay_minutes: int

    @property
    def arrived_count(self) -> int:
        return sum(1 for t in self.queue if t.status == Token.Status.ARRIVED)


def doctor_day_queue(*, doctor, day: date | None = None, now: datetime | None = None, recent: int = 4) -> DoctorDayQueue:
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    slots = [s for s in slots_for_day(day=day, doctor_id=doctor.pk).order_by("start_time") if s.status != Slot.Status.CANCELLED]
    delays = effective_delays(slots)
    for s in slots:
        s.effective_delay = delays.get(s.id, 0)
    slot_ids = [s.id for s in slots]
    by_slot: dict = defaultdict(list)
    current = []
    for t in Token.objects.filter(slot_id__in=slot_ids, status__in=Token.ACTIVE).select_related("patient"):
        by_slot[t.slot_id].append(t)
    queue = []
    for s in slots:
        for t in annotate_queue(s, by_slot[s.id], s.effective_delay, now):
            t.slot_obj = s
            (current if t.status == Token.Status.CALLED else queue).append(t)
    waiting_by_slot: dict = defaultdict(list)
    for e in WaitingListEntry.objects.filter(slot_id__in=slot_ids, status=WaitingListEntry.Status.WAITING).select_related("patient"):
        waiting_by_slot[e.slot_id].append(e)
    waiting = []
    for s in slots:
        for e in annotate_waiting(waiting_by_slot[s.id], now):
            e.slot_obj = s
            waiting.append(e)
    earlier = list(
        Token.objects.filter(doctor=doctor, day=day, called_at__isnull=False)
        .exclude(status=Token.Status.CALLED)
        .order_by("-called_at")
        .only("id", "token_number", "called_at", "status")[:recent]
    )
    delay_slot = next(
        (s for s in slots if now < s.end_time + timedelta(minutes=s.effective_delay)), None
    )
    return DoctorDayQueue(
        doctor=doctor, day=day, slots=slots, current=current, queue=queue, waiting=waiting, recent=earlier,
        delay_slot=delay_slot, delay_minutes=delay_slot.effective_delay if delay_slot else 0,
    )


@dataclass
class BoardRow:
    """One doctor on a public board: numbers and rooms only, never names of patients."""

    doctor: object
    now_calling: int | None
    next_numbers: list
    recent_numbers: list
    delay_minutes: int


def board_row(*, doctor, now: datetime | None = None, upcoming: int = 5) -> BoardRow:
    now = now or timezone.now()
    day_queue = doctor_day_queue(doctor=doctor, now=now, recent=3)
    latest = max(day_queue.current, key=lambda t: t.called_at or now, default=None)
    return BoardRow(
        doctor=doctor,
        now_calling=latest.token_number if latest else None,
        next_numbers=[t.token_number for t in day_queue.queue[:upcoming]],
        recent_numbers=[t.token_number for t in day_queue.recent],
        delay_minutes=day_queue.delay_minutes,
    )


def board_state(*, display, now: datetime | None = None) -> list[BoardRow]:
    """The rows of a display's board, one per doctor it shows."""
    now = now or timezone.now()
    return [board_row(doctor=d, now=now) for d in display.shown_doctors()]

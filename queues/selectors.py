"""Reads that pages, the API and the consumers share: queues in serving order, waiting lists,
effective delays and estimated times. Positions are computed when asked, because the waiting
bonus keeps changing the order while patients wait."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Iterable

from django.db.models import Count
from django.utils import timezone

from queues import priority, sql
from queues.models import QueueEvent, Token, WaitingListEntry
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


@dataclass
class DayQueue:
    """One doctor's day in serving order (see queues.priority.day_order), read in a fixed
    number of queries. Each token in `order` carries .position (1 = first, over the whole day),
    .people_ahead, .present / .expected / .overdue (expected, slot over), .estimated_time and
    .wait_minutes (None for the patient with the doctor and the overdue), .score and .slot_obj."""

    doctor_id: object
    day: date
    now: datetime
    slots: list  # the day's slots that run (not cancelled), each with .effective_delay
    order: list
    pace: timedelta | None  # the doctor's measured consultation time; None until measured

    @property
    def current(self) -> list:
        return [t for t in self.order if t.status == Token.Status.CALLED]

    @property
    def waiting(self) -> list:
        """Everyone not yet called, present or expected, in order."""
        return [t for t in self.order if t.status != Token.Status.CALLED]

    @property
    def present(self) -> list:
        return [t for t in self.order if t.present]

    @property
    def next(self):
        return priority.next_to_call(self.order)

    @property
    def expected_count(self) -> int:
        return sum(1 for t in self.order if t.expected)


def recent_consultations(doctor_id, *, before: datetime, count: int = priority.PACE_SAMPLES) -> list[timedelta]:
    """The doctor's last `count` consultations (called to completed) of the past fortnight."""
    rows = (
        Token.objects.filter(
            doctor_id=doctor_id, status=Token.Status.COMPLETED, called_at__isnull=False,
            completed_at__lte=before, completed_at__gte=before - timedelta(days=14),
        )
        .order_by("-completed_at").values_list("called_at", "completed_at")[:count]
    )
    return [done - called for called, done in rows]


def _with_cascaded_delays(slots: list) -> list:
    """Give one doctor's running slots of a day, by start, their .effective_delay (own plus
    cascaded), computed from these same slots."""
    delays = priority.cascade_delays([priority.SlotTimes(s.id, s.start_time, s.end_time, s.delay_minutes) for s in slots])
    for s in slots:
        s.effective_delay = delays.get(s.id, 0)
    return slots


def day_slots(*, doctor_id, day: date) -> list[Slot]:
    """The doctor's slots of the day that run (not cancelled), by start, each with
    .effective_delay (the cascade is computed from these same slots: one query)."""
    slots = [s for s in slots_for_day(day=day, doctor_id=doctor_id).order_by("start_time") if s.status != Slot.Status.CANCELLED]
    return _with_cascaded_delays(slots)


@dataclass(slots=True)
class RunningSlot:
    """A slot as the day order needs it, read as plain values (see `running_slots`)."""

    id: object
    start_time: datetime
    end_time: datetime
    delay_minutes: int
    max_capacity: int
    effective_delay: int = 0

    @property
    def consultation_length(self) -> timedelta:
        return (self.end_time - self.start_time) / self.max_capacity


def running_slots(*, doctor_id, day: date) -> list[RunningSlot]:
    """day_slots as plain values, for the booking path (which only places the new token)."""
    slots = [RunningSlot(*row) for row in sql.running_slots(doctor_id, day)]
    return _with_cascaded_delays(slots)


@dataclass(slots=True)
class Placed:
    """A token as the day order needs it, read as plain values (no model instance): what the
    booking's answer, the board and the API's positions are computed from."""

    id: object
    slot_id: object
    category: str
    priority: int
    booked_at: datetime
    status: str
    called_at: datetime | None
    token_number: int
    token_label: str
    behind_id: object
    requeued_at: datetime | None
    first_estimate: datetime | None
    arrived_at: datetime | None
    skip_count: int
    slot_obj: Slot | None = None
    present: bool = False
    expected: bool = False
    overdue: bool = False
    position: int | None = None
    people_ahead: int | None = None
    estimated_time: datetime | None = None
    wait_minutes: int | None = None
    score: float | None = None

    @property
    def pk(self):
        return self.id


PLACED_FIELDS = tuple(f.name for f in fields(Placed))[:14]
PACE_CACHE_SECONDS = 60
_pace_cache: dict = {}


def doctor_pace(doctor_id, now: datetime) -> timedelta | None:
    """The doctor's measured consultation time, remembered for a minute per process (it moves
    only as consultations complete; `forget_pace` is called when one does)."""
    cached = _pace_cache.get(doctor_id)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    pace = priority.measured_pace(recent_consultations(doctor_id, before=now))
    _pace_cache[doctor_id] = (time.monotonic() + PACE_CACHE_SECONDS, pace)
    return pace


def forget_pace(doctor_id=None) -> None:
    if doctor_id is None:
        _pace_cache.clear()
    else:
        _pace_cache.pop(doctor_id, None)


def day_queue(*, doctor_id, day: date | None = None, now: datetime | None = None, with_patients: bool = True,
              slots: list[Slot] | None = None, joining: list | None = None) -> DayQueue:
    """The doctor's day: their running slots, every active token in serving order, each
    placed, estimated and marked present or expected. With patients: Token instances with
    their patient (pages that show names); without: plain values (`Placed`), cheaper.
    `joining`: tokens not yet written (a booking placing itself before its insert)."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    slots = day_slots(doctor_id=doctor_id, day=day) if slots is None else slots
    if with_patients:
        tokens = Token.objects.filter(doctor_id=doctor_id, day=day, status__in=Token.ACTIVE)
        tokens = list(tokens.select_related("patient"))
    else:
        tokens = [Placed(*row) for row in sql.active_tokens(doctor_id, day, PLACED_FIELDS)]
    pace = doctor_pace(doctor_id, now)
    order = place_tokens(tokens + list(joining or []), slots, pace, now)
    joined = {id(t) for t in joining or []}  # by identity: value equality compares every field of every token
    record_first_estimates([t for t in order if id(t) not in joined])
    return DayQueue(doctor_id=doctor_id, day=day, now=now, slots=slots, order=order, pace=pace)


PLACEMENT = ("slot_obj", "present", "expected", "overdue", "position", "people_ahead", "estimated_time",
             "wait_minutes", "score", "first_estimate")


def with_patients(placed: list[Placed]) -> list[Token]:
    """The full tokens, each with its patient, of the placed ones a page shows, in the same order
    and keeping their place and estimate: one query for the rows shown, however long the day
    (a day's order read `with_patients=False` costs a fraction of one read as model instances)."""
    tokens = Token.objects.select_related("patient").in_bulk([p.id for p in placed])
    for p in placed:  # tokens are never deleted: each one is found
        for name in PLACEMENT:
            setattr(tokens[p.id], name, getattr(p, name))
    return [tokens[p.id] for p in placed]


def place_new_token(token: Token, now: datetime) -> None:
    """Give a token about to be inserted its place in its doctor's day (.position,
    .people_ahead, .present, .estimated_time, .wait_minutes, .score) and its first estimate,
    so the booking's answer needs no second read. Runs inside the booking's locks."""
    placed = Placed(*(getattr(token, name) for name in PLACED_FIELDS))
    slots = running_slots(doctor_id=token.doctor_id, day=token.day)
    day_queue(doctor_id=token.doctor_id, day=token.day, now=now, with_patients=False, slots=slots, joining=[placed])
    for name in ("position", "people_ahead", "present", "expected", "estimated_time", "wait_minutes", "score"):
        setattr(token, name, getattr(placed, name))
    token.first_estimate = placed.estimated_time


def record_first_estimates(order: list[Token]) -> None:
    """The first time a token is placed (its booking's answer, slip or screen), its estimate is
    what the patient is told: keep it beside the real call time for the report's error. One
    UPDATE per newly placed token, which only ever sets an empty field."""
    for token in order:
        if token.first_estimate is None and token.estimated_time is not None:
            Token.objects.filter(pk=token.pk, first_estimate__isnull=True).update(first_estimate=token.estimated_time)
            token.first_estimate = token.estimated_time


def place_tokens(tokens: list[Token], slots: list[Slot], pace: timedelta | None, now: datetime) -> list[Token]:
    """Put one doctor's active tokens of one day in serving order and annotate them (see DayQueue)."""
    by_id = {s.id: s for s in slots}
    for t in tokens:
        if t.slot_id not in by_id:  # not expected (a token always belongs to a running slot): keep it visible
            by_id[t.slot_id] = Slot.objects.get(pk=t.slot_id)
            by_id[t.slot_id].effective_delay = effective_delay(by_id[t.slot_id])
        t.slot_obj = by_id[t.slot_id]
    for t in tokens:
        t.present = t.status == Token.Status.ARRIVED
        t.expected = t.status == Token.Status.CONFIRMED
        t.overdue = t.expected and has_ended(t.slot_obj, now, t.slot_obj.effective_delay)
    order = priority.day_order(tokens, now, slot_start=lambda t: t.slot_obj.start_time)
    times = priority.estimated_times(
        order, now=now,
        start_of=lambda t: expected_start(t.slot_obj, t.slot_obj.effective_delay),
        step_of=lambda t: pace or t.slot_obj.consultation_length,
        overdue=lambda t: t.overdue,
    )
    for position, (token, estimate) in enumerate(zip(order, times), start=1):
        token.position = position
        token.people_ahead = position - 1
        token.estimated_time = estimate
        token.wait_minutes = priority.wait_minutes(estimate, now)
        token.score = priority.priority_score(token.priority, token.booked_at, now)
    return order


def queue_for_slot(*, slot: Slot, now: datetime | None = None) -> list[Token]:
    """The slot's active tokens in the day's serving order, placed over the doctor's day."""
    queue = day_queue(doctor_id=slot.doctor_id, day=slot.local_day, now=now)
    return [t for t in queue.order if t.slot_id == slot.pk]


def annotate_tokens(tokens: Iterable[Token], now: datetime | None = None) -> list[Token]:
    """Give any tokens .position, .people_ahead, .estimated_time, .wait_minutes, .present and
    .score over their doctor's day; tokens no longer in the queue get None for each."""
    now = now or timezone.now()
    tokens = list(tokens)
    placed = {}
    for doctor_id, day in {(t.doctor_id, t.day) for t in tokens}:
        for t in day_queue(doctor_id=doctor_id, day=day, now=now, with_patients=False).order:
            placed[t.id] = t
    for token in tokens:
        twin = placed.get(token.id)
        for name in ("position", "people_ahead", "estimated_time", "wait_minutes"):
            setattr(token, name, getattr(twin, name) if twin else None)
        if twin:
            token.first_estimate = twin.first_estimate  # recorded when the day was placed
        token.present = bool(twin and twin.present)
        token.expected = bool(twin and twin.expected)
        token.score = priority.priority_score(token.priority, token.booked_at, now)
    return tokens


def waiting_list_for_slot(*, slot: Slot, now: datetime | None = None) -> list[WaitingListEntry]:
    """The slot's waiting patients in promotion order, each with .place and .score."""
    now = now or timezone.now()
    entries = WaitingListEntry.objects.filter(slot=slot, status=WaitingListEntry.Status.WAITING)
    return annotate_waiting(entries.select_related("patient", "doctor__department"), now)


def annotate_waiting(entries: Iterable[WaitingListEntry], now: datetime) -> list[WaitingListEntry]:
    ordered = priority.serving_order(entries, now)
    for place, entry in enumerate(ordered, start=1):
        entry.place = place
        entry.score = priority.priority_score(entry.priority, entry.booked_at, now)
    return ordered


def annotate_waiting_places(entries: Iterable[WaitingListEntry], now: datetime | None = None) -> list:
    """Give any waiting-list entries their .place on their slot's list (None once resolved)."""
    now = now or timezone.now()
    entries = list(entries)
    slot_ids = {e.slot_id for e in entries}
    waiting_by_slot: dict = defaultdict(list)
    for e in WaitingListEntry.objects.filter(slot_id__in=slot_ids, status=WaitingListEntry.Status.WAITING).only(
        "id", "slot_id", "category", "priority", "booked_at", "status"  # what serving_key reads: a deferred one is a query each
    ):
        waiting_by_slot[e.slot_id].append(e)
    places = {}
    for waiting in waiting_by_slot.values():
        for e in annotate_waiting(waiting, now):
            places[e.id] = e.place
    for entry in entries:
        entry.place = places.get(entry.id)
        entry.score = priority.priority_score(entry.priority, entry.booked_at, now)
    return entries


def held_places(slot_ids) -> dict:
    """Places held in each slot (slot id -> count; slots holding none are left out), in one query."""
    return dict(
        Token.objects.holding_a_place().filter(slot_id__in=list(slot_ids))
        .order_by().values_list("slot_id").annotate(n=Count("id"))
    )


def slots_for_day(*, day: date, doctor_id=None):
    qs = Slot.objects.filter(start_time__date=day).select_related("doctor")
    if doctor_id:
        qs = qs.filter(doctor_id=doctor_id)
    return qs


def slot_board(*, day: date, now: datetime | None = None, doctor_id=None) -> list[Slot]:
    """The day's slots of active doctors, by doctor then time, each with what the desk shows:
    .held (places taken), .waiting (waiting-list length), .effective_delay (minutes), .ended
    and .has_room (open for a confirmed booking). Four queries whatever the number of slots."""
    now = now or timezone.now()
    slots = list(slots_for_day(day=day, doctor_id=doctor_id).filter(doctor__is_active=True).order_by("doctor__name", "start_time"))
    ids = [s.id for s in slots]
    held = held_places(ids)
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
class BoardRow:
    """One doctor on a public board: token labels and rooms only, never names of patients."""

    doctor: object
    now_calling: str | None
    next_labels: list  # present patients only, in serving order
    recent_labels: list
    delay_minutes: int


def current_delay(slots: list[Slot], now: datetime) -> tuple[Slot | None, int]:
    """The slot a "running late" notice is about (the one running now, or the next) and its delay."""
    slot = next((s for s in slots if not has_ended(s, now, s.effective_delay)), None)
    return slot, (slot.effective_delay if slot else 0)


def recently_called(*, doctor_id, day: date, count: int) -> list[Token]:
    """Tokens called earlier in the day (no longer with the doctor), latest first."""
    return list(
        Token.objects.filter(doctor_id=doctor_id, day=day, called_at__isnull=False)
        .exclude(status=Token.Status.CALLED).order_by("-called_at")
        .only("id", "token_number", "token_label", "called_at", "status")[:count]
    )


def board_row(*, doctor, now: datetime | None = None, upcoming: int = 5) -> BoardRow:
    now = now or timezone.now()
    queue = day_queue(doctor_id=doctor.pk, now=now, with_patients=False)
    latest = max(queue.current, key=lambda t: t.called_at or now, default=None)
    return BoardRow(
        doctor=doctor,
        now_calling=latest.token_label if latest else None,
        next_labels=[t.token_label for t in queue.present[:upcoming]],
        recent_labels=[t.token_label for t in recently_called(doctor_id=doctor.pk, day=queue.day, count=3)],
        delay_minutes=current_delay(queue.slots, now)[1],
    )


def board_state(*, display, now: datetime | None = None) -> list[BoardRow]:
    """The rows of a display's board, one per doctor it shows."""
    now = now or timezone.now()
    return [board_row(doctor=d, now=now) for d in display.shown_doctors()]


def waiting_for_day(*, doctor_id, day: date, slots: list[Slot], now: datetime) -> list[WaitingListEntry]:
    """The doctor's waiting-list entries of the day, slot by slot, each list in promotion order."""
    by_slot: dict = defaultdict(list)
    entries = WaitingListEntry.objects.filter(doctor_id=doctor_id, day=day, status=WaitingListEntry.Status.WAITING)
    for e in entries.select_related("patient", "doctor__department"):
        by_slot[e.slot_id].append(e)
    waiting = []
    for s in slots:
        for e in annotate_waiting(by_slot[s.id], now):
            e.slot_obj = s
            waiting.append(e)
    return waiting


# --- no-shows -------------------------------------------------------------------------------


def overdue_for_no_show(*, now: datetime) -> list[Token]:
    """Booked tokens not checked in past their no-show deadline (their slot's delayed end plus
    the doctor's grace period; priority.no_show_deadline), of today and yesterday."""
    today = timezone.localdate(now)
    candidates = list(
        Token.objects.filter(status=Token.Status.CONFIRMED, day__gte=today - timedelta(days=1), day__lte=today,
                             slot__end_time__lte=now).select_related("slot", "doctor")
    )
    delays = effective_delays({t.slot_id: t.slot for t in candidates}.values())
    return [
        t for t in candidates
        if now >= priority.no_show_deadline(t.slot.end_time, delays.get(t.slot_id, 0), t.doctor.no_show_grace_minutes)
    ]


def second_calls(tokens: Iterable[Token]) -> dict:
    """When each called token was called the second time: its latest "called again" since it
    was called (token id -> time; tokens called once are left out). One query."""
    called = {t.pk: t.called_at for t in tokens if t.status == Token.Status.CALLED and t.called_at}
    if not called:
        return {}
    found = {}
    recalls = QueueEvent.objects.filter(token_id__in=list(called), kind=QueueEvent.Kind.RECALLED).values_list("token_id", "at")
    for token_id, at in recalls:
        if at >= called[token_id] and (token_id not in found or at > found[token_id]):
            found[token_id] = at
    return found


def calls_to_offer_as_no_show(*, now: datetime) -> list[Token]:
    """Today's called patients the doctor should be offered as no-shows (queues.states.offer_no_show)."""
    from queues import states

    called = list(Token.objects.filter(status=Token.Status.CALLED, day=timezone.localdate(now)).select_related("doctor"))
    seconds = second_calls(called)
    return [
        t for t in called
        if states.offer_no_show(t, now=now, second_call_at=seconds.get(t.pk), grace_minutes=t.doctor.no_show_grace_minutes)
    ]

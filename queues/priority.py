"""Pure queue rules: priority scores, the doctor's day order, estimated times and how delays
cascade.

No database access here: every function takes plain values, so each rule is tested on its own.

The day order (`day_order`) is the one serving order of a doctor's day, across their slots:
1. the patient with the doctor (CALLED);
2. emergencies;
3. everyone else by slot start, then score (base priority minus the waiting bonus), then
   booking time and token number;
then patients placed behind someone (a skip, a late check-in, a reinstatement) are moved
right behind that patient, in the order they were placed. "Call next" takes the first present
(ARRIVED) patient of that order; booked patients who have not arrived keep their place but are
only "expected".
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable, Protocol, Sequence, TypeVar

EMERGENCY = "EMERGENCY"
BONUS_PER_HOUR = 0.1
MAX_BONUS = 1.0
CALLED, ARRIVED, CONFIRMED = "CALLED", "ARRIVED", "CONFIRMED"
# The doctor's measured pace needs this many recent consultations; until then each slot's
# length / capacity stands in.
MIN_PACE_SAMPLES = 5
PACE_SAMPLES = 20


def waiting_bonus(booked_at: datetime, now: datetime) -> float:
    """0.1 per hour since booking, at most 1.0; never negative (a booking dated ahead earns none)."""
    hours = max((now - booked_at).total_seconds(), 0.0) / 3600
    return min(hours * BONUS_PER_HOUR, MAX_BONUS)


def priority_score(base_priority: int, booked_at: datetime, now: datetime) -> float:
    """Final priority: lower is served first."""
    return base_priority - waiting_bonus(booked_at, now)


class Queued(Protocol):
    category: str
    priority: int
    booked_at: datetime
    status: str


T = TypeVar("T", bound=Queued)


def serving_key(item: Queued, now: datetime, slot_start: datetime | None = None) -> tuple:
    """Sort key of the serving order (see the module's docstring); `slot_start` orders the
    doctor's slots, None inside one slot (and on its waiting list)."""
    called_at = getattr(item, "called_at", None)
    is_called = getattr(item, "status", None) == CALLED
    return (
        0 if is_called else 1,
        called_at.timestamp() if is_called and called_at else 0.0,
        0 if item.category == EMERGENCY else 1,
        slot_start.timestamp() if slot_start and item.category != EMERGENCY else 0.0,
        round(priority_score(item.priority, item.booked_at, now), 9),
        item.booked_at,
        getattr(item, "token_number", None) or 0,
    )


def serving_order(items: Iterable[T], now: datetime) -> list[T]:
    """Order within one slot, or one slot's waiting list (promotion order)."""
    return sorted(items, key=lambda item: serving_key(item, now))


def day_order(items: Iterable[T], now: datetime, slot_start: Callable[[T], datetime]) -> list[T]:
    """The doctor's day in serving order. Items may carry `id`, `behind_id` (placed right
    behind that item) and `requeued_at` (when they were placed)."""
    ordered = sorted(items, key=lambda item: serving_key(item, now, slot_start(item)))
    placed = [i for i in ordered if getattr(i, "behind_id", None) and i.status != CALLED]
    for item in sorted(placed, key=lambda i: i.requeued_at or now):
        ids = [getattr(o, "id", None) for o in ordered]
        if item.behind_id not in ids:
            continue  # the anchor has left the queue: back to the item's own place
        ordered.remove(item)
        ordered.insert([getattr(o, "id", None) for o in ordered].index(item.behind_id) + 1, item)
    return ordered


def is_present(item: Queued) -> bool:
    """Checked in and waiting to be called (the patient with the doctor is not "waiting")."""
    return item.status == ARRIVED


def next_to_call(order: Sequence[T]) -> T | None:
    """The first present patient of the day order: who "call next" calls."""
    return next((item for item in order if is_present(item)), None)


def skip_anchor(order: Sequence[T], skipped: T) -> T | None:
    """Whom a skipped patient goes behind: the next present patient after them (None when
    nobody else is present: they stay next)."""
    return next((item for item in order if item is not skipped and is_present(item)), None)


def end_of_present_queue(order: Sequence[T], joining: T) -> T | None:
    """Whom a late arrival (or a reinstated no-show) goes behind: the last patient present or
    with the doctor. None when nobody is: they are next."""
    present = [item for item in order if item is not joining and item.status in (ARRIVED, CALLED)]
    return present[-1] if present else None


def measured_pace(durations: Iterable[timedelta]) -> timedelta | None:
    """The doctor's consultation time: the median of their recent consultations (called to
    completed), or None with fewer than MIN_PACE_SAMPLES."""
    durations = [d for d in durations if d > timedelta(0)]
    if len(durations) < MIN_PACE_SAMPLES:
        return None
    return statistics.median(durations)


def estimated_times(
    order: Sequence[T],
    *,
    now: datetime,
    start_of: Callable[[T], datetime],
    step_of: Callable[[T], timedelta],
    overdue: Callable[[T], bool] = lambda item: False,
) -> list[datetime | None]:
    """When each patient of the day order should be called (None for the patient with the
    doctor). Never earlier than now, never before the patient's slot (delayed) start, and one
    consultation (`step_of`) after the patient ahead, whether they are present or expected.
    An `overdue` patient (expected, but their slot is over) gets None and delays nobody: if they
    come, they join the end of the queue."""
    clock = now
    times: list[datetime | None] = []
    for item in order:
        if overdue(item):
            times.append(None)
            continue
        step = step_of(item)
        if item.status == CALLED:
            called_at = getattr(item, "called_at", None) or now
            clock = max(clock, called_at + step)  # the rest of the current consultation
            times.append(None)
            continue
        at = max(clock, start_of(item))
        times.append(at)
        clock = at + step
    return times


def wait_minutes(estimate: datetime | None, now: datetime) -> int | None:
    """"About N min": whole minutes from now, rounded up (0 means now)."""
    if estimate is None:
        return None
    return max(0, math.ceil((estimate - now).total_seconds() / 60))


def median_absolute_error_minutes(pairs: Iterable[tuple[datetime, datetime]]) -> float | None:
    """Median of |called - first estimate| in minutes over (first estimate, called at) pairs."""
    errors = [abs((called - estimate).total_seconds()) / 60 for estimate, called in pairs]
    return round(statistics.median(errors), 1) if errors else None


@dataclass(frozen=True)
class SlotTimes:
    id: object
    start: datetime
    end: datetime
    delay_minutes: int


def cascade_delays(slots: Sequence[SlotTimes]) -> dict[object, int]:
    """Effective delay in minutes of each of one doctor's slots on one day.

    A slot starts at its own start plus its own delay, but never before the previous slot's
    (delayed) end: a gap between slots absorbs part of an earlier delay.
    Slots 9-10, 10-11, 12-13 with the first delayed 30 -> 30, 30, 0; delayed 90 -> 90, 90, 30.
    Pass only slots that will run (not cancelled ones).
    """
    effective: dict[object, int] = {}
    previous_end: datetime | None = None
    for slot in sorted(slots, key=lambda s: s.start):
        delayed_start = slot.start + timedelta(minutes=slot.delay_minutes)
        if previous_end is not None and previous_end > delayed_start:
            delayed_start = previous_end
        minutes = round((delayed_start - slot.start).total_seconds() / 60)  # slots need not be minute-aligned
        effective[slot.id] = minutes
        previous_end = delayed_start + (slot.end - slot.start)
    return effective


def no_show_deadline(slot_end: datetime, delay_minutes: int, grace_minutes: int) -> datetime:
    """A booked patient not checked in by their slot's delayed end plus the doctor's grace period
    is a no-show. The slot's end, not the estimate: an estimate never falls behind the clock."""
    return slot_end + timedelta(minutes=delay_minutes + grace_minutes)

"""Pure queue rules: priority scores, serving order, estimated times and how delays cascade.

No database access here: every function takes plain values, so each rule is tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Protocol, Sequence, TypeVar

BASE_PRIORITY = {
    "EMERGENCY": 1,
    "PRIORITY_PAID": 2,
    "FOLLOWUP": 3,
    "ONLINE": 4,
    "WALKIN": 5,
}
BONUS_PER_HOUR = 0.1
MAX_BONUS = 1.0


def base_priority(category: str) -> int:
    return BASE_PRIORITY[category]


def waiting_bonus(booked_at: datetime, now: datetime) -> float:
    """0.1 per hour since booking, at most 1.0; never negative (a booking dated ahead earns none)."""
    hours = max((now - booked_at).total_seconds(), 0.0) / 3600
    return min(hours * BONUS_PER_HOUR, MAX_BONUS)


def priority_score(category: str, booked_at: datetime, now: datetime) -> float:
    """Final priority: lower is served first."""
    return base_priority(category) - waiting_bonus(booked_at, now)


class Queued(Protocol):
    category: str
    booked_at: datetime
    status: str


T = TypeVar("T", bound=Queued)


def serving_key(item: Queued, now: datetime) -> tuple:
    """Sort key of the serving order.

    1. A patient already called in stays at the head (they are with the doctor).
    2. Emergencies come before everyone else, whatever the others' waiting bonus.
    3. Then the priority score, earlier booking, lower token number.
    """
    called_at = getattr(item, "called_at", None)
    is_called = getattr(item, "status", None) == "CALLED"
    return (
        0 if is_called else 1,
        called_at.timestamp() if is_called and called_at else 0.0,
        0 if item.category == "EMERGENCY" else 1,
        round(priority_score(item.category, item.booked_at, now), 9),
        item.booked_at,
        getattr(item, "token_number", None) or 0,
    )


def serving_order(items: Iterable[T], now: datetime) -> list[T]:
    return sorted(items, key=lambda item: serving_key(item, now))


def consultation_length(start: datetime, end: datetime, max_capacity: int) -> timedelta:
    return (end - start) / max_capacity


def estimated_time(
    *, start: datetime, effective_delay_minutes: int, position: int, consultation: timedelta
) -> datetime:
    """Slot start + the slot's effective delay + (position - 1) consultations."""
    return start + timedelta(minutes=effective_delay_minutes) + (position - 1) * consultation


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

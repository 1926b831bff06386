"""Slots from a weekly pattern. `plan_slots` is a pure function; `generate_slots` adds the
slots it plans through scheduling.slots, skipping any that would overlap a slot the doctor
already has."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from django.utils import timezone

from scheduling.models import WeeklyPattern
from scheduling.slots import SlotBatch, create_slots

MAX_DAYS = 92  # one generation covers at most about a quarter


def plan_slots(*, weekdays: str, start: time, end: time, slot_minutes: int, date_from: date, date_to: date,
               tz: tzinfo) -> list[tuple[datetime, datetime]]:
    """(start, end) of each slot: on each chosen weekday between the dates (inclusive), from
    `start` in steps of `slot_minutes`; a last piece shorter than a slot is left out."""
    step = timedelta(minutes=slot_minutes)
    days = {int(d) for d in weekdays}
    planned = []
    day = date_from
    while day <= date_to:
        if day.weekday() in days:
            begins = timezone.make_aware(datetime.combine(day, start), tz)
            closes = timezone.make_aware(datetime.combine(day, end), tz)
            while begins + step <= closes:
                planned.append((begins, begins + step))
                begins += step
        day += timedelta(days=1)
    return planned


def generate_slots(*, pattern: WeeklyPattern, date_from: date, date_to: date) -> SlotBatch:
    planned = plan_slots(
        weekdays=pattern.weekdays, start=pattern.start, end=pattern.end, slot_minutes=pattern.slot_minutes,
        date_from=date_from, date_to=date_to, tz=timezone.get_current_timezone(),
    )
    return create_slots(doctor=pattern.doctor, times=planned, max_capacity=pattern.capacity)

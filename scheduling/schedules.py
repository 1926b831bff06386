"""Slots from a weekly pattern. `plan_slots` is a pure function; `generate_slots` writes the
slots it plans, skipping any that would overlap a slot the doctor already has."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from django.db import transaction
from django.utils import timezone

from scheduling.models import Slot, WeeklyPattern

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


@dataclass
class Generated:
    created: list[Slot] = field(default_factory=list)
    skipped: list[tuple[datetime, datetime]] = field(default_factory=list)


def generate_slots(*, pattern: WeeklyPattern, date_from: date, date_to: date) -> Generated:
    planned = plan_slots(
        weekdays=pattern.weekdays, start=pattern.start, end=pattern.end, slot_minutes=pattern.slot_minutes,
        date_from=date_from, date_to=date_to, tz=timezone.get_current_timezone(),
    )
    result = Generated()
    if not planned:
        return result
    with transaction.atomic():
        existing = list(
            Slot.objects.filter(doctor=pattern.doctor, start_time__lt=planned[-1][1], end_time__gt=planned[0][0])
            .exclude(status=Slot.Status.CANCELLED).values_list("start_time", "end_time")
        )
        for begins, ends in planned:
            if any(s < ends and e > begins for s, e in existing):
                result.skipped.append((begins, ends))
                continue
            result.created.append(Slot(doctor=pattern.doctor, start_time=begins, end_time=ends,
                                       max_capacity=pattern.capacity))
        Slot.objects.bulk_create(result.created)
    return result

"""Which dates the hospital's schedule may hold, in its own time zone (settings.TIME_ZONE).

A date outside the window (1 January of last year to 31 December two years ahead) is a typing
mistake, never a real clinic day: one stored BC timestamp once broke the slot list for everyone.
Every form and API input of a date or a slot's times is checked against it here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from scheduling.errors import SchedulingError

YEARS_BACK, YEARS_AHEAD = 1, 2


class DateOutOfRange(SchedulingError):
    code = "date_out_of_range"


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()), timezone.get_current_timezone())


def window() -> tuple[date, date]:
    """The first and last day the schedule may hold."""
    year = timezone.localdate().year
    return date(year - YEARS_BACK, 1, 1), date(year + YEARS_AHEAD, 12, 31)


def window_message() -> str:
    first, last = window()
    return f"Choose a date from {first:%d %b %Y} to {last:%d %b %Y}."


def day_in_window(day: date) -> bool:
    first, last = window()
    return first <= day <= last


def moment_in_window(moment: datetime) -> bool:
    """Compared as aware datetimes, without converting `moment` (year 1 or 9999 would overflow)."""
    first, last = window()
    return local_midnight(first) <= moment < local_midnight(last) + timedelta(days=1)


def check_moment(moment: datetime, *, field: str) -> None:
    if not moment_in_window(moment):
        raise DateOutOfRange(window_message(), field=field)


def validate_day(value: date) -> None:
    """A form or serializer validator for a date."""
    if value is not None and not day_in_window(value):
        raise ValidationError(window_message(), code="date_out_of_range")


def bookings_open_at(day: date) -> datetime:
    """When bookings for `day` open: local midnight BOOKING_OPENS_DAYS days before it."""
    return local_midnight(day - timedelta(days=settings.BOOKING_OPENS_DAYS))

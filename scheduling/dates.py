"""Which dates the hospital's schedule may hold, in its own time zone (settings.TIME_ZONE)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()), timezone.get_current_timezone())


def bookings_open_at(day: date) -> datetime:
    """When bookings for `day` open: local midnight BOOKING_OPENS_DAYS days before it."""
    return local_midnight(day - timedelta(days=settings.BOOKING_OPENS_DAYS))

"""Adding slots: the one home of the rules a new slot keeps. The API, the Schedules day page,
generation from a weekly pattern and the admin all add slots through here.

A slot ends after it starts, lasts at most MAX_SLOT_LENGTH, holds 1 to MAX_SLOT_CAPACITY
patients, and overlaps none of its doctor's slots that are not cancelled. Slots are half-open:
one ending at 10:00 and one starting at 10:00 do not overlap.

Locking: the overlap check and the insert run in one transaction that holds the doctor's row
lock, taken before the check, so two slots for one doctor cannot both pass it at the same
moment. The lock is `SELECT ... FOR NO KEY UPDATE`: it serialises slot changes for one doctor
but does not wait for bookings, whose inserts take only a key-share lock on the doctor row.
PostgreSQL's `lock_timeout` turns a stuck lock into DoctorBusy. On SQLite every transaction
starts IMMEDIATE (config.settings), which serialises writers anyway.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import OperationalError, transaction
from django.utils import timezone

from scheduling.dates import check_moment
from scheduling.errors import DoctorBusy, InvalidSlot, SlotOverlap
from scheduling.models import MAX_SLOT_CAPACITY, MAX_SLOT_LENGTH, Doctor, Slot

Times = tuple[datetime, datetime]


@dataclass
class SlotBatch:
    """What create_slots did: the slots it added and the times it left out (overlapping)."""

    created: list[Slot] = field(default_factory=list)
    skipped: list[Times] = field(default_factory=list)


def check_limits(*, start_time: datetime, end_time: datetime, max_capacity: int) -> None:
    """A slot's own times and capacity within the limits (no database)."""
    check_moment(start_time, field="start_time")
    check_moment(end_time, field="end_time")
    if end_time <= start_time:
        raise InvalidSlot("The slot must end after it starts.", field="end_time")
    if end_time - start_time > MAX_SLOT_LENGTH:
        hours = MAX_SLOT_LENGTH // timedelta(hours=1)
        raise InvalidSlot(f"A slot cannot be longer than {hours} hours.", field="end_time")
    if not 1 <= max_capacity <= MAX_SLOT_CAPACITY:
        raise InvalidSlot(
            f"A slot holds from 1 to {MAX_SLOT_CAPACITY} patients; {max_capacity} is outside that.",
            field="max_capacity",
        )


def create_slot(*, doctor: Doctor, start_time: datetime, end_time: datetime, max_capacity: int,
                skip_locking: bool = False) -> Slot:
    """Add one slot, or refuse with InvalidSlot, SlotOverlap or DoctorBusy.

    `skip_locking` leaves out the doctor's lock. Only the race test's control sets it, to show
    that without the lock two overlapping slots do get in (tests/concurrency)."""
    check_limits(start_time=start_time, end_time=end_time, max_capacity=max_capacity)
    with _doctor_locked(doctor, skip_locking=skip_locking):
        _refuse_overlap(doctor, start_time, end_time)
        return Slot.objects.create(doctor=doctor, start_time=start_time, end_time=end_time, max_capacity=max_capacity)


def create_slots(*, doctor: Doctor, times: list[Times], max_capacity: int, skip_locking: bool = False) -> SlotBatch:
    """Add several slots of one doctor under one lock (generation from a weekly pattern). Times
    that would overlap a slot the doctor has, or an earlier one in `times`, are skipped; a time
    or capacity outside the limits refuses the whole batch (InvalidSlot). `skip_locking`: as
    for create_slot."""
    for start_time, end_time in times:
        check_limits(start_time=start_time, end_time=end_time, max_capacity=max_capacity)
    batch = SlotBatch()
    if not times:
        return batch
    with _doctor_locked(doctor, skip_locking=skip_locking):
        taken = _taken(doctor, min(s for s, _ in times), max(e for _, e in times))
        for start_time, end_time in times:
            if _first_clash(taken, start_time, end_time):
                batch.skipped.append((start_time, end_time))
                continue
            taken.append((start_time, end_time))
            batch.created.append(Slot(doctor=doctor, start_time=start_time, end_time=end_time, max_capacity=max_capacity))
        Slot.objects.bulk_create(batch.created)
    return batch


def check_new_slot(*, doctor: Doctor, start_time: datetime, end_time: datetime, max_capacity: int) -> None:
    """create_slot's checks, with the doctor's lock, for a caller that saves the slot itself in
    the transaction it is already in: the admin's add form (Django's admin validates and saves a
    form in one transaction). The lock is held until that transaction ends."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("check_new_slot must run in the transaction that saves the slot")
    check_limits(start_time=start_time, end_time=end_time, max_capacity=max_capacity)
    with _doctor_locked(doctor, skip_locking=False):
        _refuse_overlap(doctor, start_time, end_time)


# --- the overlap rule -------------------------------------------------------------------------


def _taken(doctor: Doctor, start_time: datetime, end_time: datetime) -> list[Times]:
    """(start, end) of the doctor's slots, not cancelled, that overlap [start_time, end_time)."""
    return list(
        Slot.objects.filter(doctor=doctor, start_time__lt=end_time, end_time__gt=start_time)
        .exclude(status=Slot.Status.CANCELLED)
        .order_by("start_time")
        .values_list("start_time", "end_time")
    )


def _first_clash(taken: list[Times], start_time: datetime, end_time: datetime) -> Times | None:
    return next(((s, e) for s, e in taken if s < end_time and start_time < e), None)


def _refuse_overlap(doctor: Doctor, start_time: datetime, end_time: datetime) -> None:
    clash = _first_clash(_taken(doctor, start_time, end_time), start_time, end_time)
    if clash:
        begins, ends = (timezone.localtime(t) for t in clash)
        raise SlotOverlap(
            f"{doctor.name} already has a slot overlapping that time: {begins:%H:%M}–{ends:%H:%M} on {begins:%a %d %b}."
        )


# --- the lock ---------------------------------------------------------------------------------


def _is_lock_timeout(exc: OperationalError) -> bool:
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    return sqlstate == "55P03" or "database is locked" in str(exc)


@contextmanager
def _doctor_locked(doctor: Doctor, *, skip_locking: bool):
    """A transaction holding the doctor's row lock (see the module's notes)."""
    try:
        with transaction.atomic():
            if not skip_locking and not list(
                Doctor.objects.select_for_update(no_key=True).filter(pk=doctor.pk).values_list("pk", flat=True)
            ):
                raise InvalidSlot("No such doctor.", field="doctor")
            yield
    except OperationalError as exc:
        if _is_lock_timeout(exc):
            raise DoctorBusy() from exc
        raise

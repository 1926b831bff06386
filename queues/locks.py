"""Every lock the allocation service takes, and the one switch that turns them off.

1. `SELECT ... FOR NO KEY UPDATE` on the slot row serialises everything that touches one slot
   (NO KEY: inserts that merely point at the slot, holding other locks, need not wait for it).
2. The doctor's day ledger (DoctorDay) row is locked next, when an operation hands out a token
   number or must see the doctor's whole day (one booking per patient per doctor per day; "call
   next" locks only the ledger). On PostgreSQL a booking takes both in one statement.
Always slot first, then ledger, and never two slots in one transaction: no deadlocks. A lock
that waits past LOCK_TIMEOUT_MS ends the transaction with SlotBusy (a clear "try again"). On
SQLite, whose transactions here start IMMEDIATE, every write transaction is serialised anyway.

`disabled()` exists for one caller: the race tests' control (tests/concurrency), which runs a race
without the locks to prove that the locks are what keeps the invariants (pretix's skip-locking).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, connections, transaction

from queues import sql
from queues.errors import SlotBusy, SlotNotFound
from scheduling.models import Slot


@dataclass
class _Unlocked:
    widen: float
    side: object  # a connection of its own, in autocommit: the ledger's counter without a lock


_unlocked: _Unlocked | None = None  # set only inside disabled()


@contextmanager
def disabled(*, widen: float):
    """For the race tests' control only, on PostgreSQL: in this process, until the block ends,
    each slot lock is a plain read and each ledger lock an update committed at once on a side
    connection (numbers stay distinct, but nothing waits for anything), and `after_check()`
    pauses `widen` seconds, holding open the window between a check and its write that the
    locks close, so the race shows every time."""
    global _unlocked
    side = connections.create_connection("default")
    _unlocked = _Unlocked(widen=widen, side=side)
    try:
        yield
    finally:
        _unlocked = None
        side.close()


def after_check() -> None:
    """Called between a check and the write it decides: does nothing unless the locks are disabled."""
    if _unlocked is not None:
        time.sleep(_unlocked.widen)


def _is_lock_failure(exc: OperationalError) -> bool:
    sqlstate = getattr(getattr(exc, "__cause__", None), "sqlstate", None)
    return sqlstate == "55P03" or "database is locked" in str(exc)


@contextmanager
def atomic():
    """An atomic block whose lock timeouts become SlotBusy."""
    try:
        with transaction.atomic():
            yield
    except OperationalError as exc:
        if _is_lock_failure(exc):
            raise SlotBusy() from exc
        raise


def _slot(slot_id) -> Slot:
    if _unlocked is None:
        return sql.select_slot_for_update(slot_id)
    try:
        return Slot.objects.get(pk=slot_id)
    except (Slot.DoesNotExist, ValueError, TypeError, ValidationError):
        raise SlotNotFound() from None


def day(doctor_id, on: date, *, step: int = 0) -> tuple[int, int]:
    """Lock (creating it if need be) the doctor's ledger of the day `on`, inside the caller's
    transaction, moving its token counter on by `step`; returns (ledger id, last token number
    handed out). A number taken this way is the caller's: a refusal rolls it back."""
    if _unlocked is None:
        return sql.lock_doctor_day(doctor_id, on, step=step)
    return sql.lock_doctor_day(doctor_id, on, step=step, using=_unlocked.side)


@contextmanager
def slot_locked(slot_id):
    """A transaction holding the slot's row lock; yields the freshly read slot."""
    with atomic():
        yield _slot(slot_id)


@contextmanager
def slot_and_day_locked(slot_id):
    """A transaction holding the slot's lock, then its doctor's day ledger with the day's next
    token number taken; yields (slot, ledger id, number). On PostgreSQL both locks come in one
    statement, the slot's first: one round trip fewer on every booking."""
    with atomic():
        if connection.vendor == "postgresql" and _unlocked is None:
            yield sql.lock_slot_and_day(slot_id)
        else:
            slot = _slot(slot_id)
            yield (slot, *day(slot.doctor_id, slot.local_day, step=1))

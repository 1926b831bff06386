"""The hand-written SQL of the booking path, in one place.

Each statement here runs on every booking, most of them while the slot's row lock is held, and
each replaces ORM queries whose compilation cost more CPU than the query itself (see
docs/benchmarks.md). Everything else uses the ORM. Each function returns plain values converted
as the ORM would, and runs on PostgreSQL and SQLite (tests/queues/test_sql.py compares each with the ORM;
the SQLite race tests run them on SQLite).
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from queues.errors import PatientNotFound, SlotNotFound
from queues.models import DoctorDay, Token, WaitingListEntry
from scheduling.models import Doctor, Patient, Slot

_SLOT_FIELDS = [f.attname for f in Slot._meta.concrete_fields]


def _once_per_database(build):
    """Build a statement or converter once per database backend and keep it: they depend only
    on the models and the backend, and building them cost as much as running them."""
    built = {}

    @functools.wraps(build)
    def get(*args):
        key = (connection.vendor, *args)
        if key not in built:
            built[key] = build(*args)
        return built[key]

    return get


def _timestamps_in_c(cursor) -> None:
    """Read this cursor's timestamps with psycopg's own loader (C) instead of Django's (Python,
    about ten times slower), which only re-attaches the connection's time zone: when that is
    UTC, the session's, both give the same values. The day's tokens carry five timestamps each."""
    if connection.vendor == "postgresql" and connection.timezone_name == "UTC":
        from psycopg.types.datetime import TimestamptzLoader

        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _pk(model, value, missing: type[Exception]):
    try:
        return model._meta.pk.get_db_prep_value(value, connection)
    except (ValueError, TypeError, ValidationError):
        raise missing() from None


def _slot_columns(prefix: str = "") -> str:
    return ", ".join(prefix + _quote(Slot._meta.get_field(name).column) for name in _SLOT_FIELDS)


@_once_per_database
def _converter(model, names: tuple):
    """A function turning a row of the columns `names` into the values the ORM would return
    (on SQLite: UUIDs, datetimes; on PostgreSQL psycopg's own types need nothing)."""
    columns = [model._meta.get_field(name).get_col(model._meta.db_table) for name in names]
    steps = [(i, convert, column) for i, column in enumerate(columns)
             for convert in connection.ops.get_db_converters(column) + column.get_db_converters(connection)]
    if not steps:
        return list

    def convert_row(row) -> list:
        values = list(row)
        for i, convert, column in steps:
            values[i] = convert(values[i], column, connection)
        return values

    return convert_row


def _slot_from_row(row) -> Slot:
    return Slot.from_db(connection.alias, _SLOT_FIELDS, _converter(Slot, tuple(_SLOT_FIELDS))(row))


def _slot_lock_clause() -> str:
    """NO KEY UPDATE, not UPDATE: slot lockers still queue for each other, but a transaction that
    only inserts a row pointing at the slot (a "call next" writing its event, holding the doctor's
    ledger) takes a KEY SHARE lock on it, which FOR UPDATE would block: a deadlock with anyone
    holding the slot and waiting for that ledger. SQLite has no row locks (see below)."""
    features = connection.features
    if features.has_select_for_no_key_update:
        return " FOR NO KEY UPDATE"
    return " FOR UPDATE" if features.has_select_for_update else ""


@_once_per_database
def _select_slot_sql() -> str:
    return f"SELECT {_slot_columns()} FROM {_quote(Slot._meta.db_table)} WHERE id = %s{_slot_lock_clause()}"


def select_slot_for_update(slot_id) -> Slot:
    """The slot, its row locked (SQLite has no row locks: its IMMEDIATE transaction already
    holds the database's write lock). SlotNotFound when there is none."""
    with connection.cursor() as cursor:
        cursor.execute(_select_slot_sql(), [_pk(Slot, slot_id, SlotNotFound)])
        row = cursor.fetchone()
    if row is None:
        raise SlotNotFound()
    return _slot_from_row(row)


def _ledger_upsert(values: str, step: str) -> str:
    """Insert the doctor's day ledger row with `values`, or move its counter on by `step`:
    either way the row is locked and its id and last token number returned."""
    ledger = _quote(DoctorDay._meta.db_table)
    return (
        f"INSERT INTO {ledger} (doctor_id, day, last_token_number, last_waiting_number) {values} "
        f"ON CONFLICT (doctor_id, day) DO UPDATE SET last_token_number = {ledger}.last_token_number + {step} "
        "RETURNING id, last_token_number"
    )


@_once_per_database
def _lock_slot_and_day_sql() -> str:
    ledger = _ledger_upsert("SELECT doctor_id, (start_time AT TIME ZONE %s)::date, 1, 0 FROM s", "1")
    return (
        f"WITH s AS (SELECT {_slot_columns()} FROM {_quote(Slot._meta.db_table)} WHERE id = %s{_slot_lock_clause()}), "
        f"l AS ({ledger}) SELECT {_slot_columns('s.')}, l.id, l.last_token_number FROM s CROSS JOIN l"
    )


def lock_slot_and_day(slot_id) -> tuple[Slot, int, int]:
    """PostgreSQL only: lock the slot row, then upsert-lock its doctor's day ledger taking the
    next token number, in one statement; returns (slot, ledger id, number). The ledger's insert
    reads the locked slot row, so the slot's lock comes first, as everywhere else. The day is the
    slot's start in the hospital's time zone, as Slot.local_day computes it."""
    with connection.cursor() as cursor:
        cursor.execute(_lock_slot_and_day_sql(), [_pk(Slot, slot_id, SlotNotFound), settings.TIME_ZONE])
        row = cursor.fetchone()
    if row is None:
        raise SlotNotFound()
    *slot_row, ledger_id, number = row
    return _slot_from_row(slot_row), ledger_id, number


@_once_per_database
def _lock_doctor_day_sql() -> str:
    return _ledger_upsert("VALUES (%s, %s, %s, 0)", "%s")


def lock_doctor_day(doctor_id, day: date, *, step: int = 0, using=None) -> tuple[int, int]:
    """Lock (creating it if need be) the doctor's day ledger, moving its token counter on by
    `step`; returns (ledger id, last token number handed out). One upsert, which takes the row
    lock whether it inserts or not. `using`: another connection than the default one (the
    race tests' unlocked control, queues.locks.disabled)."""
    doctor = DoctorDay._meta.get_field("doctor").get_db_prep_value(doctor_id, connection)
    with (using or connection).cursor() as cursor:
        cursor.execute(_lock_doctor_day_sql(), [doctor, connection.ops.adapt_datefield_value(day), step, step])
        ledger_id, last_number = cursor.fetchone()
    return ledger_id, last_number


@_once_per_database
def _patient_state_sql() -> str:
    tokens, waiting = _quote(Token._meta.db_table), _quote(WaitingListEntry._meta.db_table)
    patients, doctors = _quote(Patient._meta.db_table), _quote(Doctor._meta.db_table)
    departments = _quote(Doctor._meta.get_field("department").related_model._meta.db_table)
    holding = ", ".join(["%s"] * len(Token.HOLDING_A_PLACE))
    active = ", ".join(["%s"] * len(Token.ACTIVE))
    return (
        f"SELECT (SELECT COUNT(*) FROM {tokens} WHERE slot_id = %s AND status IN ({holding})), "
        f"(SELECT token_label FROM {tokens} WHERE doctor_id = %s AND day = %s AND patient_id = p.id "
        f"AND status IN ({active}) LIMIT 1), "
        f"EXISTS(SELECT 1 FROM {waiting} WHERE doctor_id = %s AND day = %s AND patient_id = p.id AND status = %s), "
        f"p.name, (SELECT COALESCE(NULLIF(d.token_prefix, ''), dep.token_prefix, '') FROM {doctors} d "
        f"LEFT JOIN {departments} dep ON dep.id = d.department_id WHERE d.id = %s) "
        f"FROM {patients} p WHERE p.id = %s"
    )


def patient_state(slot: Slot, patient_id) -> dict:
    """For a booking, in one query: does the patient exist (and their name, for the answer), how
    many places the slot holds, the label of the patient's active token with this doctor today
    (None), whether they wait on the doctor's list today, and the doctor's token prefix.
    PatientNotFound when there is no such patient."""
    patient = _pk(Patient, patient_id, PatientNotFound)
    slot_pk = Slot._meta.pk.get_db_prep_value(slot.pk, connection)
    doctor = Doctor._meta.pk.get_db_prep_value(slot.doctor_id, connection)
    day = connection.ops.adapt_datefield_value(slot.local_day)
    params = [
        slot_pk, *Token.HOLDING_A_PLACE,
        doctor, day, *Token.ACTIVE,
        doctor, day, WaitingListEntry.Status.WAITING,
        doctor, patient,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_patient_state_sql(), params)
        row = cursor.fetchone()
    if row is None:
        raise PatientNotFound()
    held, active_token, is_waiting, name, prefix = row
    return {"held": held, "active_token": active_token, "waiting": bool(is_waiting), "patient_name": name,
            "prefix": prefix}


DAY_SLOT_FIELDS = ("id", "start_time", "end_time", "delay_minutes", "max_capacity")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The hospital's local day as [start, end) instants."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


@_once_per_database
def _running_slots_sql() -> str:
    columns = ", ".join(_quote(Slot._meta.get_field(name).column) for name in DAY_SLOT_FIELDS)
    return (f"SELECT {columns} FROM {_quote(Slot._meta.db_table)} WHERE doctor_id = %s AND start_time >= %s "
            "AND start_time < %s AND status <> %s ORDER BY start_time")


def running_slots(doctor_id, day: date) -> list[list]:
    """The doctor's slots of the local day that run (not cancelled), by start: rows of
    DAY_SLOT_FIELDS."""
    start, end = (connection.ops.adapt_datetimefield_value(t) for t in day_bounds(day))
    doctor = Doctor._meta.pk.get_db_prep_value(doctor_id, connection)
    with connection.cursor() as cursor:
        _timestamps_in_c(cursor)
        cursor.execute(_running_slots_sql(), [doctor, start, end, Slot.Status.CANCELLED])
        rows = cursor.fetchall()
    return list(map(_converter(Slot, DAY_SLOT_FIELDS), rows))


@_once_per_database
def _active_tokens_sql(names: tuple) -> str:
    columns = ", ".join(_quote(Token._meta.get_field(name).column) for name in names)
    return (f"SELECT {columns} FROM {_quote(Token._meta.db_table)} WHERE doctor_id = %s AND day = %s "
            f"AND status IN ({', '.join(['%s'] * len(Token.ACTIVE))})")


def active_tokens(doctor_id, day: date, names: tuple) -> list[list]:
    """The doctor's active tokens of the day (see Token.ACTIVE): rows of the fields `names`
    (attribute names: `slot_id`)."""
    doctor = Doctor._meta.pk.get_db_prep_value(doctor_id, connection)
    with connection.cursor() as cursor:
        _timestamps_in_c(cursor)
        cursor.execute(_active_tokens_sql(names), [doctor, connection.ops.adapt_datefield_value(day), *Token.ACTIVE])
        rows = cursor.fetchall()
    return list(map(_converter(Token, names), rows))


@_once_per_database
def _insert_sql(model) -> tuple[str, list]:
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
    columns = ", ".join(_quote(f.column) for f in fields)
    return f"INSERT INTO {_quote(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})", fields


def insert_together(*instances) -> None:
    """Insert new model instances in one round trip on PostgreSQL (one statement of
    data-modifying CTEs; the foreign keys are checked at its end), one INSERT each elsewhere.
    Database-generated ids (QueueEvent's) are not read back: nobody needs them."""
    statements, params = [], []
    for obj in instances:
        statement, fields = _insert_sql(type(obj))
        statements.append(statement)
        params.append([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
        obj._state.adding, obj._state.db = False, connection.alias
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ctes = ", ".join(f"new{n} AS ({sql})" for n, sql in enumerate(statements[:-1]))
            cursor.execute(f"WITH {ctes} {statements[-1]}" if ctes else statements[-1], [p for ps in params for p in ps])
        else:
            for sql, values in zip(statements, params):
                cursor.execute(sql, values)

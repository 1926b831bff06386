"""The patient registry's changes, each in one transaction: registering (duplicate checks and
the hospital's number, UHID), edits, deletions, and who opened a record; edits, deletions and
views are recorded (PatientRecordEvent).

Every registration takes the lock of the UHID series it draws from (one row of UhidSeries,
upserted and moved on in one statement, like a doctor's day ledger hands out token numbers),
then looks for duplicates, then inserts. So two registrations of the same person at two
counters cannot both pass the check, and a UHID is never handed out twice: a registration that
is refused rolls its number back before anyone saw it; a registered one keeps it for good.

Who may: the desk (Reception) registers, finds and corrects patients; only managers delete a
patient record, and only one with no bookings (the database protects the others).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from scheduling import identity
from scheduling.errors import PossibleDuplicate, RegistryBusy
from scheduling.models import Patient, PatientRecordEvent, UhidSeries
from scheduling.patient_search import similarity

SAME_NAME = 0.85  # names this alike (difflib ratio) with the same phone are taken for one person


def phone_key(phone: str) -> str:
    """The last 10 digits: "+91 98765 43210" and "9876543210" are one phone."""
    return "".join(c for c in phone or "" if c.isdigit())[-10:]


def find_duplicates(*, name: str, phone: str = "", abha_number: str | None = None,
                    abha_address: str | None = None, exclude_id=None) -> tuple[list[Patient], bool]:
    """Patients who may be the one being registered, and whether registering anyway is allowed.
    An ABHA number or address already held is one person for certain (never allowed); the same
    phone with a name this alike is probably the same person (allowed when the desk confirms)."""
    patients = Patient.objects.exclude(pk=exclude_id) if exclude_id else Patient.objects.all()
    abha = Q(pk__in=[])
    if abha_number:
        abha |= Q(abha_number=abha_number)
    if abha_address:
        abha |= Q(abha_address__iexact=abha_address)
    same_abha = list(patients.filter(abha)[:5])
    if same_abha:
        return same_abha, False
    key = phone_key(phone)
    if len(key) < 6:
        return [], True
    same_phone = patients.filter(phone__endswith=key)[:50]
    return [p for p in same_phone if similarity(name, p.name) >= SAME_NAME and phone_key(p.phone) == key][:5], True


def _duplicate_error(matches, can_confirm: bool) -> PossibleDuplicate:
    first = matches[0]
    who = f"{first.name}" + (f", UHID {first.hospital_number}" if first.hospital_number else "")
    if can_confirm:
        return PossibleDuplicate(
            f"This looks like a patient already registered ({who}, phone {first.phone}). "
            "Use that patient, or confirm that this is a new patient.", matches=matches, can_confirm=True)
    return PossibleDuplicate(
        f"This ABHA is already registered to {who}: use that patient.", matches=matches, can_confirm=False)


@contextmanager
def _series_locked(today: date):
    """A transaction holding the lock of today's UHID series; yields a function handing out the
    series' next number."""
    pattern = settings.UHID_PATTERN
    series = identity.uhid_series(pattern, today=today)
    try:
        with transaction.atomic():
            _move_series(series, step=0)  # the lock, before the duplicate check it protects
            yield lambda: identity.render_uhid(pattern, seq=_move_series(series, step=1), today=today)
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == "55P03" or "database is locked" in str(exc):
            raise RegistryBusy() from exc
        raise


def _move_series(series: str, *, step: int) -> int:
    table = UhidSeries._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (series, last_number) VALUES (%s, %s) "
            f"ON CONFLICT (series) DO UPDATE SET last_number = {table}.last_number + %s RETURNING last_number",
            [series, step, step],
        )
        return cursor.fetchone()[0]


def register_patient(*, name: str, phone: str = "", email: str = "", hospital_number: str | None = None,
                     abha_number: str | None = None, abha_address: str | None = None, guardian_name: str = "",
                     locality: str = "", date_of_birth: date | None = None, age: int | None = None, sex: str = "",
                     confirm_new: bool = False) -> Patient:
    """Register a patient (fields already validated by the form or serializer). Raises
    PossibleDuplicate when they match someone already registered, unless `confirm_new` and the
    match is by name and phone only. Without a hospital number, the next UHID is given."""
    phone = identity.compact_phone(phone)
    with _series_locked(timezone.localdate()) as next_uhid:
        matches, can_confirm = find_duplicates(name=name, phone=phone, abha_number=abha_number, abha_address=abha_address)
        if matches and not (can_confirm and confirm_new):
            raise _duplicate_error(matches, can_confirm)
        if not hospital_number:
            hospital_number = next_uhid()
            while Patient.objects.filter(hospital_number=hospital_number).exists():  # an older number typed in
                hospital_number = next_uhid()
        try:
            with transaction.atomic():
                return Patient.objects.create(
                    name=name, phone=phone, email=email, hospital_number=hospital_number, abha_number=abha_number,
                    abha_address=abha_address, guardian_name=guardian_name, locality=locality,
                    date_of_birth=date_of_birth, age=age, sex=sex,
                )
        except IntegrityError:
            matches, _ = find_duplicates(name=name, abha_number=abha_number, abha_address=abha_address)
            if matches:  # an ABHA registered a moment ago by a registration that took another series' lock
                raise _duplicate_error(matches, False) from None
            raise

Kind = PatientRecordEvent.Kind


def _record(kind: str, *, patient: Patient, by, via: str, changes: dict | None = None) -> PatientRecordEvent:
    actor = by if getattr(by, "is_authenticated", False) else None
    return PatientRecordEvent.objects.create(
        kind=kind, patient_id=patient.pk, patient_name=patient.name, actor=actor,
        actor_name=actor.get_username() if actor else "", via=via, changes=changes,
    )


def _plain(value):
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def update_patient(*, patient: Patient, fields: dict, by, via: str) -> Patient:
    """Save validated new values for some of the patient's fields; records which changed."""
    changes = {
        name: [_plain(getattr(patient, name)), _plain(value)]
        for name, value in fields.items() if getattr(patient, name) != value
    }
    with transaction.atomic():
        for name, value in fields.items():
            setattr(patient, name, value)
        patient.save()
        if changes:
            _record(Kind.EDITED, patient=patient, by=by, via=via, changes=changes)
    return patient


def delete_patient(*, patient: Patient, by, via: str) -> None:
    """Delete a patient record; refused (ProtectedError) while bookings refer to it."""
    with transaction.atomic():
        _record(Kind.DELETED, patient=patient, by=by, via=via)
        patient.delete()


def record_view(*, patient: Patient, by, via: str) -> None:
    """Someone opened this patient's record (the desk's patient panel, the API's detail)."""
    _record(Kind.VIEWED, patient=patient, by=by, via=via)

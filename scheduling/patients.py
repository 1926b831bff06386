"""Changes to the patient registry, each recorded (PatientRecordEvent) in the same transaction:
edits with what changed, deletions with the patient's name, and who opened a patient's record.

Who may: the desk (Reception) registers, finds and corrects patients; only managers delete a
patient record, and only one with no bookings (the database protects the others).
"""

from __future__ import annotations

from django.db import transaction

from scheduling.models import Patient, PatientRecordEvent

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

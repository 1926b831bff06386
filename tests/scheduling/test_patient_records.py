"""Changes to the patient registry leave a record: who edited or deleted a patient, when, and
what changed. Reception may correct a patient's details; only managers delete a patient (one
registered twice by mistake, with no bookings)."""

import pytest
from rest_framework.test import APIClient

from scheduling.models import Patient, PatientRecordEvent
from tests.staff import make_staff

pytestmark = pytest.mark.django_db


def as_role(role):
    client = APIClient()
    user = make_staff(role.lower(), role)
    client.force_authenticate(user)
    return client, user


def test_an_edit_by_reception_records_who_changed_what(patient):
    client, clerk = as_role("Reception")
    old_phone = patient.phone
    response = client.patch(f"/api/v1/patients/{patient.pk}/", {"phone": "9123456789", "name": patient.name}, format="json")
    assert response.status_code == 200
    (event,) = PatientRecordEvent.objects.all()
    assert (event.kind, event.patient_id, event.actor, event.actor_name, event.via) == (
        "EDITED", patient.pk, clerk, "reception", "api")
    assert event.changes == {"phone": [old_phone, "9123456789"]}  # the unchanged name is not listed


def test_reception_cannot_delete_a_patient(patient):
    client, _ = as_role("Reception")
    assert client.delete(f"/api/v1/patients/{patient.pk}/").status_code == 403
    assert Patient.objects.filter(pk=patient.pk).exists() and not PatientRecordEvent.objects.exists()


def test_a_manager_deleting_a_patient_leaves_a_record_with_the_name(patient):
    client, manager = as_role("Manager")
    assert client.delete(f"/api/v1/patients/{patient.pk}/").status_code == 204
    (event,) = PatientRecordEvent.objects.all()
    assert (event.kind, event.patient_id, event.patient_name, event.actor) == ("DELETED", patient.pk, "Jane Doe", manager)


def test_a_patient_with_bookings_is_not_deleted_and_nothing_is_recorded(slot, patient):
    from queues import allocation

    allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    client, _ = as_role("Manager")
    assert client.delete(f"/api/v1/patients/{patient.pk}/").status_code == 409
    assert Patient.objects.filter(pk=patient.pk).exists() and not PatientRecordEvent.objects.exists()


def test_an_edit_in_the_admin_is_recorded_too(client, django_user_model, patient):
    admin = django_user_model.objects.create_superuser("root", password="root-pass-123")
    client.force_login(admin)
    response = client.post(f"/admin/scheduling/patient/{patient.pk}/change/", {
        "name": "Jane Q. Doe", "phone": patient.phone, "email": "", "hospital_number": "", "age": "", "sex": "",
    })
    assert response.status_code == 302
    (event,) = PatientRecordEvent.objects.all()
    assert (event.kind, event.via, event.actor, event.changes) == ("EDITED", "admin", admin, {"name": ["Jane Doe", "Jane Q. Doe"]})

"""The audit trail cannot be bypassed: the event log keeps who acted even if someone tries to
delete their login, the database itself refuses to change or delete an event, and who opened a
patient's record is recorded."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from rest_framework.test import APIClient

from queues import allocation
from queues.models import QueueEvent
from scheduling import patients
from scheduling.models import PatientRecordEvent
from tests.staff import make_staff

pytestmark = pytest.mark.django_db


def test_a_login_that_acted_cannot_be_deleted_and_its_events_keep_it(slot, patient):
    clerk = make_staff("clerk", "Reception")
    allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN", by=clerk)
    with pytest.raises(ProtectedError):
        clerk.delete()
    assert QueueEvent.objects.get(kind="BOOKED").actor == clerk


def test_the_admin_says_why_such_a_login_cannot_be_deleted(admin_client, slot, patient):
    clerk = make_staff("clerk", "Reception")
    allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN", by=clerk)
    page = admin_client.post(f"/admin/auth/user/{clerk.pk}/delete/", {"post": "yes"})
    assert page.status_code == 200 and "Cannot delete user" in page.content.decode()
    clerk.refresh_from_db()  # still there


@pytest.mark.parametrize("change", [
    lambda events: events.update(note="rewritten"),
    lambda events: events.delete(),
])
def test_the_database_refuses_to_change_or_delete_a_queue_event(slot, patient, change):
    allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        change(QueueEvent.objects.all())
    assert QueueEvent.objects.get().note == ""


def test_the_database_refuses_to_rewrite_the_patient_record_log(patient):
    clerk = make_staff("clerk", "Reception")
    patients.record_view(patient=patient, by=clerk, via="desk")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        PatientRecordEvent.objects.update(actor_name="someone else")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        PatientRecordEvent.objects.all().delete()


# --- who viewed a patient's record ------------------------------------------------------------


def test_opening_a_patient_at_the_desk_is_recorded_once_not_on_every_refresh(client, patient):
    clerk = make_staff("clerk", "Reception")
    client.force_login(clerk)
    assert client.get(f"/desk/?patient={patient.pk}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="book-panel").status_code == 200
    client.get(f"/desk/?patient={patient.pk}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="patient-today")  # a live refresh
    (event,) = PatientRecordEvent.objects.all()
    assert (event.kind, event.patient_id, event.actor, event.via) == ("VIEWED", patient.pk, clerk, "desk")
    client.get(f"/desk/?patient={patient.pk}")  # the whole page, opened again
    assert PatientRecordEvent.objects.filter(kind="VIEWED").count() == 2


def test_reading_a_patient_through_the_api_is_recorded(patient):
    clerk = make_staff("clerk", "Reception")
    api = APIClient()
    api.force_authenticate(clerk)
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    (event,) = PatientRecordEvent.objects.all()
    assert (event.kind, event.patient_id, event.actor, event.via) == ("VIEWED", patient.pk, clerk, "api")


# --- logs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("logger_name, message, args", [
    ("django.channels.server", "HTTP %(method)s %(path)s %(status)s",
     {"method": "GET", "path": "/desk/?q=Ramesh+Kumar+9876543210", "status": 400}),
    ("uvicorn.access", '%s - "%s %s HTTP/%s" %d', ("10.0.0.5:4242", "GET", "/api/v1/patients/?phone=9876543210&name=Ramesh", "1.1", 200)),
])
def test_patients_names_and_phones_in_a_query_string_stay_out_of_the_log(logger_name, message, args):
    import io
    import logging

    console = next(h for h in logging.getLogger().handlers if getattr(h, "name", "") == "console")
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        logging.getLogger(logger_name).warning(message, *args if isinstance(args, tuple) else (args,))
    finally:
        console.setStream(previous)
    line = stream.getvalue()
    assert "?…" in line and ("/desk/" in line or "/api/v1/patients/" in line)
    assert "9876543210" not in line and "Ramesh" not in line

"""The API checks roles on every endpoint: reading schedules for any staff role, writing them
for managers; patients, bookings and token actions for the desk; the doctor's actions for whoever
works that doctor's queue; reports for managers."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from queues import allocation
from scheduling.models import Doctor

ROLES = ["anonymous", "no-role", "Reception", "Doctor", "other-doctor", "Manager"]
STAFF = {"Reception", "Doctor", "other-doctor", "Manager"}


@pytest.fixture
def world(slot, patient, make_patient, department, django_user_model):
    own = django_user_model.objects.create_user("doc", password="p-123456789")
    own.groups.add(Group.objects.get(name="Doctor"))
    slot.doctor.user = own
    slot.doctor.save()
    other = django_user_model.objects.create_user("otherdoc", password="p-123456789")
    other.groups.add(Group.objects.get(name="Doctor"))
    Doctor.objects.create(name="Dr. Other", user=other)
    token = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN").token
    assert token.status == "ARRIVED"  # a walk-in is checked in at booking: "call next" can call them
    return {"slot": slot, "token": token, "patient": make_patient(), "department": department,
            "registered": make_patient(), "duplicate": make_patient(),
            "users": {"Doctor": own, "other-doctor": other}}


def client_for(role, world, django_user_model):
    client = APIClient()
    if role == "anonymous":
        return client
    user = world["users"].get(role)
    if user is None:
        user = django_user_model.objects.create_user(role.lower(), password="p-123456789")
        if role != "no-role":
            user.groups.add(Group.objects.get(name=role))
    client.force_authenticate(user)
    return client


def calls(w):
    start = timezone.now() + timedelta(days=3)
    return [
        # (name, method, url, body, roles allowed)
        ("read doctors", "get", "/api/v1/doctors/", None, STAFF),
        ("read slots", "get", "/api/v1/slots/", None, STAFF),
        ("add department", "post", "/api/v1/departments/", {"name": "Neuro"}, {"Manager"}),
        ("add doctor", "post", "/api/v1/doctors/", {"name": "Dr. X", "specialization": "GP"}, {"Manager"}),
        ("add slot", "post", "/api/v1/slots/", {"doctor": str(w["slot"].doctor_id), "start_time": start.isoformat(),
                                                "end_time": (start + timedelta(hours=1)).isoformat(), "max_capacity": 5}, {"Manager"}),
        ("read patients", "get", "/api/v1/patients/", None, {"Reception", "Manager"}),
        ("add patient", "post", "/api/v1/patients/", {"name": "New Person", "phone": "9000000000"}, {"Reception", "Manager"}),
        ("book", "post", "/api/v1/tokens/", {"slot_id": str(w["slot"].pk), "patient_id": str(w["patient"].pk), "category": "WALKIN"},
         {"Reception", "Manager"}),
        ("read waiting list", "get", "/api/v1/waiting-list/", None, {"Reception", "Manager"}),
        ("delay", "put", f"/api/v1/slots/{w['slot'].pk}/delay/", {"delay_minutes": 10}, {"Reception", "Doctor", "Manager"}),
        ("call next", "post", f"/api/v1/slots/{w['slot'].pk}/call_next/", {}, {"Doctor", "Manager"}),
        # Another doctor's patients are not theirs to read: only the slot's own doctor, the desk and managers.
        ("slot's tokens", "get", f"/api/v1/slots/{w['slot'].pk}/tokens/", None, {"Reception", "Doctor", "Manager"}),
        ("read token", "get", f"/api/v1/tokens/{w['token'].pk}/", None, {"Reception", "Manager"}),
        ("edit patient", "patch", f"/api/v1/patients/{w['registered'].pk}/", {"phone": "9111111111"}, {"Reception", "Manager"}),
        ("delete patient", "delete", f"/api/v1/patients/{w['duplicate'].pk}/", {}, {"Manager"}),
        ("api schema", "get", "/api/schema/", None, STAFF),
        # The consultation's own steps are the doctor's (and a manager's), not the desk's.
        ("recall", "post", f"/api/v1/tokens/{w['token'].pk}/recall/", {}, {"Doctor", "Manager"}),
        ("skip", "post", f"/api/v1/tokens/{w['token'].pk}/skip/", {}, {"Doctor", "Manager"}),
        ("complete", "post", f"/api/v1/tokens/{w['token'].pk}/complete/", {}, {"Doctor", "Manager"}),
        ("report", "get", "/api/v1/reports/daily/", None, {"Manager"}),
        ("doctor's day", "get", f"/api/v1/doctors/{w['slot'].doctor_id}/queue/", None, {"Reception", "Doctor", "Manager"}),
        ("doctor call next", "post", f"/api/v1/doctors/{w['slot'].doctor_id}/call_next/", {}, {"Doctor", "Manager"}),
        ("no-show", "post", f"/api/v1/tokens/{w['token'].pk}/no_show/", {}, {"Reception", "Doctor", "Manager"}),
        ("cancel slot", "post", f"/api/v1/slots/{w['slot'].pk}/cancel/", {"reason": "x"}, {"Reception", "Manager"}),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_endpoints(world, role, django_user_model):
    client = client_for(role, world, django_user_model)
    for name, method, url, body, allowed in calls(world):
        status = getattr(client, method)(url, body, format="json").status_code if body is not None else client.get(url).status_code
        if role in allowed:
            assert status not in (401, 403) and status < 500, (role, name, status)
        elif role == "anonymous":
            assert status == 401, (role, name, status)
        else:
            assert status == 403, (role, name, status)

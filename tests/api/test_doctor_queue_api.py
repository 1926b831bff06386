"""GET /api/v1/doctors/{id}/queue/ and POST /api/v1/doctors/{id}/call_next/, categories as
data, token labels and waiting numbers in the API."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from queues import allocation
from queues.models import Category
from scheduling.models import Doctor
from tests.staff import make_staff

pytestmark = pytest.mark.django_db


def book(slot, patient, category="WALKIN"):
    return allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category=category)


def test_the_doctors_day_comes_in_serving_order_with_present_and_expected(api, clinic_morning, make_slot, make_patient, doctor):
    early = make_slot(starts_in=timedelta(minutes=-10))
    later = make_slot(starts_in=timedelta(hours=2))
    expected = book(early, make_patient(), "ONLINE").token
    present = book(later, make_patient(), "WALKIN").token
    body = api.get(f"/api/v1/doctors/{doctor.pk}/queue/").json()
    assert [row["token"] for row in body["queue"]] == [str(expected.pk), str(present.pk)]
    first, second = body["queue"]
    assert (first["position"], first["people_ahead"], first["present"], first["expected"]) == (1, 0, False, True)
    assert (second["position"], second["people_ahead"], second["present"]) == (2, 1, True)
    assert body["next_token"] == str(present.pk) and body["pace_minutes"] is None
    assert second["estimated_time"] and second["wait_minutes"] >= 0


def test_call_next_through_the_api_follows_the_same_rule(api, clinic_morning, make_slot, make_patient, doctor):
    early = make_slot(starts_in=timedelta(minutes=-10))
    book(early, make_patient(), "ONLINE")
    present = book(make_slot(starts_in=timedelta(hours=1)), make_patient(), "WALKIN").token
    response = api.post(f"/api/v1/doctors/{doctor.pk}/call_next/")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"]) == (str(present.pk), "CALLED")
    nobody = api.post(f"/api/v1/doctors/{doctor.pk}/call_next/")
    assert nobody.status_code == 409 and "1 booked patient(s) have not checked in" in nobody.json()["detail"]


def test_the_doctor_queue_refuses_bad_dates_and_unknown_doctors(api, doctor):
    assert api.get(f"/api/v1/doctors/{doctor.pk}/queue/?date=2026-02-30").status_code == 400
    assert api.get("/api/v1/doctors/not-a-uuid/queue/").status_code == 404
    assert api.get("/api/v1/doctors/00000000-0000-0000-0000-000000000000/queue/").status_code == 404


def test_a_doctor_calls_only_their_own_queue_and_reception_reads_any(doctor, department):
    other = Doctor.objects.create(name="Dr. Other", department=department)
    own = APIClient()
    own.force_authenticate(make_staff("rao", "Doctor", doctor))
    assert own.get(f"/api/v1/doctors/{doctor.pk}/queue/").status_code == 200
    assert own.get(f"/api/v1/doctors/{other.pk}/queue/").status_code == 403
    assert own.post(f"/api/v1/doctors/{other.pk}/call_next/").status_code == 403
    desk = APIClient()
    desk.force_authenticate(make_staff("desk", "Reception"))
    assert desk.get(f"/api/v1/doctors/{other.pk}/queue/").status_code == 200
    assert desk.post(f"/api/v1/doctors/{other.pk}/call_next/").status_code == 403
    assert APIClient().get(f"/api/v1/doctors/{doctor.pk}/queue/").status_code in (401, 403)


def test_tokens_carry_a_label_with_the_doctors_or_departments_prefix(api, slot, make_patient, doctor, department):
    department.token_prefix = "GM"
    department.save()
    assert book(slot, make_patient()).token.token_label == "GM-1"
    doctor.token_prefix = "AR"
    doctor.save()
    body = api.post("/api/v1/tokens/", {"slot_id": str(slot.pk), "patient_id": str(make_patient().pk), "category": "WALKIN"},
                    format="json").json()
    assert (body["token_number"], body["token_label"]) == (2, "AR-2")


def test_any_active_category_is_accepted_and_others_refused_with_a_reason(api, slot, make_patient):
    payload = {"slot_id": str(slot.pk), "patient_id": str(make_patient().pk), "category": "SENIOR_CITIZEN"}
    refused = api.post("/api/v1/tokens/", payload, format="json")
    assert refused.status_code == 400 and "SENIOR_CITIZEN" in str(refused.json()) and "WALKIN" in str(refused.json())
    Category.objects.filter(code="SENIOR_CITIZEN").update(active=True)
    booked = api.post("/api/v1/tokens/", payload, format="json")
    assert booked.status_code == 201
    assert (booked.json()["category"], booked.json()["priority"], booked.json()["status"]) == ("SENIOR_CITIZEN", 3, "ARRIVED")
    assert api.post("/api/v1/tokens/", {**payload, "category": "VIP"}, format="json").status_code == 400


def test_a_waiting_list_entry_has_a_waiting_number(api, make_slot, make_patient):
    slot = make_slot(capacity=1)
    book(slot, make_patient())
    answers = [api.post("/api/v1/tokens/", {"slot_id": str(slot.pk), "patient_id": str(make_patient().pk), "category": "ONLINE"},
                        format="json") for _ in range(2)]
    assert [a.status_code for a in answers] == [202, 202]
    assert [a.json()["waiting_number"] for a in answers] == [1, 2]


def test_a_no_show_can_be_reinstated_through_the_api(api, slot, patient):
    token = book(slot, patient, "ONLINE").token
    allocation.mark_no_show(token_id=token.pk)
    body = api.post(f"/api/v1/tokens/{token.pk}/reinstate/").json()
    assert (body["status"], body["token_number"]) == ("ARRIVED", token.token_number)

"""REST API v1: the original MVP's endpoints with its request shapes, status codes and refusals."""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token as AuthToken
from rest_framework.test import APIClient

from queues import allocation
from queues.models import QueueEvent, Token, WaitingListEntry
from scheduling.models import Doctor, Patient, Slot

pytestmark = pytest.mark.django_db


def iso(dt):
    return dt.isoformat()


def book(api, slot, patient, category="ONLINE"):
    return api.post("/api/v1/tokens/", {"slot_id": str(slot.pk), "patient_id": str(patient.pk), "category": category})


# --- auth -----------------------------------------------------------------------------------------


def test_anonymous_requests_are_refused(slot):
    anonymous = APIClient()
    assert anonymous.get("/api/v1/doctors/").status_code == 401
    assert anonymous.post("/api/v1/tokens/", {}, format="json").status_code == 401


def test_a_drf_token_authenticates(staff_user, doctor):
    key = AuthToken.objects.create(user=staff_user).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/doctors/")
    assert response.status_code == 200
    assert response.json()["results"][0]["name"] == doctor.name


# --- doctors, patients, slots: the seed's examples --------------------------------------------------


def test_the_seed_walkthrough_create_doctor_slot_patient_and_book(api):
    doctor = api.post("/api/v1/doctors/", {"name": "Dr. John Smith", "specialization": "Cardiology"})
    assert doctor.status_code == 201, doctor.json()
    start = timezone.now() + timedelta(hours=1)
    slot = api.post("/api/v1/slots/", {
        "doctor": doctor.json()["id"], "start_time": iso(start), "end_time": iso(start + timedelta(hours=1)), "max_capacity": 15,
    })
    assert slot.status_code == 201, slot.json()
    assert slot.json()["current_capacity"] == 0 and slot.json()["status"] == "ACTIVE"
    patient = api.post("/api/v1/patients/", {"name": "Jane Doe", "phone": "+1234567890", "email": "jane@example.com"})
    assert patient.status_code == 201, patient.json()
    token = api.post("/api/v1/tokens/", {"slot_id": slot.json()["id"], "patient_id": patient.json()["id"], "category": "ONLINE"})
    assert token.status_code == 201, token.json()
    body = token.json()
    for field in ["id", "slot", "patient", "token_number", "priority", "category", "status", "estimated_time",
                  "actual_time", "position", "created_at", "updated_at"]:
        assert field in body
    assert (body["token_number"], body["status"], body["position"], body["category"]) == (1, "CONFIRMED", 1, "ONLINE")
    assert body["slot"] == slot.json()["id"] and body["patient"] == patient.json()["id"]


def test_doctor_crud(api, department):
    created = api.post("/api/v1/doctors/", {"name": "Dr. A", "specialization": "ENT", "department": str(department.pk), "room": "12"}).json()
    url = f"/api/v1/doctors/{created['id']}/"
    assert api.get(url).json()["room"] == "12"
    assert api.put(url, {"name": "Dr. A B", "specialization": "ENT"}).json()["name"] == "Dr. A B"
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_a_doctor_with_slots_cannot_be_deleted(api, slot):
    response = api.delete(f"/api/v1/doctors/{slot.doctor_id}/")
    assert response.status_code == 409
    assert "cannot be deleted" in response.json()["detail"]
    assert Doctor.objects.filter(pk=slot.doctor_id).exists()


def test_patient_crud_and_a_booked_patient_is_kept(api, slot):
    created = api.post("/api/v1/patients/", {"name": "Ravi", "phone": "9876543210", "hospital_number": "H-1", "age": 40, "sex": "M"}).json()
    url = f"/api/v1/patients/{created['id']}/"
    assert api.patch(url, {"phone": "9000000000"}).json()["phone"] == "9000000000"
    book(api, slot, Patient.objects.get(pk=created["id"]))
    assert api.delete(url).status_code == 409


def test_patient_search_by_phone(api, make_patient):
    make_patient("Asha", phone="9811122233")
    make_patient("Ravi", phone="9700000000")
    names = [p["name"] for p in api.get("/api/v1/patients/?phone=98111").json()["results"]]
    assert names == ["Asha"]


def test_slot_detail_and_list_by_doctor_and_date(api, slot, make_slot, doctor):
    other_day = make_slot(starts_in=timedelta(days=2))
    assert api.get(f"/api/v1/slots/{slot.pk}/").json()["max_capacity"] == 15
    today = timezone.localdate(slot.start_time).isoformat()
    ids = [s["id"] for s in api.get(f"/api/v1/slots/?doctor={doctor.pk}&date={today}").json()["results"]]
    assert ids == [str(slot.pk)] and str(other_day.pk) not in ids


# --- tokens ----------------------------------------------------------------------------------------


def test_a_full_slot_answers_202_with_the_waiting_list_place(api, make_slot, make_patient):
    slot = make_slot(capacity=1)
    assert book(api, slot, make_patient()).status_code == 201
    response = book(api, slot, make_patient(), "WALKIN")
    assert response.status_code == 202
    body = response.json()
    assert body["place"] == 1 and body["status"] == "WAITING"
    for field in ["id", "slot", "patient", "category", "priority", "booked_at", "place"]:
        assert field in body
    assert book(api, slot, make_patient(), "FOLLOWUP").json()["place"] == 1


def test_a_booking_onto_a_long_waiting_list_takes_as_many_queries_as_onto_a_short_one(api, make_slot, make_patient):
    """Each waiting patient's place is worked out from one read of the list, not one query each
    (a busy OPD's waiting list runs to dozens)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    slot = make_slot(capacity=1)
    book(api, slot, make_patient())
    book(api, slot, make_patient(), "WALKIN")
    with CaptureQueriesContext(connection) as short:
        assert book(api, slot, make_patient(), "WALKIN").json()["place"] == 2
    for _ in range(10):
        book(api, slot, make_patient(), "WALKIN")
    with CaptureQueriesContext(connection) as long:
        assert book(api, slot, make_patient(), "FOLLOWUP").json()["place"] == 1
    assert len(long) == len(short), [q["sql"][:80] for q in long.captured_queries]


def test_a_double_booking_is_409_with_the_reason(api, slot, patient):
    book(api, slot, patient)
    response = book(api, slot, patient)
    assert response.status_code == 409
    assert "Already booked" in response.json()["detail"]
    assert response.json()["code"] == "already_booked"


def test_booking_a_closed_slot_is_409(api, make_slot, patient):
    ended = make_slot(starts_in=timedelta(hours=-5))
    response = book(api, ended, patient)
    assert response.status_code == 409 and "ended" in response.json()["detail"]
    cancelled = make_slot(starts_in=timedelta(hours=2))
    allocation.cancel_slot(slot_id=cancelled.pk)
    assert book(api, cancelled, patient).status_code == 409


def test_unknown_slot_or_patient_is_404(api, slot, patient):
    assert api.post("/api/v1/tokens/", {"slot_id": str(uuid.uuid4()), "patient_id": str(patient.pk), "category": "ONLINE"}).status_code == 404
    assert api.post("/api/v1/tokens/", {"slot_id": str(slot.pk), "patient_id": str(uuid.uuid4()), "category": "ONLINE"}).status_code == 404


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"category": "URGENT"}, "category"),
        ({"category": None}, "category"),
        ({"slot_id": "not-a-uuid"}, "slot_id"),
        ({"patient_id": "12"}, "patient_id"),
        ({"booked_at": "yesterday"}, "booked_at"),
    ],
)
def test_invalid_booking_input_is_400_naming_the_field(api, slot, patient, payload, field):
    data = {"slot_id": str(slot.pk), "patient_id": str(patient.pk), "category": "ONLINE", **payload}
    response = api.post("/api/v1/tokens/", data)
    assert response.status_code == 400
    assert field in response.json()
    assert not Token.objects.exists()


def test_missing_fields_are_400(api):
    response = api.post("/api/v1/tokens/", {})
    assert response.status_code == 400
    assert set(response.json()) == {"slot_id", "patient_id", "category"}


def test_broken_json_is_400(api):
    response = api.post("/api/v1/tokens/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_an_online_booking_may_carry_its_booking_time(api, slot, patient):
    booked_at = timezone.now() - timedelta(hours=2)
    response = api.post("/api/v1/tokens/", {"slot_id": str(slot.pk), "patient_id": str(patient.pk), "category": "ONLINE", "booked_at": iso(booked_at)})
    assert response.status_code == 201
    assert response.json()["score"] == pytest.approx(3.8, abs=0.01)


def test_emergency_insertion_is_201_at_the_head(api, make_slot, make_patient):
    slot = make_slot(capacity=2)
    for _ in range(2):
        book(api, slot, make_patient(), "PRIORITY_PAID")
    response = api.post("/api/v1/tokens/emergency/", {"slot_id": str(slot.pk), "patient_id": str(make_patient().pk)})
    assert response.status_code == 201
    assert (response.json()["category"], response.json()["position"]) == ("EMERGENCY", 1)
    tokens = api.get(f"/api/v1/slots/{slot.pk}/tokens/").json()
    assert [t["category"] for t in tokens] == ["EMERGENCY", "PRIORITY_PAID", "PRIORITY_PAID"]
    assert [t["position"] for t in tokens] == [1, 2, 3]


def test_get_token_and_token_list(api, slot, patient):
    token_id = book(api, slot, patient).json()["id"]
    assert api.get(f"/api/v1/tokens/{token_id}/").json()["position"] == 1
    listing = api.get(f"/api/v1/tokens/?slot={slot.pk}").json()
    assert listing["count"] == 1 and listing["results"][0]["position"] == 1


def test_cancelling_keeps_the_token_readable_and_promotes(api, make_slot, make_patient):
    slot = make_slot(capacity=1)
    token_id = book(api, slot, make_patient()).json()["id"]
    waiting = book(api, slot, make_patient()).json()
    response = api.delete(f"/api/v1/tokens/{token_id}/")
    assert response.status_code == 200 and response.json()["status"] == "CANCELLED"
    assert api.get(f"/api/v1/tokens/{token_id}/").json()["status"] == "CANCELLED"
    assert WaitingListEntry.objects.get(pk=waiting["id"]).status == "PROMOTED"
    assert api.delete(f"/api/v1/tokens/{token_id}/").status_code == 409


def test_a_cancellation_reason_is_kept(api, slot, patient):
    token_id = book(api, slot, patient).json()["id"]
    assert api.delete(f"/api/v1/tokens/{token_id}/", {"reason": "Unwell, will come tomorrow"}).json()["cancel_reason"] == "Unwell, will come tomorrow"


def test_no_show_is_200_with_the_token(api, slot, patient):
    token_id = book(api, slot, patient).json()["id"]
    response = api.post(f"/api/v1/tokens/{token_id}/no_show/")
    assert response.status_code == 200 and response.json()["status"] == "NO_SHOW"


def test_the_consultation_flow_through_the_api(api, slot, patient):
    token_id = book(api, slot, patient).json()["id"]
    assert api.post(f"/api/v1/tokens/{token_id}/check_in/").json()["status"] == "ARRIVED"
    called = api.post(f"/api/v1/slots/{slot.pk}/call_next/").json()
    assert (called["id"], called["status"]) == (token_id, "CALLED") and called["actual_time"]
    assert api.post(f"/api/v1/tokens/{token_id}/recall/").status_code == 200
    assert api.post(f"/api/v1/tokens/{token_id}/skip/").json()["status"] == "ARRIVED"
    api.post(f"/api/v1/slots/{slot.pk}/call_next/")
    assert api.post(f"/api/v1/tokens/{token_id}/complete/").json()["status"] == "COMPLETED"
    assert api.post(f"/api/v1/tokens/{token_id}/no_show/").status_code == 409


def test_call_next_with_nobody_arrived_is_409_with_a_reason(api, slot):
    response = api.post(f"/api/v1/slots/{slot.pk}/call_next/")
    assert response.status_code == 409 and "Nobody has checked in" in response.json()["detail"]


@pytest.mark.parametrize("bad", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_malformed_or_unknown_ids_in_urls_are_404(api, bad):
    assert api.get(f"/api/v1/tokens/{bad}/").status_code == 404
    assert api.delete(f"/api/v1/tokens/{bad}/").status_code == 404
    assert api.post(f"/api/v1/tokens/{bad}/no_show/").status_code == 404
    assert api.put(f"/api/v1/slots/{bad}/delay/", {"delay_minutes": 5}).status_code == 404


# --- slots: delay, tokens, cancel, capacity ------------------------------------------------------------


def test_delay_sets_status_and_moves_later_slots(api, doctor, make_patient):
    start = timezone.now() + timedelta(hours=2)
    first = Slot.objects.create(doctor=doctor, start_time=start, end_time=start + timedelta(hours=1), max_capacity=5)
    second = Slot.objects.create(doctor=doctor, start_time=start + timedelta(hours=1), end_time=start + timedelta(hours=2), max_capacity=5)
    response = api.put(f"/api/v1/slots/{first.pk}/delay/", {"delay_minutes": 30})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["delay_minutes"]) == ("DELAYED", 30)
    later = api.get(f"/api/v1/slots/{second.pk}/").json()
    assert (later["status"], later["effective_delay_minutes"]) == ("ACTIVE", 30)
    assert api.put(f"/api/v1/slots/{first.pk}/delay/", {"delay_minutes": 0}).json()["status"] == "ACTIVE"
    # A delayed slot keeps accepting bookings.
    api.put(f"/api/v1/slots/{first.pk}/delay/", {"delay_minutes": 45})
    assert book(api, first, make_patient()).status_code == 201


@pytest.mark.parametrize("payload", [{"delay_minutes": -5}, {"delay_minutes": 1441}, {"delay_minutes": "soon"}, {}])
def test_an_impossible_delay_is_400(api, slot, payload):
    response = api.put(f"/api/v1/slots/{slot.pk}/delay/", payload)
    assert response.status_code == 400 and "delay_minutes" in response.json()
    assert Slot.objects.get(pk=slot.pk).delay_minutes == 0


@pytest.mark.parametrize(
    "change, field",
    [
        ({"max_capacity": 0}, "max_capacity"),
        ({"max_capacity": -3}, "max_capacity"),
        ({"end_time": "start"}, "end_time"),
        ({"doctor": "nobody"}, "doctor"),
    ],
)
def test_invalid_slots_are_400(api, doctor, change, field):
    start = timezone.now() + timedelta(hours=1)
    data = {"doctor": str(doctor.pk), "start_time": iso(start), "end_time": iso(start + timedelta(hours=1)), "max_capacity": 10}
    data.update({k: (iso(start - timedelta(minutes=5)) if v == "start" else v) for k, v in change.items()})
    response = api.post("/api/v1/slots/", data)
    assert response.status_code == 400 and field in response.json()
    assert not Slot.objects.exists()


def test_overlapping_slots_for_one_doctor_are_refused(api, slot):
    data = {"doctor": str(slot.doctor_id), "start_time": iso(slot.start_time + timedelta(minutes=30)),
            "end_time": iso(slot.end_time + timedelta(minutes=30)), "max_capacity": 10}
    response = api.post("/api/v1/slots/", data)
    assert response.status_code == 400 and "overlapping" in response.json()["start_time"][0]


def test_slot_tokens_come_in_serving_order(api, slot, make_patient):
    for category in ["WALKIN", "ONLINE", "FOLLOWUP"]:
        book(api, slot, make_patient(), category)
    body = api.get(f"/api/v1/slots/{slot.pk}/tokens/").json()
    assert [t["category"] for t in body] == ["FOLLOWUP", "ONLINE", "WALKIN"]
    assert [t["token_number"] for t in body] == [3, 2, 1]


def test_cancelling_a_slot_lists_the_patients_to_rebook(api, make_slot, make_patient):
    slot = make_slot(capacity=1)
    book(api, slot, make_patient())
    book(api, slot, make_patient())
    body = api.post(f"/api/v1/slots/{slot.pk}/cancel/", {"reason": "Doctor on leave"}).json()
    assert body["slot"]["status"] == "CANCELLED"
    assert len(body["cancelled_tokens"]) == 1 and len(body["cancelled_waiting_entries"]) == 1


def test_capacity_change_through_the_api(api, make_slot, make_patient):
    slot = make_slot(capacity=1)
    book(api, slot, make_patient())
    waiting = book(api, slot, make_patient()).json()
    assert api.put(f"/api/v1/slots/{slot.pk}/capacity/", {"max_capacity": 2}).json()["current_capacity"] == 2
    assert WaitingListEntry.objects.get(pk=waiting["id"]).status == "PROMOTED"
    response = api.put(f"/api/v1/slots/{slot.pk}/capacity/", {"max_capacity": 1})
    assert response.status_code == 409 and "cannot go below 2" in response.json()["detail"]


# --- waiting list -------------------------------------------------------------------------------------


def test_waiting_list_by_slot_in_promotion_order(api, make_slot, make_patient):
    slot = make_slot(capacity=1)
    book(api, slot, make_patient())
    book(api, slot, make_patient(), "WALKIN")
    book(api, slot, make_patient(), "PRIORITY_PAID")
    body = api.get(f"/api/v1/waiting-list/by_slot/?slot_id={slot.pk}").json()
    assert [(e["category"], e["place"]) for e in body] == [("PRIORITY_PAID", 1), ("WALKIN", 2)]
    assert api.get("/api/v1/waiting-list/").json()["count"] == 2


def test_waiting_list_by_slot_needs_a_valid_known_slot(api):
    assert api.get("/api/v1/waiting-list/by_slot/").status_code == 400
    assert api.get("/api/v1/waiting-list/by_slot/?slot_id=abc").status_code == 400
    assert api.get(f"/api/v1/waiting-list/by_slot/?slot_id={uuid.uuid4()}").status_code == 404


def test_a_waiting_entry_can_be_withdrawn(api, make_slot, make_patient):
    slot = make_slot(capacity=1)
    book(api, slot, make_patient())
    entry = book(api, slot, make_patient()).json()
    response = api.delete(f"/api/v1/waiting-list/{entry['id']}/")
    assert response.status_code == 200 and response.json()["status"] == "CANCELLED"


# --- reports --------------------------------------------------------------------------------------------


def test_daily_report_counts_by_category_and_status(api, slot, make_patient, doctor):
    book(api, slot, make_patient(), "WALKIN")
    token_id = book(api, slot, make_patient(), "ONLINE").json()["id"]
    api.delete(f"/api/v1/tokens/{token_id}/")
    day = timezone.localdate(slot.start_time).isoformat()
    body = api.get(f"/api/v1/reports/daily/?date={day}&doctor_id={doctor.pk}").json()
    assert body["total_tokens"] == 2
    assert body["by_category"]["WALKIN"] == 1 and body["by_category"]["ONLINE"] == 1
    # The walk-in is checked in at booking; the online booking was cancelled before arriving.
    assert body["by_status"]["ARRIVED"] == 1 and body["by_status"]["CANCELLED"] == 1
    assert body["by_status"]["CONFIRMED"] == 0


def test_daily_report_bad_input_is_400_or_404(api):
    assert api.get("/api/v1/reports/daily/?date=2026-13-45").status_code == 400
    assert api.get("/api/v1/reports/daily/?doctor_id=xyz").status_code == 400
    assert api.get(f"/api/v1/reports/daily/?doctor_id={uuid.uuid4()}").status_code == 404


# --- schema and docs ------------------------------------------------------------------------------------


def test_openapi_schema_and_swagger_ui_are_served_without_a_cdn(api, client, staff_user):
    schema = api.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/tokens/emergency/" in schema.content
    client.force_login(staff_user)  # Swagger UI is a page: a staff login's session
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html and not re.search(r"(src|href)=\"https?://", html)  # nothing from a CDN: hospital networks are often offline


def test_the_schema_and_swagger_ui_need_a_staff_login(client):
    assert APIClient().get("/api/schema/").status_code == 401
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs.url.startswith("/accounts/login/")


def test_oversize_strings_are_400(api):
    response = api.post("/api/v1/patients/", {"name": "x" * 500, "phone": "1"})
    assert response.status_code == 400 and "name" in response.json()


def test_events_record_api_actions_with_their_user(api, slot, patient, staff_user):
    token_id = book(api, slot, patient).json()["id"]
    assert QueueEvent.objects.get(token_id=token_id).actor == staff_user


def test_a_booking_time_of_year_one_is_refused_on_its_field(api, slot, patient):
    response = api.post("/api/v1/tokens/", {"slot_id": str(slot.pk), "patient_id": str(patient.pk), "category": "WALKIN",
                                            "booked_at": "0001-01-01T00:00:00Z"})
    assert response.status_code == 400
    assert "booked_at" in response.json()
    assert not Token.objects.exists()


# --- registration: ABHA, UHID, duplicates, search (issue 12) -----------------------------------


def test_the_api_registers_abha_and_the_indian_fields_and_gives_a_uhid(api, db):
    response = api.post("/api/v1/patients/", {
        "name": "Raju Prasad", "phone": "9812345678", "abha_number": "91123456789012", "abha_address": "Raju@abdm",
        "guardian_name": "Ram Prasad", "locality": "Rampur", "date_of_birth": "1980-05-01", "sex": "M",
    })
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["abha_number"] == "91-1234-5678-9012" and body["abha_address"] == "raju@abdm"
    assert body["hospital_number"] and "confirm_new" not in body


def test_the_api_explains_a_malformed_abha(api, db):
    response = api.post("/api/v1/patients/", {"name": "X", "abha_number": "1234", "abha_address": "x@y"})
    assert response.status_code == 400
    assert "14 digits" in response.json()["abha_number"][0] and "name@abdm" in response.json()["abha_address"][0]


def test_a_possible_duplicate_answers_409_with_the_patients_id_unless_confirmed(api, db):
    first = api.post("/api/v1/patients/", {"name": "Raju Prasad", "phone": "9812345678"}).json()
    refused = api.post("/api/v1/patients/", {"name": "raju prasad", "phone": "+91 98123 45678"})
    assert refused.status_code == 409
    assert refused.json()["patient_id"] == first["id"] and refused.json()["code"] == "possible_duplicate"
    assert refused.json()["can_confirm_new"] is True
    created = api.post("/api/v1/patients/", {"name": "raju prasad", "phone": "9812345678", "confirm_new": True})
    assert created.status_code == 201 and created.json()["id"] != first["id"]


def test_an_abha_match_is_409_even_when_confirmed_and_an_edit_to_a_taken_abha_is_400(api, db):
    first = api.post("/api/v1/patients/", {"name": "Raju Prasad", "abha_address": "raju@abdm"}).json()
    refused = api.post("/api/v1/patients/", {"name": "Other", "abha_address": "RAJU@abdm", "confirm_new": True})
    assert refused.status_code == 409 and refused.json()["patient_id"] == first["id"]
    assert refused.json()["can_confirm_new"] is False
    other = api.post("/api/v1/patients/", {"name": "Other"}).json()
    edit = api.patch(f"/api/v1/patients/{other['id']}/", {"abha_address": "raju@abdm"})
    assert edit.status_code == 400 and "Raju Prasad" in edit.json()["abha_address"][0]
    assert api.patch(f"/api/v1/patients/{first['id']}/", {"abha_address": "raju@abdm", "locality": "Rampur"}).status_code == 200


def test_the_patient_list_search_forgives_spelling(api, make_patient):
    make_patient("Raju Prasad")
    make_patient("Sunita Devi")
    names = [p["name"] for p in api.get("/api/v1/patients/", {"search": "Raju Parsad"}).json()["results"]]
    assert names == ["Raju Prasad"]


def test_a_bookings_answer_leaves_new_or_repeat_to_a_get_of_the_token(api, slot, patient):
    booked = book(api, slot, patient)
    assert booked.status_code == 201
    assert booked.json()["new_to_hospital"] is None and booked.json()["new_to_department"] is None
    again = api.get(f"/api/v1/tokens/{booked.json()['id']}/").json()
    assert again["new_to_hospital"] is True and again["new_to_department"] is True

"""The desk and the doctor's day: late arrivals, returning no-shows, tokens found by their
label, waiting-list slips and per-doctor refreshes."""

from datetime import timedelta

import pytest

from queues import allocation, broadcast
from queues.models import Token, WaitingListEntry
from scheduling.models import Doctor
from tests.queues.test_desk import HX, book, events, hx
from tests.staff import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, db):
    client.force_login(make_staff("desk", "Reception"))
    return client


def test_a_token_is_found_by_its_label_or_number_and_opens_its_patient(desk, slot, make_patient, department):
    department.token_prefix = "GM"
    department.save()
    patient = make_patient("Sita Late")
    token = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="ONLINE").token
    for typed in (token.token_label, str(token.token_number), token.token_label.lower()):
        html = desk.get("/desk/", {"q": typed}, **hx("patient-results")).content.decode()
        assert f"Token {token.token_label}</span> Sita Late" in html, typed
        assert f"?patient={patient.pk}" in html


def test_a_late_arrival_is_not_a_dead_end_check_in_joins_the_end(desk, clinic_morning, make_slot, make_patient):
    ended = make_slot(starts_in=timedelta(hours=-2), length=timedelta(hours=1))
    running = make_slot(starts_in=timedelta(minutes=-30))
    patient = make_patient("Came Late")
    token = allocation.book_token(slot_id=running.pk, patient_id=patient.pk, category="ONLINE").token
    Token.objects.filter(pk=token.pk).update(slot=ended)  # booked for 08:00, arrives at 10:00
    here = allocation.book_token(slot_id=running.pk, patient_id=make_patient().pk, category="WALKIN").token
    # Booking again is refused, but the panel shows the booking and what can be done with it.
    refused = book(desk, patient, running).content.decode()
    assert "Already booked" in refused
    assert f'data-today-token="{token.token_label}"' in refused and "slot over: check-in joins the end of the queue" in refused
    assert f"/desk/tokens/{token.pk}/check-in/" in refused and f"/desk/tokens/{token.pk}/cancel/" in refused
    response = desk.post(f"/desk/tokens/{token.pk}/check-in/", **HX)
    assert "their slot has ended, so they join the end of the queue" in events(response)["desk-notice"]["message"]
    assert allocation.call_next_for_doctor(doctor_id=running.doctor_id).pk == here.pk  # the present queue first
    assert allocation.call_next_for_doctor(doctor_id=running.doctor_id).pk == token.pk


def test_a_no_show_who_turns_up_is_reinstated_from_the_desk(desk, slot, make_patient):
    patient = make_patient("Back Again")
    token = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="ONLINE").token
    allocation.mark_no_show(token_id=token.pk)
    panel = desk.get("/desk/", {"patient": patient.pk}, **hx("book-panel")).content.decode()
    assert f"/desk/tokens/{token.pk}/reinstate/" in panel
    response = desk.post(f"/desk/tokens/{token.pk}/reinstate/", **HX)
    assert events(response)["desk-notice"]["message"] == f"Token {token.token_label} (Back Again) is back in the queue, at its end."
    token.refresh_from_db()
    assert token.status == "ARRIVED" and token.events.filter(kind="REINSTATED").exists()


def test_a_waiting_list_entry_gets_a_slip_that_becomes_the_tokens(desk, make_slot, make_patient):
    slot = make_slot(capacity=1)
    first = allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN").token
    entry = allocation.book_token(slot_id=slot.pk, patient_id=make_patient("On The List").pk, category="WALKIN").waiting_entry
    slip = desk.get(f"/waiting/{entry.pk}/slip/").content.decode()
    assert "OPD waiting list" in slip and entry.waiting_label in slip and "On The List" in slip and "Place" in slip
    allocation.cancel_token(token_id=first.pk, reason="left")
    entry.refresh_from_db()
    response = desk.get(f"/waiting/{entry.pk}/slip/")
    assert response.status_code == 302 and response.url == f"/tokens/{entry.token_id}/slip/"
    token_slip = desk.get(response.url).content.decode()
    assert entry.token.token_label in token_slip and f"Was waiting list {entry.waiting_label}" in token_slip


def test_a_promotion_is_announced_to_the_desks(slot, make_patient, monkeypatch, django_capture_on_commit_callbacks, settings):
    settings.LIVE_PUSH_COALESCE_MS = 0
    sent = []
    monkeypatch.setattr(broadcast, "_send", lambda messages, what: sent.extend(messages))
    monkeypatch.setattr(broadcast.watchers, "watched", lambda groups: {broadcast.DESK_GROUP})
    slot.max_capacity = 1
    slot.save()
    first = allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN").token
    entry = allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN").waiting_entry
    with django_capture_on_commit_callbacks(execute=True):
        allocation.cancel_token(token_id=first.pk)
    notes = [n for _, message in sent for n in __import__("json").loads(message["text"])["notes"]]
    token = WaitingListEntry.objects.get(pk=entry.pk).token
    assert notes == [f"Waiting list {entry.waiting_label} promoted: token {token.token_label}."]


def test_a_desk_refreshes_one_doctors_row(desk, slot, make_patient, department):
    other = Doctor.objects.create(name="Dr. Elsewhere", department=department)
    allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN")
    page = desk.get("/desk/").content.decode()
    assert f'hx-trigger="queue-changed-{slot.doctor_id} from:body"' in page
    row = desk.get("/desk/", {"board_doctor": slot.doctor_id}, **hx(f"desk-doctor-{slot.doctor_id}")).content.decode()
    assert row.lstrip().startswith(f'<tr id="desk-doctor-{slot.doctor_id}"') and "1/15" in row
    assert "Dr. Elsewhere" not in row and len(row) < 3000
    assert desk.get("/desk/", {"board_doctor": other.pk}, **HX).content == b""  # no slots today


def test_a_category_a_manager_switches_on_is_offered_at_the_desk(desk, slot, patient):
    from queues.models import Category

    page = desk.get("/desk/", {"patient": patient.pk}).content.decode()
    assert 'value="WALKIN"' in page and 'value="SENIOR_CITIZEN"' not in page and 'value="EMERGENCY"' not in page
    senior = Category.objects.get(code="SENIOR_CITIZEN")
    senior.active = True
    senior.save()
    page = desk.get("/desk/", {"patient": patient.pk}).content.decode()
    assert 'value="SENIOR_CITIZEN"' in page
    response = book(desk, patient, slot, category="SENIOR_CITIZEN")
    assert Token.objects.get(patient=patient).category == "SENIOR_CITIZEN"
    assert "Senior citizen" in response.content.decode()


def test_emergency_cannot_be_switched_off(db):
    from django.core.exceptions import ValidationError

    from queues.models import Category

    emergency = Category.objects.get(code="EMERGENCY")
    emergency.active = False
    with pytest.raises(ValidationError):
        emergency.full_clean()


def test_the_desk_names_the_category_keys(desk, patient):
    assert "keys 1–4" in desk.get("/desk/", {"patient": patient.pk}).content.decode()


def test_a_waiting_number_carries_the_doctors_prefix(make_slot, make_patient, department):
    department.token_prefix = "GM"
    department.save()
    slot = make_slot(capacity=1)
    allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN")
    entry = allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN").waiting_entry
    assert WaitingListEntry.objects.get(pk=entry.pk).waiting_label == "GM-W1"

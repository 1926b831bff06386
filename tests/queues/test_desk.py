"""The reception desk's views: every action and refusal, as a full page and as an HTMX fragment."""

import json
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from queues import allocation
from queues.models import Token, WaitingListEntry
from scheduling.models import Patient, Slot
from tests.staff import make_staff

HX = {"HTTP_HX_REQUEST": "true"}


def hx(target):
    return {**HX, "HTTP_HX_TARGET": target}


@pytest.fixture
def desk(client, db):
    client.force_login(make_staff("desk", "Reception"))
    return client


def book(desk, patient, slot, category="WALKIN", headers=HX, **extra):
    data = {"patient": patient.pk, "doctor": slot.doctor_id, "slot": slot.pk, "category": category,
            "request_id": str(uuid.uuid4()), **extra}
    return desk.post("/desk/book/", data, **headers)


def events(response):
    return json.loads(response.headers.get("HX-Trigger", "{}"))


# --- the page and its fragments ------------------------------------------------------------------


def test_the_desk_shows_todays_doctors_with_booked_capacity_waiting_and_delay(desk, slot, make_patient):
    allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN")
    allocation.delay_slot(slot_id=slot.pk, delay_minutes=20)
    response = desk.get("/desk/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dr. Asha Rao" in html
    assert "1/15" in html
    assert "delayed </span>20" in html
    assert 'hx-trigger="queue-changed from:body, every 60s"' in html  # a fallback: pushes refresh by doctor
    assert f'hx-trigger="queue-changed-{slot.doctor_id} from:body"' in html
    assert response.context["live_socket"] == "/ws/desk/"


def test_the_board_fragment_alone_is_served_to_htmx(desk, slot):
    response = desk.get("/desk/", **hx("slot-board"))
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="slot-board"')
    assert "<nav" not in html


def test_search_finds_patients_by_phone_name_or_hospital_number(desk, make_patient):
    make_patient("Ramesh Kumar", phone="9876500001", hospital_number="H1001")
    make_patient("Sunita Devi", phone="9876500002")
    for q in ["98765 00001", "ramesh", "H1001"]:
        html = desk.get("/desk/", {"q": q}, **hx("patient-results")).content.decode()
        assert "Ramesh Kumar" in html and "Sunita Devi" not in html, q


def test_a_search_that_finds_nobody_offers_to_register_with_what_was_typed(desk, db):
    html = desk.get("/desk/", {"q": "9123456789"}, **hx("patient-results")).content.decode()
    assert 'id="register-form"' in html
    assert 'value="9123456789"' in html


def test_search_works_without_javascript_as_a_full_page(desk, make_patient):
    make_patient("Ramesh Kumar")
    response = desk.get("/desk/", {"q": "Ramesh"})
    assert b"<nav" in response.content and b"Ramesh Kumar" in response.content


def test_names_with_html_are_shown_as_text(desk, slot, make_patient):
    evil = make_patient("<script>alert(1)</script>", phone="9000000001")
    allocation.book_token(slot_id=slot.pk, patient_id=evil.pk, category="WALKIN")
    for response in [desk.get("/desk/", {"q": "script"}), desk.get("/desk/", {"slot": slot.pk})]:
        assert b"<script>alert(1)</script>" not in response.content
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


def test_choosing_a_patient_preselects_nothing_until_a_doctor_is_chosen(desk, slot, patient):
    html = desk.get("/desk/", {"patient": patient.pk}, **hx("book-panel")).content.decode()
    assert 'id="book-form"' in html and "Jane Doe" in html
    assert "Choose a doctor first" in html


def test_choosing_a_doctor_preselects_the_current_slot_with_room(desk, make_slot, make_patient):
    full = make_slot(capacity=1)
    later = make_slot(starts_in=timedelta(minutes=50))
    allocation.book_token(slot_id=full.pk, patient_id=make_patient().pk, category="WALKIN")
    html = desk.get("/desk/", {"doctor": full.doctor_id}, **hx("slot-field")).content.decode()
    assert f'value="{later.pk}" selected' in html
    assert "full, wait 0" in html


# --- booking -----------------------------------------------------------------------------------


def test_booking_shows_token_number_position_and_estimated_time_in_place(desk, slot, patient):
    response = book(desk, patient, slot)
    html = response.content.decode()
    token = Token.objects.get(patient=patient)
    assert 'id="booking-result"' in html
    assert f">{token.token_label}<" in html
    # The slot is under way and nobody is ahead: due now, not at the slot's start in the past.
    assert "<strong>First in the queue</strong>" in html and "est." in html and "(now)" in html
    assert f"/tokens/{token.pk}/slip/" in html
    assert set(events(response)) == {"queue-changed", "booked"}


def test_a_full_slot_puts_the_patient_on_the_waiting_list_and_says_where(desk, make_slot, make_patient):
    slot = make_slot(capacity=1)
    allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN")
    patient = make_patient("Late Comer")
    html = book(desk, patient, slot).content.decode()
    entry = WaitingListEntry.objects.get(patient=patient, status="WAITING")
    assert "Slot full: Late Comer is on the waiting list, W1 (place 1)." in html
    assert f"/waiting/{entry.pk}/slip/" in html  # a slip to hold, with the waiting number


def test_a_blank_slot_books_the_doctors_preselected_slot(desk, slot, patient):
    response = desk.post("/desk/book/", {"patient": patient.pk, "doctor": slot.doctor_id, "slot": "", "category": "ONLINE"}, **HX)
    assert response.status_code == 200
    assert Token.objects.get(patient=patient).slot == slot


def test_a_second_booking_with_the_same_doctor_is_refused_with_the_reason(desk, slot, patient):
    book(desk, patient, slot)
    html = book(desk, patient, slot).content.decode()
    assert 'id="booking-refused"' in html and "Already booked with Dr. Asha Rao today" in html
    assert Token.objects.filter(patient=patient).count() == 1


def test_booking_a_cancelled_slot_is_refused(desk, slot, patient):
    allocation.cancel_slot(slot_id=slot.pk)
    response = desk.post("/desk/book/", {"patient": patient.pk, "doctor": slot.doctor_id, "slot": slot.pk, "category": "WALKIN"})
    assert response.status_code == 400  # the slot is no longer one of the choices
    assert not Token.objects.filter(patient=patient).exists()


def test_booking_a_slot_that_closes_meanwhile_shows_the_service_reason(desk, slot, patient, monkeypatch):
    from queues.errors import SlotClosed

    def closed(**kwargs):
        raise SlotClosed("This slot ended at 10:00; choose a later slot.")

    monkeypatch.setattr(allocation, "book_token", closed)
    html = book(desk, patient, slot).content.decode()
    assert "This slot ended at 10:00; choose a later slot." in html


def test_a_resent_booking_form_books_once_and_shows_the_first_result(desk, slot, patient):
    data = {"patient": patient.pk, "doctor": slot.doctor_id, "slot": slot.pk, "category": "WALKIN",
            "request_id": str(uuid.uuid4())}
    first = desk.post("/desk/book/", data, **HX).content.decode()
    again = desk.post("/desk/book/", data, **HX).content.decode()
    assert Token.objects.filter(patient=patient).count() == 1
    assert 'id="booking-result"' in again and "Already booked" not in again
    assert first.count("Token ") == again.count("Token ")


def test_booking_without_javascript_redirects_to_the_result(desk, slot, patient):
    response = book(desk, patient, slot, headers={})
    token = Token.objects.get(patient=patient)
    assert response.status_code == 302 and response.url == f"/desk/booked/?token={token.pk}"
    page = desk.get(response.url)
    assert b'id="booking-result"' in page.content and b"<nav" in page.content


def test_booking_form_errors_are_shown_next_to_the_field(desk, slot, patient):
    html = desk.post("/desk/book/", {"patient": patient.pk, "category": "WALKIN"}, **HX).content.decode()
    assert 'id="doctor-error"' in html and "Choose a doctor." in html
    assert "Jane Doe" in html  # the chosen patient is kept


def test_an_unknown_category_is_refused_as_a_form_error(desk, slot, patient):
    html = book(desk, patient, slot, category="VIP").content.decode()
    assert "Select a valid choice" in html
    assert not Token.objects.exists()


# --- registering --------------------------------------------------------------------------------


def test_registering_a_patient_selects_them_for_booking_with_the_next_uhid(desk, db, settings):
    settings.UHID_PATTERN = "{year}{seq:06d}"
    with time_machine.travel(datetime(2026, 12, 3, 12, 0, tzinfo=ZoneInfo("Asia/Kolkata")), tick=False):
        response = desk.post("/desk/patients/", {"name": "  Nila   Das ", "phone": "9123456789"}, **hx("book-panel"))
    patient = Patient.objects.get(phone="9123456789")
    assert patient.name == "Nila Das" and patient.hospital_number == "2026000001"
    assert 'id="book-form"' in response.content.decode() and str(patient.pk) in response.content.decode()


def test_registration_errors_keep_what_was_typed_next_to_the_field(desk, db):
    response = desk.post("/desk/patients/", {"name": "Nila Das", "phone": "12ab", "age": "200"}, **hx("book-panel"))
    html = response.content.decode()
    assert response.headers["HX-Retarget"] == "#patient-results"
    assert 'value="Nila Das"' in html and 'value="12ab"' in html
    assert "Use digits only" in html and 'id="id_new_phone-error"' in html
    assert not Patient.objects.exists()


def test_a_taken_hospital_number_is_refused(desk, make_patient):
    make_patient("First", hospital_number="H9")
    html = desk.post("/desk/patients/", {"name": "Second", "hospital_number": "H9"}, **hx("book-panel")).content.decode()
    assert "already exists" in html


def test_registering_without_javascript_redirects_to_the_chosen_patient(desk, db):
    response = desk.post("/desk/patients/", {"name": "Nila Das"})
    assert response.status_code == 302 and "?patient=" in response.url


# --- emergency --------------------------------------------------------------------------------


def test_emergency_asks_for_confirmation_first(desk, slot, patient):
    response = desk.post("/desk/emergency/", {"patient": patient.pk, "doctor": slot.doctor_id, "slot": slot.pk}, **HX)
    html = response.content.decode()
    assert response.headers["HX-Retarget"] == "#desk-dialog-body"
    assert "head of the queue" in html and 'id="confirm-emergency"' in html
    assert not Token.objects.exists()


def test_a_confirmed_emergency_lands_at_the_head_of_the_queue(desk, make_slot, make_patient):
    slot = make_slot(capacity=1)
    allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN")
    patient = make_patient("Urgent Case")
    data = {"patient": patient.pk, "doctor": slot.doctor_id, "slot": slot.pk, "confirmed": "on"}
    html = desk.post("/desk/emergency/", data, **HX).content.decode()
    token = Token.objects.get(patient=patient)
    assert token.category == "EMERGENCY"
    assert f"Emergency token {token.token_label}" in html
    assert "<strong>First in the queue</strong>" in html


def test_emergency_without_a_doctor_is_explained(desk, patient):
    html = desk.post("/desk/emergency/", {"patient": patient.pk}, **HX).content.decode()
    assert "Choose the doctor first." in html


def test_emergency_for_a_patient_already_booked_is_refused_with_the_reason(desk, slot, patient):
    allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    data = {"patient": patient.pk, "doctor": slot.doctor_id, "slot": slot.pk, "confirmed": "on"}
    html = desk.post("/desk/emergency/", data, **HX).content.decode()
    assert "Already booked" in html


# --- token actions --------------------------------------------------------------------------------


@pytest.fixture
def token(slot, patient):
    return allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="ONLINE").token


def test_check_in_marks_the_token_arrived_and_tells_the_panels(desk, token):
    response = desk.post(f"/desk/tokens/{token.pk}/check-in/", **HX)
    token.refresh_from_db()
    assert token.status == "ARRIVED"
    assert events(response)["desk-notice"]["message"] == f"Token {token.token_label} (Jane Doe) checked in."
    assert "queue-changed" in events(response)


def test_checking_in_twice_is_refused_with_the_reason(desk, token):
    desk.post(f"/desk/tokens/{token.pk}/check-in/", **HX)
    response = desk.post(f"/desk/tokens/{token.pk}/check-in/", **HX)
    notice = events(response)["desk-notice"]
    assert notice["level"] == "danger" and "cannot be checked in" in notice["message"]


def test_actions_without_javascript_return_to_the_slot_with_a_message(desk, token):
    response = desk.post(f"/desk/tokens/{token.pk}/no-show/", follow=True)
    assert response.redirect_chain[-1][0] == f"/desk/?slot={token.slot_id}"
    assert b"marked as a no-show" in response.content
    token.refresh_from_db()
    assert token.status == "NO_SHOW"


def test_cancel_asks_for_a_reason_then_promotes_the_waiting_patient(desk, make_slot, make_patient):
    slot = make_slot(capacity=1)
    token = allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN").token
    waiting = make_patient("Next Inline")
    allocation.book_token(slot_id=slot.pk, patient_id=waiting.pk, category="WALKIN")
    form = desk.get(f"/desk/tokens/{token.pk}/cancel/", **HX).content.decode()
    assert 'name="reason"' in form
    missing = desk.post(f"/desk/tokens/{token.pk}/cancel/", {"reason": " "}, **HX).content.decode()
    assert "Say why, for the record." in missing
    desk.post(f"/desk/tokens/{token.pk}/cancel/", {"reason": "Patient asked to cancel"}, **HX)
    token.refresh_from_db()
    assert token.status == "CANCELLED" and token.cancel_reason == "Patient asked to cancel"
    assert Token.objects.get(patient=waiting).status == "ARRIVED"  # a promoted walk-in is in the hall


def test_the_slot_panel_lists_the_queue_and_waiting_list(desk, make_slot, make_patient):
    slot = make_slot(capacity=1)
    allocation.book_token(slot_id=slot.pk, patient_id=make_patient("In Queue").pk, category="WALKIN")
    allocation.book_token(slot_id=slot.pk, patient_id=make_patient("On List").pk, category="WALKIN")
    html = desk.get("/desk/", {"slot": slot.pk}, **hx("slot-panel")).content.decode()
    assert html.lstrip().startswith('<section id="slot-panel"')
    assert 'id="queue-table"' in html and "In Queue" in html
    assert 'id="waiting-table"' in html and "On List" in html


def test_removing_a_waiting_patient(desk, make_slot, make_patient):
    slot = make_slot(capacity=1)
    allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN")
    entry = allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN").waiting_entry
    response = desk.post(f"/desk/waiting/{entry.pk}/cancel/", **HX)
    entry.refresh_from_db()
    assert entry.status == "CANCELLED" and "removed from the waiting list" in events(response)["desk-notice"]["message"]


# --- slot actions ---------------------------------------------------------------------------------


def test_setting_and_clearing_a_delay(desk, slot):
    response = desk.post(f"/desk/slots/{slot.pk}/delay/", {"delay_minutes": "25"}, **HX)
    slot.refresh_from_db()
    assert slot.delay_minutes == 25 and slot.status == Slot.Status.DELAYED
    assert "delayed by 25 min" in events(response)["desk-notice"]["message"]
    desk.post(f"/desk/slots/{slot.pk}/delay/", {"delay_minutes": "0"}, **HX)
    slot.refresh_from_db()
    assert slot.delay_minutes == 0 and slot.status == Slot.Status.ACTIVE


def test_a_bad_delay_is_shown_next_to_the_field_with_what_was_typed(desk, slot):
    html = desk.post(f"/desk/slots/{slot.pk}/delay/", {"delay_minutes": "5000"}, **HX).content.decode()
    assert 'id="delay-error"' in html and 'value="5000"' in html
    slot.refresh_from_db()
    assert slot.delay_minutes == 0


def test_cancelling_a_slot_lists_its_patients_for_rebooking(desk, make_slot, make_patient):
    slot = make_slot(capacity=1)
    allocation.book_token(slot_id=slot.pk, patient_id=make_patient("Booked One").pk, category="WALKIN")
    allocation.book_token(slot_id=slot.pk, patient_id=make_patient("Waiting One").pk, category="WALKIN")
    confirm = desk.get(f"/desk/slots/{slot.pk}/cancel/", **HX).content.decode()
    assert "<strong>1</strong> booking and <strong>1</strong> waiting-list place" in confirm
    response = desk.post(f"/desk/slots/{slot.pk}/cancel/", {"reason": "Doctor unavailable"}, **HX)
    html = response.content.decode()
    assert 'id="rebook-table"' in html and "Booked One" in html and "Waiting One" in html
    slot.refresh_from_db()
    assert slot.status == Slot.Status.CANCELLED
    again = desk.post(f"/desk/slots/{slot.pk}/cancel/", {"reason": "again"}, **HX).content.decode()
    assert "already cancelled" in again


def test_dialog_steps_work_as_pages_without_javascript(desk, token):
    response = desk.get(f"/desk/tokens/{token.pk}/cancel/")
    assert response.status_code == 200 and b"<nav" in response.content and b'name="reason"' in response.content


def test_unknown_ids_are_404_not_500(desk, db):
    missing = uuid.uuid4()
    assert desk.post(f"/desk/tokens/{missing}/check-in/").status_code == 404
    assert desk.get(f"/desk/slots/{missing}/delay/").status_code == 404
    assert desk.get("/desk/booked/", {"token": "nope"}).status_code == 404
    assert desk.get("/desk/", {"slot": "nope", "patient": "x", "doctor": "y"}).status_code == 200


def test_the_slip_shows_token_doctor_room_and_estimated_time(desk, token):
    html = desk.get(f"/tokens/{token.pk}/slip/").content.decode()
    assert f"{token.token_number}</h1>" in html and "Dr. Asha Rao" in html and "Est. time" in html
    assert "data-autoprint" in desk.get(f"/tokens/{token.pk}/slip/?print=1").content.decode()

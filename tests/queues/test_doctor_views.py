"""The doctor's page and its actions (full page and htmx fragment), and who may use them."""

import pytest
from django.urls import reverse

from queues import allocation
from queues.models import Token
from scheduling.models import Doctor
from tests.staff import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor_client(client, doctor):
    client.force_login(make_staff("rao", "Doctor", doctor))
    return client


def arrived(slot, patient, category="WALKIN"):
    """A present patient: walk-ins are checked in at booking, others check in."""
    token = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category=category).token
    return token if token.status == "ARRIVED" else allocation.check_in(token_id=token.pk)


def test_a_doctor_lands_on_their_own_queue(doctor_client, doctor):
    response = doctor_client.get("/doctor/")
    assert response.status_code == 302 and response.url == reverse("queues:doctor-queue", args=[doctor.pk])


def test_the_page_shows_the_queue_in_serving_order_with_the_live_socket(doctor_client, doctor, slot, make_patient):
    walkin = arrived(slot, make_patient("Walk In"))
    followup = arrived(slot, make_patient("Follow Up"), "FOLLOWUP")
    page = doctor_client.get(reverse("queues:doctor-queue", args=[doctor.pk])).content.decode()
    assert page.index("Follow Up") < page.index("Walk In")
    assert f'ws-connect="/ws/doctor/{doctor.pk}/"' in page
    assert f'data-token="{followup.token_number}"' in page and f'data-token="{walkin.token_number}"' in page


def test_htmx_gets_only_the_fragment(doctor_client, doctor):
    response = doctor_client.get(reverse("queues:doctor-queue", args=[doctor.pk]), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="doctor-queue"') and "<html" not in body


def test_call_next_calls_the_first_arrived_and_completes_the_current(doctor_client, doctor, slot, make_patient):
    first = arrived(slot, make_patient(), "FOLLOWUP")
    second = arrived(slot, make_patient())
    url = reverse("queues:doctor-call-next", args=[doctor.pk])
    response = doctor_client.post(url, headers={"HX-Request": "true"})
    assert f"Token {first.token_label} called in." in response.content.decode()
    assert "marked as seen" not in response.content.decode()
    response = doctor_client.post(url, headers={"HX-Request": "true"})
    # The doctor is told that calling the next patient finished the one before.
    assert f"Token {second.token_label} called in. Token {first.token_label} marked as seen." in response.content.decode()
    first.refresh_from_db(); second.refresh_from_db()
    assert (first.status, second.status) == (Token.Status.COMPLETED, Token.Status.CALLED)


def test_call_next_says_what_to_do_when_nobody_has_arrived(doctor_client, doctor, slot, patient):
    allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="ONLINE")
    response = doctor_client.post(reverse("queues:doctor-call-next", args=[doctor.pk]), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Nobody has checked in to call. 1 booked patient(s) have not checked in yet" in body
    assert 'role="alert"' in body


def test_call_next_moves_on_to_a_later_slot_and_completes_the_earlier_patient(doctor_client, doctor, make_slot, make_patient):
    from datetime import timedelta

    early = make_slot(starts_in=timedelta(minutes=-70), length=timedelta(hours=2))
    late = make_slot(starts_in=timedelta(minutes=-10))
    current = arrived(early, make_patient())
    allocation.call_next(slot_id=early.pk)
    waiting = arrived(late, make_patient())
    doctor_client.post(reverse("queues:doctor-call-next", args=[doctor.pk]))
    current.refresh_from_db(); waiting.refresh_from_db()
    assert (current.status, waiting.status) == (Token.Status.COMPLETED, Token.Status.CALLED)


@pytest.mark.parametrize("action, status", [
    ("complete", Token.Status.COMPLETED), ("skip", Token.Status.ARRIVED),
    ("no-show", Token.Status.NO_SHOW), ("recall", Token.Status.CALLED),
])
def test_token_actions_go_through_the_service(doctor_client, slot, patient, action, status):
    token = arrived(slot, patient)
    allocation.call_next(slot_id=slot.pk)
    response = doctor_client.post(reverse("queues:doctor-token-action", args=[token.pk, action]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.status == status


def test_a_refused_action_is_explained(doctor_client, slot, patient):
    token = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="ONLINE").token
    response = doctor_client.post(reverse("queues:doctor-token-action", args=[token.pk, "complete"]), headers={"HX-Request": "true"})
    assert "cannot be completed" in response.content.decode()


def test_set_delay(doctor_client, doctor, slot):
    response = doctor_client.post(reverse("queues:doctor-delay", args=[doctor.pk]), {"slot": slot.pk, "delay_minutes": "20"},
                                  headers={"HX-Request": "true"})
    assert "Running 20 min late" in response.content.decode()
    slot.refresh_from_db()
    assert slot.delay_minutes == 20
    bad = doctor_client.post(reverse("queues:doctor-delay", args=[doctor.pk]), {"slot": slot.pk, "delay_minutes": "soon"},
                             headers={"HX-Request": "true"})
    assert "whole minutes" in bad.content.decode()


def test_the_delay_form_takes_only_todays_slots(doctor_client, doctor, make_slot):
    from datetime import timedelta

    tomorrow = make_slot(starts_in=timedelta(days=1))
    response = doctor_client.post(reverse("queues:doctor-delay", args=[doctor.pk]), {"slot": tomorrow.pk, "delay_minutes": "20"},
                                  headers={"HX-Request": "true"})
    assert "Choose one of today&#x27;s slots." in response.content.decode()
    tomorrow.refresh_from_db()
    assert tomorrow.delay_minutes == 0


def test_a_doctor_cannot_open_or_act_on_another_doctors_queue(doctor_client, department, make_slot, patient):
    other = Doctor.objects.create(name="Dr. Other", department=department, room="8")
    token = allocation.book_token(slot_id=make_slot(of=other).pk, patient_id=patient.pk, category="WALKIN").token
    assert doctor_client.get(reverse("queues:doctor-queue", args=[other.pk])).status_code == 403
    assert doctor_client.post(reverse("queues:doctor-call-next", args=[other.pk])).status_code == 403
    assert doctor_client.post(reverse("queues:doctor-token-action", args=[token.pk, "no-show"])).status_code == 403


def test_reception_cannot_use_the_doctor_page_and_anonymous_is_sent_to_login(client, doctor):
    assert client.get("/doctor/").status_code == 302
    client.force_login(make_staff("desk", "Reception"))
    assert client.get("/doctor/").status_code == 403
    assert client.get(reverse("queues:doctor-queue", args=[doctor.pk])).status_code == 403


def test_a_manager_picks_any_doctor(client, doctor):
    client.force_login(make_staff("boss", "Manager"))
    assert doctor.name in client.get("/doctor/").content.decode()
    assert client.get(reverse("queues:doctor-queue", args=[doctor.pk])).status_code == 200


def test_the_page_marks_present_and_expected_and_names_who_call_next_takes(doctor_client, doctor, slot, make_patient):
    expected = allocation.book_token(slot_id=slot.pk, patient_id=make_patient("Not Here").pk, category="PRIORITY_PAID").token
    present = arrived(slot, make_patient("In The Hall"))
    page = doctor_client.get(reverse("queues:doctor-queue", args=[doctor.pk])).content.decode()
    assert page.index("Not Here") < page.index("In The Hall")  # the expected keep their place
    assert f'Call next patient: <span data-next-token>{present.token_label}</span>' in page
    assert "Expected" in page and "Present" in page
    assert expected.status == "CONFIRMED"


def test_skip_says_who_goes_first_and_offers_a_no_show_after_two_skips(doctor_client, doctor, slot, make_patient):
    token = arrived(slot, make_patient("Often Away"))
    other = arrived(slot, make_patient("Right Here"))
    allocation.call_next_for_doctor(doctor_id=doctor.pk)
    skip = reverse("queues:doctor-token-action", args=[token.pk, "skip"])
    body = doctor_client.post(skip, headers={"HX-Request": "true"}).content.decode()
    assert f"Token {token.token_label} skipped: back in the queue behind token {other.token_label}." in body
    allocation.call_next_for_doctor(doctor_id=doctor.pk)  # calls the other patient
    allocation.call_next_for_doctor(doctor_id=doctor.pk)  # then the skipped one
    body = doctor_client.post(skip, headers={"HX-Request": "true"}).content.decode()
    assert "Skipped twice now" in body
    allocation.call_next_for_doctor(doctor_id=doctor.pk)
    page = doctor_client.get(reverse("queues:doctor-queue", args=[doctor.pk])).content.decode()
    assert "data-offer-no-show" in page


def test_a_long_queue_shows_the_first_rows_and_counts_the_rest(doctor_client, doctor, make_slot, make_patient):
    from queues.fragments import DOCTOR_ROWS

    slot = make_slot(capacity=DOCTOR_ROWS + 5)
    names = [arrived(slot, make_patient(f"Patient Number{n:02d}")).patient.name for n in range(DOCTOR_ROWS + 5)]
    page = doctor_client.get(reverse("queues:doctor-queue", args=[doctor.pk])).content.decode()
    assert page.count("data-token=") == DOCTOR_ROWS and "5 more today" in page
    assert all(name in page for name in names[:DOCTOR_ROWS]) and names[DOCTOR_ROWS] not in page
    whole = doctor_client.get(reverse("queues:doctor-queue", args=[doctor.pk]) + "?all=1").content.decode()
    assert whole.count("data-token=") == DOCTOR_ROWS + 5 and all(name in whole for name in names)


def test_the_page_takes_as_many_queries_for_a_long_queue_as_for_a_short_one(doctor_client, doctor, make_slot, make_patient):
    """The day is read as plain values and only the rows shown with their patients' names: a fixed
    number of queries however long the queue."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from queues.fragments import DOCTOR_ROWS

    slot = make_slot(capacity=3 * DOCTOR_ROWS)
    for _ in range(3):
        arrived(slot, make_patient())
    url = reverse("queues:doctor-queue", args=[doctor.pk])
    doctor_client.get(url)  # the first read records each token's first estimate
    with CaptureQueriesContext(connection) as short:
        doctor_client.get(url)
    for _ in range(2 * DOCTOR_ROWS):
        arrived(slot, make_patient())
    doctor_client.get(url)
    with CaptureQueriesContext(connection) as long:
        assert "18 more today" in doctor_client.get(url).content.decode()
    assert len(long) == len(short), [q["sql"][:80] for q in long.captured_queries]


def test_a_row_no_show_marks_that_patient(doctor_client, doctor, slot, make_patient):
    token = arrived(slot, make_patient())
    response = doctor_client.post(reverse("queues:doctor-no-show", args=[doctor.pk]), {"token": token.pk}, headers={"HX-Request": "true"})
    assert f"Token {token.token_label} marked as a no-show." in response.content.decode()
    token.refresh_from_db()
    assert token.status == "NO_SHOW"

"""Each queue change a patient is told about writes its notice in its own transaction, and the
worker delivers it: one SMS per trigger reaches the fake gateway, with the right words."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from notices import tasks
from notices.models import Delivery
from queues import allocation
from queues.errors import AlreadyBooked
from queues.models import Notice

pytestmark = pytest.mark.django_db(transaction=True)  # notices leave on commit


def book(slot, patient, category="WALKIN"):
    return allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category=category)


def texts(gateway) -> list[str]:
    return [r.json["text"] for r in gateway.requests]


def test_a_booking_sends_its_token_doctor_room_estimate_and_status_link(sms_gateway, slot, consented):
    token = book(slot, consented("Jane Doe")).token
    (request,) = sms_gateway.requests
    text = request.json["text"]
    assert f"token {token.token_label} with Dr. Asha Rao, room 4" in text
    assert "Expected " in text and f"https://opd.example-hospital.in/s/{token.status_code}/" in text
    assert request.json["to"].startswith("9198")
    notice = Notice.objects.get(token=token)
    assert notice.kind == "BOOKED" and notice.state == "DONE"
    assert notice.deliveries.get().state == Delivery.State.SENT


def test_a_refused_booking_owes_nothing(sms_gateway, slot, consented):
    patient = consented()
    book(slot, patient)
    with pytest.raises(AlreadyBooked):
        book(slot, patient)
    assert Notice.objects.count() == 1 and len(sms_gateway.requests) == 1


def test_a_full_slot_tells_the_patient_their_waiting_list_place(sms_gateway, make_slot, consented):
    slot = make_slot(capacity=1)
    book(slot, consented())
    entry = book(slot, consented()).waiting_entry
    assert Notice.objects.get(waiting_entry=entry).kind == "WAITLISTED"
    assert f"you are {entry.waiting_label} on the waiting list (place 1)" in texts(sms_gateway)[-1]


def test_the_first_n_in_line_are_told_once_each_after_a_call(sms_gateway, slot, doctor, consented):
    doctor.notify_when_ahead = 2
    doctor.save()
    tokens = [book(slot, consented()).token for _ in range(5)]
    sms_gateway.requests.clear()
    allocation.call_next(slot_id=slot.pk)  # tokens[0] called; 1 and 2 are first and second in line
    assert sorted(n.token_id for n in Notice.objects.filter(kind="NEAR")) == sorted([tokens[1].pk, tokens[2].pk])
    assert any(f"token {tokens[0].token_label}, you are being called. Go to room 4 now." in t for t in texts(sms_gateway))
    allocation.call_next(slot_id=slot.pk)  # tokens[1] called; 3 becomes second: told; 2 already was
    near = Notice.objects.filter(kind="NEAR")
    assert sorted(n.token_id for n in near) == sorted([tokens[1].pk, tokens[2].pk, tokens[3].pk])
    assert sum("number 2 in line" in t for t in texts(sms_gateway)) == 2
    assert Notice.objects.filter(kind="CALLED").count() == 2


def test_a_delay_beyond_m_minutes_tells_the_patients_whose_estimate_moved(sms_gateway, slot, consented, settings):
    settings.NOTICE_DELAY_MINUTES = 15
    tokens = [book(slot, consented()).token for _ in range(2)]
    allocation.delay_slot(slot_id=slot.pk, delay_minutes=10)  # not more than M: nobody told
    assert not Notice.objects.filter(kind="DELAYED").exists()
    allocation.delay_slot(slot_id=slot.pk, delay_minutes=45)
    delayed = Notice.objects.filter(kind="DELAYED")
    assert {n.token_id for n in delayed} == {t.pk for t in tokens}
    assert any("Dr. Asha Rao is running late" in t and "min later" in t for t in texts(sms_gateway))
    allocation.delay_slot(slot_id=slot.pk, delay_minutes=20)  # earlier again: nobody told
    assert Notice.objects.filter(kind="DELAYED").count() == 2


def test_a_promotion_tells_the_waiting_patient_their_token(sms_gateway, make_slot, consented):
    slot = make_slot(capacity=1)
    first = book(slot, consented()).token
    entry = book(slot, consented()).waiting_entry
    allocation.cancel_token(token_id=first.pk, reason="went home")
    entry.refresh_from_db()
    notice = Notice.objects.get(kind="PROMOTED")
    assert notice.token_id == entry.token_id
    assert f"Waiting list {entry.waiting_label} is now token {entry.token.token_label}" in texts(sms_gateway)[-1]


def test_a_cancelled_slot_tells_every_booked_and_waiting_patient(sms_gateway, make_slot, consented):
    slot = make_slot(capacity=1)
    token = book(slot, consented(), category="ONLINE").token
    entry = book(slot, consented()).waiting_entry
    allocation.cancel_slot(slot_id=slot.pk, reason="doctor unwell")
    cancelled = Notice.objects.filter(kind="SLOT_CANCELLED")
    assert {(n.token_id, n.waiting_entry_id) for n in cancelled} == {(token.pk, None), (None, entry.pk)}
    assert sum("session for" in t and "doctor unwell" in t for t in texts(sms_gateway)) == 2


def test_a_no_show_is_told_how_to_be_reinstated(sms_gateway, slot, consented):
    token = book(slot, consented(), category="ONLINE").token
    allocation.mark_no_show(token_id=token.pk)
    assert Notice.objects.filter(token=token, kind="NO_SHOW").exists()
    assert "go to the reception desk to be put back in the queue" in texts(sms_gateway)[-1]


def test_advance_bookings_get_one_reminder_the_evening_before(sms_gateway, make_slot, consented, settings):
    settings.NOTICE_REMINDER_HOUR = 18
    tomorrow = make_slot(starts_in=timedelta(days=1))
    same_day = make_slot(starts_in=timedelta(hours=3))
    advance = book(tomorrow, consented(), category="ONLINE").token
    book(same_day, consented(), category="ONLINE")
    zone = timezone.get_current_timezone()
    with time_machine.travel(timezone.make_aware(datetime.combine(timezone.localdate(), time(17, 30)), zone)):
        assert tasks.write_reminders(now=timezone.now()) == []
    with time_machine.travel(timezone.make_aware(datetime.combine(timezone.localdate(), time(18, 5)), zone)):
        settings.NOTICE_QUIET_HOURS = "21:00-07:00"
        assert [n.token_id for n in tasks.write_reminders(now=timezone.now())] == [advance.pk]
        assert tasks.write_reminders(now=timezone.now()) == []  # beat runs it again: once only
    assert Notice.objects.filter(kind="REMINDER").count() == 1
    assert "reminder, token" in texts(sms_gateway)[-1] and "tomorrow" in texts(sms_gateway)[-1]

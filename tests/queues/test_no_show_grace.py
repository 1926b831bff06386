"""The no-show grace period: the worker marks a booked patient who has not checked in by their
slot's delayed end plus G minutes, through the allocation service; the place goes to the waiting
list (who are told); a called patient is only ever offered to the doctor as a no-show."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from queues import allocation, priority, selectors, states, tasks
from queues.models import Notice, QueueEvent, Token, WaitingListEntry
from tests.staff import make_staff

pytestmark = pytest.mark.django_db(transaction=True)  # notices leave on commit


def book(slot, patient, category="ONLINE"):
    return allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category=category)


def test_the_deadline_is_the_delayed_end_plus_the_grace():
    end = timezone.now()
    assert priority.no_show_deadline(end, 0, 15) == end + timedelta(minutes=15)
    assert priority.no_show_deadline(end, 30, 15) == end + timedelta(minutes=45)


def test_a_booked_patient_is_marked_only_after_the_delayed_end_plus_g(make_slot, doctor, make_patient):
    doctor.no_show_grace_minutes = 15
    doctor.save()
    slot = make_slot(starts_in=timedelta(minutes=-10), length=timedelta(minutes=20))  # ends in 10 min
    late = book(slot, make_patient()).token
    present = book(slot, make_patient(), category="WALKIN").token  # checked in at booking
    allocation.delay_slot(slot_id=slot.pk, delay_minutes=20)  # delayed end: in 30 min; deadline: in 45
    with time_machine.travel(timezone.now() + timedelta(minutes=44)):
        assert tasks.sweep(now=timezone.now())["marked"] == []
    with time_machine.travel(timezone.now() + timedelta(minutes=46)):
        assert tasks.sweep(now=timezone.now())["marked"] == [late.token_label]
        assert tasks.sweep(now=timezone.now())["marked"] == []  # once
    late.refresh_from_db()
    present.refresh_from_db()
    assert late.status == Token.Status.NO_SHOW and present.status == Token.Status.ARRIVED
    event = QueueEvent.objects.get(token=late, kind=QueueEvent.Kind.NO_SHOW)
    assert event.actor is None and "grace period" in event.note
    assert Notice.objects.filter(token=late, kind="NO_SHOW").exists()  # told how to be reinstated


def test_the_freed_place_goes_to_the_waiting_list_who_are_told(make_slot, make_patient):
    slot = make_slot(capacity=1, starts_in=timedelta(minutes=-50), length=timedelta(minutes=60))  # ends in 10 min
    absent = book(slot, make_patient()).token
    entry = book(slot, make_patient()).waiting_entry
    with time_machine.travel(timezone.now() + timedelta(minutes=26)):
        tasks.sweep(now=timezone.now())
    entry.refresh_from_db()
    assert entry.status == WaitingListEntry.Status.PROMOTED
    assert Notice.objects.filter(token=entry.token, kind="PROMOTED").exists()
    assert Token.objects.get(pk=absent.pk).status == Token.Status.NO_SHOW


def test_a_check_in_just_before_the_mark_wins(make_slot, make_patient):
    slot = make_slot(starts_in=timedelta(minutes=-50), length=timedelta(minutes=60))  # ends in 10 min
    token = book(slot, make_patient()).token
    with time_machine.travel(timezone.now() + timedelta(minutes=26)):
        overdue = selectors.overdue_for_no_show(now=timezone.now())
        assert [t.pk for t in overdue] == [token.pk]
        allocation.check_in(token_id=token.pk)  # the patient walks in meanwhile
        assert allocation.mark_overdue_no_show(token_id=token.pk, now=timezone.now()) is None
    assert Token.objects.get(pk=token.pk).status == Token.Status.ARRIVED


def test_a_called_patient_is_offered_after_two_calls_and_g_minutes_never_marked(slot, doctor, make_patient):
    doctor.no_show_grace_minutes = 10
    doctor.save()
    token = book(slot, make_patient(), category="WALKIN").token
    allocation.call_next(slot_id=slot.pk)
    with time_machine.travel(timezone.now() + timedelta(minutes=30)):
        assert tasks.sweep(now=timezone.now())["offered"] == []  # called once: not yet
    allocation.recall_token(token_id=token.pk)
    second_call = timezone.now()
    with time_machine.travel(second_call + timedelta(minutes=9)):
        assert tasks.sweep(now=timezone.now())["offered"] == []
    with time_machine.travel(second_call + timedelta(minutes=11)):
        assert tasks.sweep(now=timezone.now()) == {"marked": [], "offered": [token.token_label]}
        assert tasks.sweep(now=timezone.now())["offered"] == []  # the doctor is shown once
        token.refresh_from_db()
        assert token.status == Token.Status.CALLED  # never marked by itself
        assert states.offer_no_show(token, now=timezone.now(), second_call_at=second_call, grace_minutes=10)
        client = Client()
        client.force_login(make_staff("rao", "Doctor", doctor))
        html = client.get(f"/doctor/{doctor.pk}/").content.decode()
    assert "data-offer-no-show" in html and "Called twice and not here for 10 min." in html

"""The allocation service on PostgreSQL: every operation and every refusal."""

from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone

import pytest
import time_machine
from django.utils import timezone

from queues import allocation, selectors
from queues.errors import (
    AlreadyBooked,
    CapacityTooSmall,
    InvalidRequest,
    InvalidTransition,
    NobodyArrived,
    PatientNotFound,
    SlotClosed,
    SlotNotFound,
    TokenNotFound,
)
from queues.models import DoctorDay, QueueEvent, Token, WaitingListEntry
from scheduling.models import Doctor, Slot

pytestmark = pytest.mark.django_db


def book(slot, patient, category="WALKIN", **kwargs):
    return allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category=category, **kwargs)


def fill(slot, make_patient, n, category="WALKIN"):
    return [book(slot, make_patient(), category).token for _ in range(n)]


def order(slot):
    return [t.token_number for t in selectors.queue_for_slot(slot=slot)]


# --- booking ----------------------------------------------------------------------------------


def test_a_booking_gets_a_token_numbered_from_one(slot, patient):
    result = book(slot, patient)
    assert result.confirmed
    token = result.token
    # A walk-in is booked at the counter, so they are present (callable) at once.
    assert (token.token_number, token.token_label, token.status, token.priority) == (1, "1", "ARRIVED", 5)
    assert token.arrived_at is not None
    assert token.day == timezone.localdate(slot.start_time)
    assert QueueEvent.objects.get(token=token).kind == "BOOKED"


def test_token_numbers_count_per_doctor_across_their_slots(make_slot, make_patient):
    first = make_slot()
    second = make_slot(starts_in=timedelta(minutes=50))
    numbers = [book(first, make_patient()).token.token_number, book(second, make_patient()).token.token_number,
               book(first, make_patient()).token.token_number]
    assert numbers == [1, 2, 3]


def test_each_doctor_has_their_own_numbers(make_slot, make_patient, department):
    other = Doctor.objects.create(name="Dr. Other", department=department)
    a = book(make_slot(), make_patient()).token
    b = book(make_slot(of=other), make_patient()).token
    assert a.token_number == b.token_number == 1


def test_numbers_restart_on_the_next_local_day(doctor, make_patient):
    # 23:30 and 00:30 in Asia/Kolkata are the same UTC day but different hospital days.
    tz = timezone.get_current_timezone()
    tonight = timezone.make_aware(timezone.datetime(2030, 1, 10, 23, 0), tz)
    with time_machine.travel(tonight - timedelta(hours=1), tick=False):
        late = Slot.objects.create(doctor=doctor, start_time=tonight, end_time=tonight + timedelta(minutes=50), max_capacity=5)
        early = Slot.objects.create(doctor=doctor, start_time=tonight + timedelta(hours=1), end_time=tonight + timedelta(hours=2), max_capacity=5)
        assert book(late, make_patient()).token.token_number == 1
        assert book(early, make_patient()).token.token_number == 1
        assert book(late, make_patient()).token.token_number == 2


def test_a_full_slot_puts_the_patient_on_the_waiting_list_with_a_place(make_slot, make_patient):
    slot = make_slot(capacity=2)
    fill(slot, make_patient, 2)
    first = book(slot, make_patient(), "WALKIN")
    second = book(slot, make_patient(), "PRIORITY_PAID")
    assert not first.confirmed and first.waiting_entry.place == 1
    assert second.waiting_entry.place == 1  # a better category goes ahead on the list too
    assert [e.category for e in selectors.waiting_list_for_slot(slot=slot)] == ["PRIORITY_PAID", "WALKIN"]
    assert Token.objects.filter(slot=slot).count() == 2


def test_a_patient_cannot_book_the_same_doctor_twice_a_day(make_slot, patient):
    first = make_slot()
    second = make_slot(starts_in=timedelta(minutes=50))
    token = book(first, patient).token
    with pytest.raises(AlreadyBooked, match=f"token {token.token_number}"):
        book(second, patient)
    with pytest.raises(AlreadyBooked):
        book(first, patient, "FOLLOWUP")


def test_a_waiting_patient_cannot_book_the_same_doctor_again(make_slot, make_patient, patient):
    full = make_slot(capacity=1)
    fill(full, make_patient, 1)
    assert not book(full, patient).confirmed
    with pytest.raises(AlreadyBooked, match="waiting list"):
        book(make_slot(starts_in=timedelta(minutes=50)), patient)


def test_a_patient_may_see_two_doctors_the_same_day(make_slot, patient, department):
    other = Doctor.objects.create(name="Dr. Other", department=department)
    assert book(make_slot(), patient).confirmed
    assert book(make_slot(of=other), patient).confirmed


def test_a_cancelled_booking_no_longer_blocks_a_new_one(slot, patient):
    token = book(slot, patient).token
    allocation.cancel_token(token_id=token.pk)
    again = book(slot, patient).token
    assert again.token_number == 2  # a fresh number; the old one is never reused


def test_booking_into_a_cancelled_slot_is_refused(slot, patient):
    allocation.cancel_slot(slot_id=slot.pk)
    with pytest.raises(SlotClosed, match="cancelled"):
        book(slot, patient)


def test_booking_into_a_slot_that_has_ended_is_refused(make_slot, patient):
    slot = make_slot(starts_in=timedelta(hours=-3))
    with pytest.raises(SlotClosed, match="ended"):
        book(slot, patient)


def test_a_delayed_slot_keeps_accepting_bookings_until_its_delayed_end(make_slot, patient):
    slot = make_slot(starts_in=timedelta(minutes=-80))  # ended 20 minutes ago...
    allocation.delay_slot(slot_id=slot.pk, delay_minutes=45)  # ...but now runs 25 more minutes
    assert book(slot, patient).confirmed


@pytest.mark.parametrize("category", ["", "URGENT", "walkin"])
def test_an_unknown_category_is_refused(slot, patient, category):
    with pytest.raises(InvalidRequest, match="category"):
        book(slot, patient, category)


def test_unknown_slot_and_patient_are_refused(slot, patient):
    import uuid

    with pytest.raises(SlotNotFound):
        allocation.book_token(slot_id=uuid.uuid4(), patient_id=patient.pk, category="WALKIN")
    with pytest.raises(PatientNotFound):
        allocation.book_token(slot_id=slot.pk, patient_id=uuid.uuid4(), category="WALKIN")
    with pytest.raises(SlotNotFound):
        allocation.book_token(slot_id="not-a-uuid", patient_id=patient.pk, category="WALKIN")
    assert not Token.objects.exists() and not DoctorDay.objects.filter(last_token_number__gt=0).exists()


def test_an_online_booking_keeps_its_own_booking_time(slot, patient):
    earlier = timezone.now() - timedelta(hours=2)
    token = book(slot, patient, "ONLINE", booked_at=earlier).token
    assert token.booked_at == earlier
    assert selectors.annotate_tokens([token])[0].score == pytest.approx(3.8, abs=0.01)


def test_a_booking_time_in_the_future_is_refused(slot, patient):
    with pytest.raises(InvalidRequest, match="future"):
        book(slot, patient, "ONLINE", booked_at=timezone.now() + timedelta(hours=1))


# --- serving order and estimated times ------------------------------------------------------------


def test_the_queue_follows_priority_then_booking_time(slot, make_patient):
    walkin = book(slot, make_patient(), "WALKIN").token
    online = book(slot, make_patient(), "ONLINE").token
    paid = book(slot, make_patient(), "PRIORITY_PAID").token
    followup = book(slot, make_patient(), "FOLLOWUP").token
    assert order(slot) == [paid.token_number, followup.token_number, online.token_number, walkin.token_number]
    # Token numbers never change; only positions do.
    assert [t.position for t in selectors.queue_for_slot(slot=slot)] == [1, 2, 3, 4]


def test_estimated_times_follow_position_and_consultation_length(make_slot, make_patient):
    slot = make_slot(capacity=4, starts_in=timedelta(minutes=30))  # 15-minute consultations
    for _ in range(3):
        book(slot, make_patient())
    times = [t.estimated_time for t in selectors.queue_for_slot(slot=slot)]
    assert times == [slot.start_time + timedelta(minutes=15 * i) for i in range(3)]


def test_a_delay_moves_estimated_times_of_this_and_later_slots(doctor, make_patient):
    start = (timezone.localtime() + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    s9 = Slot.objects.create(doctor=doctor, start_time=start, end_time=start + timedelta(hours=1), max_capacity=4)
    s10 = Slot.objects.create(doctor=doctor, start_time=start + timedelta(hours=1), end_time=start + timedelta(hours=2), max_capacity=4)
    s12 = Slot.objects.create(doctor=doctor, start_time=start + timedelta(hours=3), end_time=start + timedelta(hours=4), max_capacity=4)
    for s in (s9, s10, s12):
        book(s, make_patient())
    allocation.delay_slot(slot_id=s9.pk, delay_minutes=90)
    first = {s.pk: selectors.queue_for_slot(slot=s)[0].estimated_time for s in (s9, s10, s12)}
    assert first == {
        s9.pk: s9.start_time + timedelta(minutes=90),
        s10.pk: s10.start_time + timedelta(minutes=90),
        s12.pk: s12.start_time + timedelta(minutes=30),
    }
    allocation.delay_slot(slot_id=s9.pk, delay_minutes=0)
    assert selectors.queue_for_slot(slot=s12)[0].estimated_time == s12.start_time
    assert Slot.objects.get(pk=s9.pk).status == "ACTIVE"


# --- emergencies --------------------------------------------------------------------------------


def test_an_emergency_goes_to_the_head_even_over_capacity(make_slot, make_patient):
    slot = make_slot(capacity=3)
    tokens = fill(slot, make_patient, 3, "PRIORITY_PAID")
    emergency = allocation.insert_emergency(slot_id=slot.pk, patient_id=make_patient().pk)
    queue = selectors.queue_for_slot(slot=slot)
    assert queue[0].pk == emergency.pk and queue[0].position == 1
    assert len(queue) == 4  # over capacity
    assert emergency.token_number == 4  # numbers are never shuffled
    assert [t.token_number for t in queue[1:]] == [t.token_number for t in tokens]
    assert QueueEvent.objects.filter(kind="EMERGENCY", token=emergency).exists()


def test_booking_with_the_emergency_category_inserts_an_emergency(make_slot, make_patient):
    slot = make_slot(capacity=1)
    fill(slot, make_patient, 1)
    result = book(slot, make_patient(), "EMERGENCY")
    assert result.confirmed and order(slot)[0] == result.token.token_number


def test_an_emergency_into_an_ended_slot_is_refused(make_slot, patient):
    slot = make_slot(starts_in=timedelta(hours=-3))
    with pytest.raises(SlotClosed):
        allocation.insert_emergency(slot_id=slot.pk, patient_id=patient.pk)


def test_freed_places_first_bring_an_overfull_slot_back_to_capacity(make_slot, make_patient):
    slot = make_slot(capacity=2)
    tokens = fill(slot, make_patient, 2)
    allocation.insert_emergency(slot_id=slot.pk, patient_id=make_patient().pk)  # 3 of 2
    waiting = book(slot, make_patient()).waiting_entry
    allocation.cancel_token(token_id=tokens[0].pk)  # 2 of 2: nobody promoted
    assert WaitingListEntry.objects.get(pk=waiting.pk).status == "WAITING"
    allocation.cancel_token(token_id=tokens[1].pk)  # 1 of 2: the waiting patient comes in
    assert WaitingListEntry.objects.get(pk=waiting.pk).status == "PROMOTED"


# --- cancellation, no-show and promotion ----------------------------------------------------------


def test_cancelling_promotes_the_best_waiting_patient_with_a_fresh_number(make_slot, make_patient):
    slot = make_slot(capacity=2)
    tokens = fill(slot, make_patient, 2)
    walkin = book(slot, make_patient(), "WALKIN").waiting_entry
    followup = book(slot, make_patient(), "FOLLOWUP").waiting_entry
    cancelled = allocation.cancel_token(token_id=tokens[0].pk, reason="Patient phoned")
    assert (cancelled.status, cancelled.cancel_reason) == ("CANCELLED", "Patient phoned")
    promoted = WaitingListEntry.objects.get(pk=followup.pk)
    assert promoted.status == "PROMOTED"
    assert promoted.token.token_number == 3 and promoted.token.category == "FOLLOWUP"
    assert promoted.token.booked_at == followup.booked_at  # keeps the waiting bonus
    assert WaitingListEntry.objects.get(pk=walkin.pk).status == "WAITING"
    assert QueueEvent.objects.filter(kind="PROMOTED", waiting_entry=followup).count() == 1


def test_waiting_time_can_win_promotion(make_slot, make_patient):
    slot = make_slot(capacity=1)
    token = fill(slot, make_patient, 1)[0]
    with time_machine.travel(timezone.now(), tick=False):
        # A walk-in waiting 12 h scores 5 - 1.0 = 4.0, the same as a fresh online booking:
        # the earlier booking wins the tie.
        long_waiting = book(slot, make_patient(), "WALKIN", booked_at=timezone.now() - timedelta(hours=12)).waiting_entry
        book(slot, make_patient(), "ONLINE")
        allocation.cancel_token(token_id=token.pk)
    assert WaitingListEntry.objects.get(pk=long_waiting.pk).status == "PROMOTED"


def test_a_better_category_wins_promotion_over_a_shorter_wait(make_slot, make_patient):
    slot = make_slot(capacity=1)
    token = fill(slot, make_patient, 1)[0]
    walkin = book(slot, make_patient(), "WALKIN", booked_at=timezone.now() - timedelta(hours=3)).waiting_entry
    online = book(slot, make_patient(), "ONLINE").waiting_entry
    allocation.cancel_token(token_id=token.pk)
    assert WaitingListEntry.objects.get(pk=online.pk).status == "PROMOTED"
    assert WaitingListEntry.objects.get(pk=walkin.pk).status == "WAITING"


def test_a_no_show_frees_the_place_for_the_waiting_list(make_slot, make_patient):
    slot = make_slot(capacity=1)
    token = fill(slot, make_patient, 1)[0]
    waiting = book(slot, make_patient()).waiting_entry
    assert allocation.mark_no_show(token_id=token.pk).status == "NO_SHOW"
    assert WaitingListEntry.objects.get(pk=waiting.pk).status == "PROMOTED"


def test_an_online_booking_is_expected_until_it_checks_in(slot, patient):
    token = book(slot, patient, "ONLINE").token
    assert (token.status, token.arrived_at) == ("CONFIRMED", None)
    assert allocation.check_in(token_id=token.pk).status == "ARRIVED"


def test_a_completed_consultation_does_not_free_a_place(make_slot, make_patient):
    slot = make_slot(capacity=1)
    token = fill(slot, make_patient, 1)[0]
    allocation.call_next(slot_id=slot.pk)
    allocation.complete_token(token_id=token.pk)
    assert not book(slot, make_patient()).confirmed


def test_a_completed_token_cannot_be_cancelled(slot, patient):
    token = book(slot, patient).token
    allocation.call_next(slot_id=slot.pk)
    allocation.complete_token(token_id=token.pk)
    with pytest.raises(InvalidTransition, match="completed; it cannot be cancelled"):
        allocation.cancel_token(token_id=token.pk)
    with pytest.raises(InvalidTransition):
        allocation.mark_no_show(token_id=token.pk)


def test_cancelling_twice_is_refused_and_promotes_nobody_twice(make_slot, make_patient):
    slot = make_slot(capacity=1)
    token = fill(slot, make_patient, 1)[0]
    book(slot, make_patient())
    book(slot, make_patient())
    allocation.cancel_token(token_id=token.pk)
    with pytest.raises(InvalidTransition):
        allocation.cancel_token(token_id=token.pk)
    assert WaitingListEntry.objects.filter(slot=slot, status="PROMOTED").count() == 1


def test_an_unknown_token_is_refused():
    import uuid

    with pytest.raises(TokenNotFound):
        allocation.cancel_token(token_id=uuid.uuid4())


def test_a_waiting_entry_can_be_cancelled(make_slot, make_patient):
    slot = make_slot(capacity=1)
    fill(slot, make_patient, 1)
    entry = book(slot, make_patient()).waiting_entry
    allocation.cancel_waiting_entry(entry_id=entry.pk, reason="Went home")
    entry.refresh_from_db()
    assert (entry.status, entry.cancel_reason) == ("CANCELLED", "Went home")
    with pytest.raises(InvalidTransition):
        allocation.cancel_waiting_entry(entry_id=entry.pk)


# --- the consultation flow ------------------------------------------------------------------------


def test_check_in_call_and_complete(slot, patient):
    token = book(slot, patient, "ONLINE").token
    assert allocation.check_in(token_id=token.pk).arrived_at is not None
    called = allocation.call_next(slot_id=slot.pk)
    assert called.pk == token.pk and called.status == "CALLED" and called.actual_time is not None
    done = allocation.complete_token(token_id=token.pk)
    assert done.status == "COMPLETED" and done.completed_at >= done.called_at
    kinds = list(QueueEvent.objects.filter(token=token).values_list("kind", flat=True))
    assert kinds == ["BOOKED", "ARRIVED", "CALLED", "COMPLETED"]


def test_call_next_takes_the_first_arrived_patient_in_serving_order(slot, make_patient):
    walkin = book(slot, make_patient(), "WALKIN").token  # present at once
    paid = book(slot, make_patient(), "PRIORITY_PAID").token
    followup = book(slot, make_patient(), "FOLLOWUP").token
    allocation.check_in(token_id=followup.pk)
    assert allocation.call_next(slot_id=slot.pk).pk == followup.pk  # paid has not arrived
    # Calling the next patient completes the one with the doctor.
    assert allocation.call_next(slot_id=slot.pk).pk == walkin.pk
    assert Token.objects.get(pk=followup.pk).status == "COMPLETED"
    assert Token.objects.get(pk=paid.pk).status == "CONFIRMED"


def test_call_next_with_nobody_arrived_says_so(slot, patient):
    with pytest.raises(NobodyArrived, match="queue is empty"):
        allocation.call_next(slot_id=slot.pk)
    book(slot, patient, "ONLINE")
    with pytest.raises(NobodyArrived, match="1 booked patient"):
        allocation.call_next(slot_id=slot.pk)


def test_a_skipped_patient_goes_behind_the_next_present_patient(slot, make_patient):
    first = book(slot, make_patient(), "FOLLOWUP").token
    expected = book(slot, make_patient(), "ONLINE").token  # not here: keeps its place, is never called
    second = book(slot, make_patient(), "WALKIN").token
    third = book(slot, make_patient(), "WALKIN").token
    allocation.check_in(token_id=first.pk)
    allocation.call_next(slot_id=slot.pk)
    skipped = allocation.skip_token(token_id=first.pk)
    assert skipped.status == "ARRIVED" and skipped.called_at is None and skipped.arrived_at is not None
    assert (skipped.skip_count, skipped.skipped_behind) == (1, second.token_label)
    assert order(slot) == [expected.token_number, second.token_number, first.token_number, third.token_number]
    assert allocation.call_next(slot_id=slot.pk).pk == second.pk  # S then N calls someone else
    assert allocation.call_next(slot_id=slot.pk).pk == first.pk  # ... then the skipped patient
    assert QueueEvent.objects.filter(token=first, kind="SKIPPED").count() == 1


def test_a_patient_skipped_twice_is_offered_as_a_no_show(slot, make_patient):
    from queues import states

    token = book(slot, make_patient(), "WALKIN").token
    for _ in range(2):
        allocation.call_next(slot_id=slot.pk)
        allocation.skip_token(token_id=token.pk)
    called = allocation.call_next(slot_id=slot.pk)
    assert called.pk == token.pk and called.skip_count == 2  # nobody else is here
    assert states.offer_no_show(called)


def test_a_late_arrival_after_their_slot_ended_joins_the_end_of_the_present_queue(clinic_morning, make_slot, make_patient):
    ended = make_slot(starts_in=timedelta(hours=-3), length=timedelta(hours=1))
    running = make_slot(starts_in=timedelta(minutes=-30))
    late = Token.objects.get(pk=book(running, make_patient(), "ONLINE").token.pk)
    Token.objects.filter(pk=late.pk).update(slot=ended)  # booked for the earlier slot (now over)
    here = [book(running, make_patient(), "WALKIN").token for _ in range(2)]
    checked_in = allocation.check_in(token_id=late.pk)
    assert checked_in.joined_at_end and checked_in.token_number == late.token_number
    assert "joined the end of the queue" in QueueEvent.objects.get(token=late, kind="ARRIVED").note
    day = selectors.day_queue(doctor_id=running.doctor_id).order
    assert [t.pk for t in day] == [here[0].pk, here[1].pk, late.pk]


def test_a_no_show_who_turns_up_is_reinstated_at_the_end_of_the_queue(slot, make_patient, staff_user):
    gone = book(slot, make_patient(), "PRIORITY_PAID").token
    allocation.mark_no_show(token_id=gone.pk)
    here = book(slot, make_patient(), "WALKIN").token
    back = allocation.reinstate_token(token_id=gone.pk, by=staff_user)
    assert (back.status, back.token_number) == ("ARRIVED", gone.token_number)
    assert [t.pk for t in selectors.queue_for_slot(slot=slot)] == [here.pk, gone.pk]
    event = QueueEvent.objects.get(token=gone, kind="REINSTATED")
    assert event.actor == staff_user and event.before["status"] == "NO_SHOW"
    with pytest.raises(InvalidTransition):
        allocation.reinstate_token(token_id=gone.pk)


def test_a_no_show_who_has_booked_again_is_not_reinstated_twice(slot, patient):
    gone = book(slot, patient, "ONLINE").token
    allocation.mark_no_show(token_id=gone.pk)
    again = book(slot, patient, "WALKIN").token
    with pytest.raises(AlreadyBooked, match=again.token_label):
        allocation.reinstate_token(token_id=gone.pk)


def test_call_next_calls_a_present_patient_of_a_later_slot_over_absent_earlier_ones(clinic_morning, make_slot, make_patient):
    early = make_slot(starts_in=timedelta(minutes=-20))
    later = make_slot(starts_in=timedelta(minutes=40))
    absent = [book(early, make_patient(), "ONLINE").token for _ in range(3)]
    present = book(later, make_patient(), "WALKIN").token
    called = allocation.call_next_for_doctor(doctor_id=early.doctor_id)
    assert called.pk == present.pk
    assert all(Token.objects.get(pk=t.pk).status == "CONFIRMED" for t in absent)


def test_positions_and_estimates_run_over_the_doctors_day(clinic_morning, make_slot, make_patient):
    early = make_slot(capacity=4, starts_in=timedelta(minutes=-10))  # 15-minute consultations
    later = make_slot(capacity=4, starts_in=timedelta(hours=5))
    a = book(early, make_patient(), "WALKIN").token
    b = book(early, make_patient(), "WALKIN").token
    c = book(later, make_patient(), "WALKIN").token
    placed = {t.pk: t for t in selectors.annotate_tokens([Token.objects.get(pk=x.pk) for x in (a, b, c)])}
    assert [placed[t.pk].position for t in (a, b, c)] == [1, 2, 3]
    assert placed[c.pk].people_ahead == 2
    now = timezone.now()
    assert placed[a.pk].estimated_time >= now - timedelta(seconds=5)  # never in the past, though the slot began
    assert placed[b.pk].estimated_time - placed[a.pk].estimated_time == timedelta(minutes=15)
    assert placed[c.pk].estimated_time == later.start_time  # nobody is called before their slot
    assert Token.objects.get(pk=a.pk).first_estimate is not None  # recorded at booking


def test_the_measured_pace_replaces_the_slot_length_once_there_are_enough_consultations(clinic_morning, make_slot, make_patient):
    slot = make_slot(capacity=12, starts_in=timedelta(minutes=-10))  # 5 minutes by the slot
    done_at = timezone.now() - timedelta(minutes=1)
    for _ in range(5):
        t = book(slot, make_patient(), "WALKIN").token
        Token.objects.filter(pk=t.pk).update(status="COMPLETED", called_at=done_at - timedelta(minutes=6), completed_at=done_at)
    selectors.forget_pace(slot.doctor_id)  # as completing through the service does
    a = book(slot, make_patient(), "WALKIN").token
    b = book(slot, make_patient(), "WALKIN").token
    queue = selectors.day_queue(doctor_id=slot.doctor_id)
    assert queue.pace == timedelta(minutes=6)
    times = {t.pk: t.estimated_time for t in queue.order}
    assert times[b.pk] - times[a.pk] == timedelta(minutes=6)


def test_recall_is_only_for_the_called_patient(slot, patient):
    token = book(slot, patient, "ONLINE").token
    with pytest.raises(InvalidTransition):
        allocation.recall_token(token_id=token.pk)
    allocation.check_in(token_id=token.pk)
    allocation.call_next(slot_id=slot.pk)
    allocation.recall_token(token_id=token.pk)
    assert QueueEvent.objects.filter(token=token, kind="RECALLED").count() == 1


def test_a_patient_must_check_in_before_being_completed(slot, patient):
    token = book(slot, patient, "ONLINE").token
    with pytest.raises(InvalidTransition, match="confirmed; it cannot be completed"):
        allocation.complete_token(token_id=token.pk)


def test_a_called_patient_can_be_marked_no_show(slot, patient):
    token = book(slot, patient).token
    allocation.call_next(slot_id=slot.pk)
    assert allocation.mark_no_show(token_id=token.pk).status == "NO_SHOW"


# --- slots ----------------------------------------------------------------------------------------


def test_setting_a_delay_replaces_the_previous_one(slot):
    allocation.delay_slot(slot_id=slot.pk, delay_minutes=30)
    updated = allocation.delay_slot(slot_id=slot.pk, delay_minutes=20)
    assert (updated.delay_minutes, updated.status) == (20, "DELAYED")
    events = QueueEvent.objects.filter(slot=slot, kind="DELAY_SET").order_by("id")
    assert [e.after["delay_minutes"] for e in events] == [30, 20]
    assert events[1].before["delay_minutes"] == 30


@pytest.mark.parametrize("minutes", [-1, 1441, 2.5, "30", True])
def test_an_impossible_delay_is_refused(slot, minutes):
    with pytest.raises(InvalidRequest):
        allocation.delay_slot(slot_id=slot.pk, delay_minutes=minutes)
    assert Slot.objects.get(pk=slot.pk).delay_minutes == 0


def test_cancelling_a_slot_cancels_its_bookings_and_lists_them(make_slot, make_patient):
    slot = make_slot(capacity=1)
    token = fill(slot, make_patient, 1)[0]
    entry = book(slot, make_patient()).waiting_entry
    result = allocation.cancel_slot(slot_id=slot.pk, reason="Doctor on leave")
    assert [t.pk for t in result.cancelled_tokens] == [token.pk]
    assert [e.pk for e in result.cancelled_entries] == [entry.pk]
    assert Token.objects.get(pk=token.pk).cancel_reason == "Doctor on leave"
    assert WaitingListEntry.objects.get(pk=entry.pk).status == "CANCELLED"
    with pytest.raises(SlotClosed):
        allocation.delay_slot(slot_id=slot.pk, delay_minutes=10)


def test_a_cancelled_slot_no_longer_passes_its_delay_on(doctor, make_patient):
    start = timezone.now() + timedelta(hours=1)
    first = Slot.objects.create(doctor=doctor, start_time=start, end_time=start + timedelta(hours=1), max_capacity=2)
    second = Slot.objects.create(doctor=doctor, start_time=start + timedelta(hours=1), end_time=start + timedelta(hours=2), max_capacity=2)
    allocation.delay_slot(slot_id=first.pk, delay_minutes=30)
    assert selectors.effective_delay(second) == 30
    allocation.cancel_slot(slot_id=first.pk)
    assert selectors.effective_delay(Slot.objects.get(pk=second.pk)) == 0


def test_growing_capacity_promotes_waiting_patients(make_slot, make_patient):
    slot = make_slot(capacity=1)
    fill(slot, make_patient, 1)
    entries = [book(slot, make_patient()).waiting_entry for _ in range(3)]
    allocation.change_capacity(slot_id=slot.pk, max_capacity=3)
    statuses = [WaitingListEntry.objects.get(pk=e.pk).status for e in entries]
    assert statuses == ["PROMOTED", "PROMOTED", "WAITING"]


def test_capacity_cannot_shrink_below_what_the_slot_holds(make_slot, make_patient):
    slot = make_slot(capacity=5)
    fill(slot, make_patient, 3)
    with pytest.raises(CapacityTooSmall, match="holds 3"):
        allocation.change_capacity(slot_id=slot.pk, max_capacity=2)
    assert allocation.change_capacity(slot_id=slot.pk, max_capacity=3).max_capacity == 3


# --- the event log ---------------------------------------------------------------------------------


def test_every_change_is_recorded_with_who_made_it(slot, patient, staff_user):
    token = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN", by=staff_user).token
    allocation.cancel_token(token_id=token.pk, reason="changed plans", by=staff_user)
    events = list(QueueEvent.objects.filter(token=token).order_by("id"))
    assert [(e.kind, e.actor_id) for e in events] == [("BOOKED", staff_user.pk), ("CANCELLED", staff_user.pk)]
    assert events[1].before["status"] == "ARRIVED" and events[1].after["status"] == "CANCELLED"


def test_a_refused_request_leaves_nothing_half_written(make_slot, patient):
    slot = make_slot()
    book(slot, patient)
    before = (Token.objects.count(), WaitingListEntry.objects.count(), QueueEvent.objects.count(),
              DoctorDay.objects.get().last_token_number)
    with pytest.raises(AlreadyBooked):
        book(slot, patient)
    after = (Token.objects.count(), WaitingListEntry.objects.count(), QueueEvent.objects.count(),
             DoctorDay.objects.get().last_token_number)
    assert before == after


def test_completing_a_consultation_updates_the_doctors_pace(clinic_morning, make_slot, make_patient):
    slot = make_slot(capacity=12, starts_in=timedelta(minutes=-10))
    assert selectors.doctor_pace(slot.doctor_id, timezone.now()) is None  # remembered: not measured yet
    done_at = timezone.now() - timedelta(minutes=1)
    for _ in range(4):
        t = book(slot, make_patient(), "WALKIN").token
        Token.objects.filter(pk=t.pk).update(status="COMPLETED", called_at=done_at - timedelta(minutes=7), completed_at=done_at)
    fifth = book(slot, make_patient(), "WALKIN").token
    allocation.call_next(slot_id=slot.pk)
    with time_machine.travel(timezone.now() + timedelta(minutes=7), tick=False):
        allocation.complete_token(token_id=fifth.pk)
        assert selectors.doctor_pace(slot.doctor_id, timezone.now()) == timedelta(minutes=7)


# --- refusals that keep the record straight (issue 11) ---------------------------------------------


def test_skipping_a_patient_who_was_never_called_is_refused_and_changes_nothing(slot, patient):
    token = book(slot, patient, "ONLINE").token
    assert token.status == "CONFIRMED"
    with pytest.raises(InvalidTransition, match="only a called patient can be skipped"):
        allocation.skip_token(token_id=token.pk)
    token.refresh_from_db()
    assert token.status == "CONFIRMED" and token.arrived_at is None and token.skip_count == 0
    assert not QueueEvent.objects.filter(kind="SKIPPED").exists()


def _day_opens(slot):
    return timezone.make_aware(datetime.combine(slot.local_day, time()), timezone.get_current_timezone()) - timedelta(days=30)


@pytest.mark.parametrize("too_early", [
    lambda slot: _day_opens(slot) - timedelta(seconds=1),
    lambda slot: datetime(1, 1, 1, tzinfo=dt_timezone.utc),
])
def test_a_booking_time_before_the_days_bookings_open_is_refused(slot, patient, too_early):
    """Bookings for a day open BOOKING_OPENS_DAYS (30) days ahead: an older booking time would
    buy a place at the front of the queue."""
    with pytest.raises(InvalidRequest, match="bookings for .* opened"):
        book(slot, patient, "WALKIN", booked_at=too_early(slot))
    assert not Token.objects.exists() and not WaitingListEntry.objects.exists()


def test_a_booking_made_when_the_days_bookings_opened_is_kept(slot, patient):
    assert book(slot, patient, "ONLINE", booked_at=_day_opens(slot)).token.booked_at == _day_opens(slot)

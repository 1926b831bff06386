"""queues/sql.py, the booking path's hand-written SQL: each statement gives what the ORM would,
so the booking's answer is what every other screen shows. (The SQLite race tests,
tests/concurrency/test_sqlite_race.py, run the same statements on SQLite.)"""

from datetime import datetime, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from queues import allocation, selectors, sql
from queues.errors import PatientNotFound, SlotNotFound
from queues.models import QueueEvent, Token
from scheduling.models import Doctor, Slot

pytestmark = pytest.mark.django_db


def local(hour, minute=0, day=None):
    day = day or timezone.localdate()
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour, minute=minute))


def test_running_slots_are_the_doctors_slots_of_the_local_day_by_start_without_cancelled(doctor, department):
    today = timezone.localdate()
    other = Doctor.objects.create(name="Dr. Other", department=department)

    def slot(start, length=60, of=doctor, **kwargs):
        return Slot.objects.create(doctor=of, start_time=start, end_time=start + timedelta(minutes=length),
                                   max_capacity=10, **kwargs)

    # 00:10 local is still the previous day in UTC: the day is the hospital's, not UTC's.
    afternoon, first, late = slot(local(14)), slot(local(0, 10)), slot(local(23, 0))
    slot(local(23, 30, today - timedelta(days=1)))
    slot(local(10), status=Slot.Status.CANCELLED)
    slot(local(11), of=other)

    rows = sql.running_slots(doctor.pk, today)

    assert [row[0] for row in rows] == [first.pk, afternoon.pk, late.pk]
    assert rows[0] == [first.pk, first.start_time, first.end_time, 0, 10]


def test_running_slots_carry_the_cascaded_delay_as_the_pages_do(doctor):
    first = Slot.objects.create(doctor=doctor, start_time=local(9), end_time=local(10), max_capacity=10, delay_minutes=90)
    Slot.objects.create(doctor=doctor, start_time=local(10), end_time=local(11), max_capacity=10)
    Slot.objects.create(doctor=doctor, start_time=local(12), end_time=local(13), max_capacity=4)

    light = selectors.running_slots(doctor_id=doctor.pk, day=first.local_day)
    pages = selectors.day_slots(doctor_id=doctor.pk, day=first.local_day)

    assert [(s.id, s.effective_delay, s.consultation_length) for s in light] == [
        (s.id, s.effective_delay, s.consultation_length) for s in pages
    ]
    assert [s.effective_delay for s in light] == [90, 90, 30]


def test_active_tokens_are_the_doctors_waiting_called_and_arrived_of_the_day(slot, make_patient):
    booked = [allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN").token
              for _ in range(4)]
    allocation.cancel_token(token_id=booked[0].pk)
    allocation.call_next(slot_id=slot.pk)
    names = selectors.PLACED_FIELDS

    rows = sql.active_tokens(slot.doctor_id, slot.local_day, names)

    expected = Token.objects.filter(status__in=Token.ACTIVE).values_list(*names)
    assert sorted(map(tuple, rows), key=str) == sorted(expected, key=str)
    assert len(rows) == 3
    booked_at = names.index("booked_at")
    assert all(row[booked_at].utcoffset() == timedelta(0) for row in rows)  # aware, as the ORM reads them


def test_select_slot_for_update_reads_the_slot_as_the_orm_does(slot):
    with transaction.atomic():
        locked = sql.select_slot_for_update(str(slot.pk))
    fresh = Slot.objects.get(pk=slot.pk)
    assert [getattr(locked, f.attname) for f in Slot._meta.concrete_fields] == [
        getattr(fresh, f.attname) for f in Slot._meta.concrete_fields
    ]


@pytest.mark.parametrize("slot_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", 12])
def test_an_unknown_or_malformed_slot_is_not_found(slot_id):
    with pytest.raises(SlotNotFound), transaction.atomic():
        sql.select_slot_for_update(slot_id)


@pytest.mark.postgresql  # one statement on PostgreSQL; SQLite takes the locks in two (queues.locks)
def test_lock_slot_and_day_hands_out_the_next_number_of_the_doctors_day(slot, make_patient):
    allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN")
    with transaction.atomic():
        locked, ledger_id, number = sql.lock_slot_and_day(slot.pk)
        assert (locked.pk, number) == (slot.pk, 2)
        assert sql.lock_doctor_day(slot.doctor_id, slot.local_day) == (ledger_id, 2)


def test_patient_state_tells_held_places_the_active_token_the_waiting_list_and_the_prefix(make_slot, make_patient, department):
    department.token_prefix = "GM"
    department.save()
    slot = make_slot(capacity=1)
    holder, waiting, newcomer = make_patient("Asha Holder"), make_patient(), make_patient("Ravi New")
    token = allocation.book_token(slot_id=slot.pk, patient_id=holder.pk, category="WALKIN").token
    allocation.book_token(slot_id=slot.pk, patient_id=waiting.pk, category="WALKIN")  # slot full: waits

    assert sql.patient_state(slot, holder.pk) == {
        "held": 1, "active_token": token.token_label, "waiting": False, "patient_name": "Asha Holder", "prefix": "GM",
    }
    assert sql.patient_state(slot, waiting.pk)["waiting"] is True
    assert sql.patient_state(slot, newcomer.pk) == {
        "held": 1, "active_token": None, "waiting": False, "patient_name": "Ravi New", "prefix": "GM",
    }
    assert token.token_label == "GM-1"


@pytest.mark.parametrize("patient_id", ["nope", "00000000-0000-0000-0000-000000000000"])
def test_patient_state_of_an_unknown_patient_is_not_found(slot, patient_id):
    with pytest.raises(PatientNotFound):
        sql.patient_state(slot, patient_id)


def test_insert_together_writes_the_token_and_its_event_in_one_go(slot, patient):
    token = Token(slot=slot, patient=patient, doctor_id=slot.doctor_id, day=slot.local_day, token_number=7,
                  token_label="7", category="WALKIN", priority=5, booked_at=timezone.now())
    event = QueueEvent(kind=QueueEvent.Kind.BOOKED, slot_id=slot.pk, token=token, after={"status": "CONFIRMED"})

    with transaction.atomic():
        sql.insert_together(token, event)

    assert Token.objects.get(pk=token.pk).token_number == 7
    assert QueueEvent.objects.get(token_id=token.pk).after == {"status": "CONFIRMED"}


def test_the_booking_answer_places_the_token_as_a_fresh_read_of_the_day_does(doctor, make_patient, clinic_morning):
    early = Slot.objects.create(doctor=doctor, start_time=local(9), end_time=local(10), max_capacity=4, delay_minutes=20)
    now_slot = Slot.objects.create(doctor=doctor, start_time=local(10), end_time=local(11), max_capacity=6)
    for slot, category in ((early, "WALKIN"), (early, "ONLINE"), (now_slot, "FOLLOWUP"), (now_slot, "WALKIN")):
        allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category=category)
    allocation.insert_emergency(slot_id=now_slot.pk, patient_id=make_patient().pk)

    answer = allocation.book_token(slot_id=now_slot.pk, patient_id=make_patient().pk, category="PRIORITY_PAID").token

    fresh = {t.pk: t for t in selectors.day_queue(doctor_id=doctor.pk, day=now_slot.local_day).order}[answer.pk]
    assert (answer.position, answer.people_ahead, answer.estimated_time, answer.wait_minutes) == (
        fresh.position, fresh.people_ahead, fresh.estimated_time, fresh.wait_minutes
    )
    assert answer.position == 4  # the emergency, then the earlier slot's two, then the paid patient

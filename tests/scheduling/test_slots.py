"""scheduling.slots: the one place a slot is added, and every way in goes through it."""

import contextlib
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections
from django.utils import timezone

from scheduling import slots
from scheduling.errors import DoctorBusy, InvalidSlot, SchedulingError, SlotOverlap
from scheduling.models import MAX_SLOT_CAPACITY, Doctor, Slot, WeeklyPattern
from scheduling.schedules import generate_slots

IST = ZoneInfo("Asia/Kolkata")  # settings.TIME_ZONE
NINE = datetime(2026, 11, 23, 9, tzinfo=IST)  # a Monday
HOUR = timedelta(hours=1)


def add(doctor, start=NINE, length=HOUR, capacity=15):
    return slots.create_slot(doctor=doctor, start_time=start, end_time=start + length, max_capacity=capacity)


# --- the service ------------------------------------------------------------------------------


def test_it_adds_a_slot(doctor):
    slot = add(doctor, capacity=12)
    assert (slot.doctor, slot.start_time, slot.end_time, slot.max_capacity) == (doctor, NINE, NINE + HOUR, 12)
    assert slot.status == Slot.Status.ACTIVE and Slot.objects.get() == slot


def test_it_refuses_a_slot_overlapping_one_the_doctor_has_and_names_it(doctor):
    add(doctor)
    with pytest.raises(SlotOverlap) as refused:
        add(doctor, start=NINE + timedelta(minutes=30))
    assert refused.value.message == "Dr. Asha Rao already has a slot overlapping that time: 09:00–10:00 on Mon 23 Nov."
    assert refused.value.field == "start_time" and refused.value.status_code == 400
    assert Slot.objects.count() == 1


@pytest.mark.parametrize("start, length", [
    (NINE - timedelta(minutes=30), HOUR),  # runs into its start
    (NINE + timedelta(minutes=10), timedelta(minutes=20)),  # inside it
    (NINE - HOUR, 3 * HOUR),  # around it
    (NINE, HOUR),  # the same time
])
def test_every_kind_of_overlap_is_refused(doctor, start, length):
    add(doctor)
    with pytest.raises(SlotOverlap):
        add(doctor, start=start, length=length)


def test_slots_that_only_touch_do_not_overlap(doctor):
    add(doctor)
    add(doctor, start=NINE + HOUR)
    add(doctor, start=NINE - HOUR)
    assert Slot.objects.filter(doctor=doctor).count() == 3


def test_a_cancelled_slot_and_another_doctors_slot_leave_the_time_free(doctor):
    Slot.objects.filter(pk=add(doctor).pk).update(status=Slot.Status.CANCELLED)
    add(Doctor.objects.create(name="Dr. Other"))
    add(doctor)
    assert Slot.objects.filter(doctor=doctor, status=Slot.Status.ACTIVE).count() == 1


def test_it_refuses_a_slot_that_ends_before_it_starts_or_when_it_starts(doctor):
    for length in (timedelta(0), -HOUR):
        with pytest.raises(InvalidSlot) as refused:
            add(doctor, length=length)
        assert (refused.value.message, refused.value.field) == ("The slot must end after it starts.", "end_time")
    assert not Slot.objects.exists()


def test_it_refuses_a_slot_longer_than_24_hours_but_takes_exactly_24(doctor):
    with pytest.raises(InvalidSlot) as refused:
        add(doctor, length=timedelta(hours=24, minutes=1))
    assert (refused.value.message, refused.value.field) == ("A slot cannot be longer than 24 hours.", "end_time")
    add(doctor, length=timedelta(hours=24))


@pytest.mark.parametrize("capacity", [0, -1, MAX_SLOT_CAPACITY + 1])
def test_it_refuses_a_capacity_outside_the_limits(doctor, capacity):
    with pytest.raises(InvalidSlot) as refused:
        add(doctor, capacity=capacity)
    assert refused.value.field == "max_capacity"
    assert refused.value.message == f"A slot holds from 1 to {MAX_SLOT_CAPACITY} patients; {capacity} is outside that."
    assert not Slot.objects.exists()


def test_the_capacity_limits_themselves_are_allowed(doctor):
    add(doctor, capacity=1)
    add(doctor, start=NINE + HOUR, capacity=MAX_SLOT_CAPACITY)


def test_a_batch_skips_times_taken_before_or_within_it_and_adds_the_rest(doctor):
    add(doctor, start=NINE + HOUR)
    times = [(NINE + n * HOUR, NINE + (n + 1) * HOUR) for n in range(3)] + [(NINE, NINE + HOUR / 2)]
    batch = slots.create_slots(doctor=doctor, times=times, max_capacity=10)
    assert [s.start_time for s in batch.created] == [NINE, NINE + 2 * HOUR]
    assert batch.skipped == [times[1], times[3]]
    assert Slot.objects.filter(doctor=doctor).count() == 3


def test_a_batch_with_a_time_outside_the_limits_adds_nothing(doctor):
    with pytest.raises(InvalidSlot):
        slots.create_slots(doctor=doctor, times=[(NINE, NINE + HOUR), (NINE + HOUR, NINE + HOUR)], max_capacity=10)
    assert not Slot.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_admins_check_refuses_to_run_outside_a_transaction(doctor):
    """Its lock would end with the statement, long before the caller saves the slot."""
    with pytest.raises(RuntimeError):
        slots.check_new_slot(doctor=doctor, start_time=NINE, end_time=NINE + HOUR, max_capacity=5)


@contextlib.contextmanager
def doctor_locked_elsewhere(doctor):
    """Another connection holds the doctor's lock as create_slot takes it, while this one waits
    at most 100 ms for a lock."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(f"SELECT 1 FROM {Doctor._meta.db_table} WHERE id = %s FOR NO KEY UPDATE", [doctor.pk])
            with connection.cursor() as mine:
                mine.execute("SET lock_timeout = '100ms'")
            try:
                yield
            finally:
                with connection.cursor() as mine:
                    mine.execute("RESET lock_timeout")
                cursor.execute("ROLLBACK")
    finally:
        other.close()


@pytest.mark.postgresql  # row locks and lock_timeout (SQLite locks the whole database)
@pytest.mark.django_db(transaction=True)
def test_a_doctor_locked_too_long_is_a_busy_refusal_to_retry(doctor):
    with doctor_locked_elsewhere(doctor), pytest.raises(DoctorBusy) as refused:
        add(doctor)
    assert refused.value.status_code == 503 and "try again" in refused.value.message
    assert not Slot.objects.exists()


@pytest.mark.postgresql  # row locks and lock_timeout (SQLite locks the whole database)
@pytest.mark.django_db(transaction=True)
def test_the_doctors_lock_does_not_hold_up_bookings(doctor, make_patient):
    from queues import allocation

    slot = add(doctor, start=timezone.now() - timedelta(minutes=10))
    patient = make_patient()
    with doctor_locked_elsewhere(doctor):
        result = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    assert result.confirmed


# --- every way in goes through it -------------------------------------------------------------


def test_the_api_refuses_overlap_with_the_services_message_on_start_time(api, doctor):
    add(doctor)
    data = {"doctor": str(doctor.pk), "start_time": (NINE + HOUR / 2).isoformat(),
            "end_time": (NINE + 2 * HOUR).isoformat(), "max_capacity": 10}
    response = api.post("/api/v1/slots/", data)
    assert response.status_code == 400
    assert response.json() == {"start_time": ["Dr. Asha Rao already has a slot overlapping that time: 09:00–10:00 on Mon 23 Nov."]}
    assert Slot.objects.count() == 1


def test_the_api_refuses_a_slot_longer_than_24_hours_on_end_time(api, doctor):
    data = {"doctor": str(doctor.pk), "start_time": NINE.isoformat(), "end_time": (NINE + timedelta(hours=25)).isoformat(),
            "max_capacity": 10}
    response = api.post("/api/v1/slots/", data)
    assert response.status_code == 400 and response.json() == {"end_time": ["A slot cannot be longer than 24 hours."]}


def test_the_api_answers_a_busy_doctor_with_503_and_retry_after(api, doctor, monkeypatch):
    def busy(**kwargs):
        raise DoctorBusy()

    monkeypatch.setattr(slots, "create_slot", busy)
    data = {"doctor": str(doctor.pk), "start_time": NINE.isoformat(), "end_time": (NINE + HOUR).isoformat(), "max_capacity": 10}
    response = api.post("/api/v1/slots/", data)
    assert response.status_code == 503 and response["Retry-After"] == "1"
    assert response.json() == {"detail": DoctorBusy().message, "code": "doctor_busy"}


def test_the_api_adds_a_slot_through_the_service(api, doctor):
    data = {"doctor": str(doctor.pk), "start_time": NINE.isoformat(), "end_time": (NINE + HOUR).isoformat(), "max_capacity": 10}
    response = api.post("/api/v1/slots/", data)
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == str(Slot.objects.get().pk) and body["current_capacity"] == 0 and body["status"] == "ACTIVE"


def test_the_day_page_refuses_overlap_on_the_start_field_keeping_what_was_typed(manager, doctor):
    add(doctor)
    response = manager.post(f"/schedules/day/?doctor={doctor.pk}&date=2026-11-23",
                            {"start": "09:30", "end": "10:30", "max_capacity": "12"})
    assert response.status_code == 400
    assert response.context["form"].errors == {"start": [
        "Dr. Asha Rao already has a slot overlapping that time: 09:00–10:00 on Mon 23 Nov."]}
    assert b'value="09:30"' in response.content
    assert Slot.objects.count() == 1


def test_the_day_page_refuses_an_end_before_the_start_on_the_end_field(manager, doctor):
    response = manager.post(f"/schedules/day/?doctor={doctor.pk}&date=2026-11-23",
                            {"start": "10:00", "end": "09:00", "max_capacity": "12"})
    assert response.status_code == 400
    assert response.context["form"].errors == {"end": ["The slot must end after it starts."]}
    assert not Slot.objects.exists()


def test_the_day_pages_capacity_inputs_take_their_limits_from_the_form(manager, doctor, make_patient):
    from queues import allocation

    held = add(doctor, start=datetime.combine(timezone.localdate() + timedelta(days=1), time(9), IST))
    for _ in range(3):
        allocation.book_token(slot_id=held.pk, patient_id=make_patient().pk, category="ONLINE")
    page = manager.get(f"/schedules/day/?doctor={doctor.pk}&date={held.local_day.isoformat()}").content.decode()
    assert f'max="{MAX_SLOT_CAPACITY}"' in page and 'min="3"' in page
    assert f'id="cap-{held.pk}-max_capacity"' in page and f'for="cap-{held.pk}-max_capacity"' in page


def test_the_pattern_forms_number_inputs_take_the_models_limits():
    from scheduling.forms import WeeklyPatternForm
    from scheduling.models import MIN_PATTERN_SLOT_MINUTES

    form = WeeklyPatternForm()
    minutes, capacity = str(form["slot_minutes"]), str(form["capacity"])
    assert f'min="{MIN_PATTERN_SLOT_MINUTES}"' in minutes and 'max="1440"' in minutes
    assert 'min="1"' in capacity and f'max="{MAX_SLOT_CAPACITY}"' in capacity


def test_generation_skips_overlaps_through_the_service(doctor):
    add(doctor, start=NINE + HOUR / 2)  # 09:30-10:30 clashes with 09:00 and 10:00
    pattern = WeeklyPattern.objects.create(doctor=doctor, weekdays="0", start=time(9), end=time(13), slot_minutes=60, capacity=15)
    result = generate_slots(pattern=pattern, date_from=NINE.date(), date_to=NINE.date())
    assert [s.start_time.astimezone(IST).hour for s in result.created] == [11, 12]
    assert [s.astimezone(IST).hour for s, _ in result.skipped] == [9, 10]


def test_the_generate_page_explains_a_refusal_from_the_service(manager, doctor, monkeypatch):
    pattern = WeeklyPattern.objects.create(doctor=doctor, weekdays="0", start=time(9), end=time(13), slot_minutes=60, capacity=15)

    def busy(**kwargs):
        raise DoctorBusy()

    monkeypatch.setattr("scheduling.views.generate_slots", busy)
    response = manager.post(f"/schedules/doctors/{doctor.pk}/", {"action": "generate", "gen-pattern": pattern.pk,
                                                                 "gen-date_from": "2026-11-23", "gen-date_to": "2026-11-29"},
                            follow=True)
    assert b"Someone else is changing this doctor&#x27;s slots right now" in response.content
    assert not Slot.objects.exists()


def _admin_add(admin_client, doctor, start, end, capacity="10"):
    local = [t.astimezone(IST) for t in (start, end)]
    return admin_client.post("/admin/scheduling/slot/add/", {
        "doctor": doctor.pk, "max_capacity": capacity,
        "start_time_0": local[0].date().isoformat(), "start_time_1": local[0].strftime("%H:%M:%S"),
        "end_time_0": local[1].date().isoformat(), "end_time_1": local[1].strftime("%H:%M:%S"),
    })


def test_the_admin_adds_a_slot_and_refuses_overlap_through_the_service(admin_client, doctor):
    assert _admin_add(admin_client, doctor, NINE, NINE + HOUR).status_code == 302
    response = _admin_add(admin_client, doctor, NINE + HOUR / 2, NINE + 2 * HOUR)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"start_time": [
        "Dr. Asha Rao already has a slot overlapping that time: 09:00–10:00 on Mon 23 Nov."]}
    response = _admin_add(admin_client, doctor, NINE + 2 * HOUR, NINE + 2 * HOUR + timedelta(hours=25))
    assert response.context["adminform"].form.errors == {"end_time": ["A slot cannot be longer than 24 hours."]}
    assert Slot.objects.count() == 1


def test_the_admin_cannot_move_a_slots_times(admin_client, doctor):
    slot = add(doctor)
    page = admin_client.get(f"/admin/scheduling/slot/{slot.pk}/change/")
    assert page.status_code == 200
    assert "start_time_0" not in page.content.decode() and "end_time_0" not in page.content.decode()


def test_every_refusal_is_a_scheduling_error_with_a_message():
    for error in (InvalidSlot("x", field="end_time"), SlotOverlap("x"), DoctorBusy()):
        assert isinstance(error, SchedulingError) and error.message

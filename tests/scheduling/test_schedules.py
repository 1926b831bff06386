"""Manager pages: doctors, departments, weekly patterns, slot generation and a day's slots."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from queues import allocation
from scheduling.models import Department, Doctor, Slot, WeeklyPattern
from scheduling.schedules import generate_slots, plan_slots

IST = ZoneInfo("Asia/Kolkata")
MONDAY = date(2026, 11, 23)


def test_a_week_mon_sat_9_to_13_in_hour_slots_gives_24_slots():
    planned = plan_slots(weekdays="012345", start=time(9), end=time(13), slot_minutes=60,
                         date_from=MONDAY, date_to=MONDAY + timedelta(days=6), tz=IST)
    assert len(planned) == 24
    assert planned[0] == (datetime(2026, 11, 23, 9, tzinfo=IST), datetime(2026, 11, 23, 10, tzinfo=IST))
    assert all(start.weekday() != 6 for start, _ in planned)


def test_a_last_piece_shorter_than_a_slot_is_left_out():
    planned = plan_slots(weekdays="0", start=time(9), end=time(10, 30), slot_minutes=60,
                         date_from=MONDAY, date_to=MONDAY, tz=IST)
    assert [(s.hour, e.hour) for s, e in planned] == [(9, 10)]


def test_generation_skips_times_the_doctor_already_has(doctor):
    start = datetime(2026, 11, 23, 10, tzinfo=IST)
    Slot.objects.create(doctor=doctor, start_time=start, end_time=start + timedelta(hours=1), max_capacity=5)
    pattern = WeeklyPattern.objects.create(doctor=doctor, weekdays="0", start=time(9), end=time(13), slot_minutes=60, capacity=15)
    result = generate_slots(pattern=pattern, date_from=MONDAY, date_to=MONDAY)
    assert len(result.created) == 3 and len(result.skipped) == 1
    assert Slot.objects.filter(doctor=doctor).count() == 4
    again = generate_slots(pattern=pattern, date_from=MONDAY, date_to=MONDAY)
    assert not again.created and len(again.skipped) == 4


def test_pattern_days_read_naturally(doctor):
    assert WeeklyPattern(doctor=doctor, weekdays="012345").days_display == "Mon-Sat"
    assert WeeklyPattern(doctor=doctor, weekdays="024").days_display == "Mon, Wed, Fri"
    assert WeeklyPattern(doctor=doctor, weekdays="0123456").days_display == "Every day"


def test_the_schedules_page_lists_filters_and_pages_doctors(manager, department):
    for n in range(20):
        Doctor.objects.create(name=f"Dr. {n:02d}", department=department if n % 2 else None)
    page = manager.get("/schedules/")
    assert page.status_code == 200 and b'id="doctors-table"' in page.content
    assert page.content.count(b"/schedules/doctors/") == 15  # one page
    fragment = manager.get("/schedules/", {"department": department.pk, "sort": "-name"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="doctors")
    html = fragment.content.decode()
    assert html.lstrip().startswith('<div id="doctors"') and "Dr. 19" in html and "Dr. 00" not in html
    assert html.index("Dr. 19") < html.index("Dr. 17")


def test_the_doctor_filters_say_what_they_do_and_look_like_the_rest(manager, department):
    Doctor.objects.create(name="Dr. Gone", is_active=False)
    Doctor.objects.create(name="Dr. Here")
    form = manager.get("/schedules/").context["filter"].form
    assert list(form.fields["is_active"].widget.choices) == [("", "Active or not"), ("true", "Active"), ("false", "Inactive")]
    assert all("form-" in field.widget.attrs.get("class", "") for field in form.fields.values())
    html = manager.get("/schedules/", {"is_active": "false"}).content.decode()
    assert "Dr. Gone" in html and "Dr. Here" not in html


def test_adding_a_doctor_and_a_department(manager, department):
    response = manager.post("/schedules/", {"add": "doctor", "doctor-name": "Dr. New", "doctor-department": department.pk,
                                            "doctor-room": "12", "doctor-is_active": "on"})
    doctor = Doctor.objects.get(name="Dr. New")
    assert response.status_code == 302 and response.url == f"/schedules/doctors/{doctor.pk}/"
    manager.post("/schedules/", {"add": "department", "dept-name": "Neurology"})
    assert Department.objects.filter(name="Neurology").exists()


def test_form_errors_are_shown_next_to_the_field_keeping_what_was_typed(manager, department):
    response = manager.post("/schedules/", {"add": "department", "dept-name": department.name})
    html = response.content.decode()
    assert response.status_code == 400 and 'id="id_dept-name-error"' in html and f'value="{department.name}"' in html


def test_adding_a_pattern_and_generating_slots(manager, doctor):
    url = f"/schedules/doctors/{doctor.pk}/"
    manager.post(url, {"action": "pattern", "pattern-days": ["0", "1", "2", "3", "4", "5"], "pattern-start": "09:00",
                       "pattern-end": "13:00", "pattern-slot_minutes": "60", "pattern-capacity": "15"})
    pattern = WeeklyPattern.objects.get(doctor=doctor)
    assert pattern.weekdays == "012345"
    response = manager.post(url, {"action": "generate", "gen-pattern": pattern.pk, "gen-date_from": "2026-11-23",
                                  "gen-date_to": "2026-11-29"}, follow=True)
    assert b"24 slots created" in response.content
    assert Slot.objects.filter(doctor=doctor, max_capacity=15).count() == 24


def test_a_pattern_that_fits_no_slot_is_refused(manager, doctor):
    response = manager.post(f"/schedules/doctors/{doctor.pk}/", {"action": "pattern", "pattern-days": ["0"], "pattern-start": "09:00",
                                                                 "pattern-end": "09:30", "pattern-slot_minutes": "60", "pattern-capacity": "15"})
    assert response.status_code == 400 and b"Not even one slot fits" in response.content


def test_a_slot_with_bookings_cannot_shrink_below_what_it_holds_or_be_deleted(manager, slot, make_patient):
    for _ in range(3):
        allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN")
    response = manager.post(f"/schedules/slots/{slot.pk}/capacity/", {"max_capacity": "2"}, follow=True)
    assert b"its capacity cannot go below 3" in response.content
    response = manager.post(f"/schedules/slots/{slot.pk}/delete/", follow=True)
    assert b"cannot be deleted: cancel it instead" in response.content
    slot.refresh_from_db()
    assert slot.max_capacity == 15
    manager.post(f"/schedules/slots/{slot.pk}/capacity/", {"max_capacity": "20"})
    slot.refresh_from_db()
    assert slot.max_capacity == 20


def test_an_empty_slot_can_be_deleted_and_a_slot_added_on_a_day(manager, make_slot, doctor):
    empty = make_slot(starts_in=timedelta(hours=3))
    manager.post(f"/schedules/slots/{empty.pk}/delete/")
    assert not Slot.objects.filter(pk=empty.pk).exists()
    day = timezone.localdate() + timedelta(days=1)
    url = f"/schedules/day/?doctor={doctor.pk}&date={day.isoformat()}"
    manager.post(url, {"start": "09:00", "end": "10:00", "max_capacity": "12"})
    assert Slot.objects.filter(doctor=doctor, max_capacity=12).count() == 1
    overlap = manager.post(url, {"start": "09:30", "end": "10:30", "max_capacity": "12"})
    assert overlap.status_code == 400 and b"overlapping" in overlap.content
    page = manager.get(url)
    assert b'id="day-slots"' in page.content and b"09:00" in page.content


def test_a_day_that_is_not_a_date_is_explained_and_adds_nothing(manager, doctor):
    url = f"/schedules/day/?doctor={doctor.pk}&date=abc"
    response = manager.post(url, {"start": "09:00", "end": "10:00", "max_capacity": "12"}, follow=True)
    assert "“abc” is not a date" in response.content.decode()
    assert not Slot.objects.filter(doctor=doctor).exists()
    assert response.redirect_chain[-1][0].endswith(f"&date={timezone.localdate().isoformat()}")

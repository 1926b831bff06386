"""queues.reports.daily_report against hand-built days whose every figure is worked out here."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from queues import reports
from queues.models import Category, QueueEvent, Token, WaitingListEntry
from scheduling.models import Department, Doctor, Patient, Slot

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)
IST = ZoneInfo("Asia/Kolkata")
PRIORITY = {Category.EMERGENCY: 1, Category.PRIORITY_PAID: 2, Category.FOLLOWUP: 3, Category.ONLINE: 4, Category.WALKIN: 5}


class DayBuilder:
    """Writes a day's rows directly, with exact timestamps given as local "HH:MM" strings."""

    def __init__(self, day: date, tz: ZoneInfo):
        self.day, self.tz, self.numbers, self.patients = day, tz, {}, 0

    def at(self, hhmm: str | None) -> datetime | None:
        if hhmm is None:
            return None
        hour, minute = map(int, hhmm.split(":"))
        return datetime(self.day.year, self.day.month, self.day.day, hour, minute, tzinfo=self.tz)

    def patient(self) -> Patient:
        self.patients += 1
        return Patient.objects.create(name=f"Patient {self.patients}", phone=f"90{self.patients:08d}")

    def slot(self, doctor, start, end, capacity, delay=0, status=Slot.Status.ACTIVE) -> Slot:
        return Slot.objects.create(
            doctor=doctor, start_time=self.at(start), end_time=self.at(end), max_capacity=capacity,
            delay_minutes=delay, status=status,
        )

    def token(self, slot, category, status, arrived=None, called=None, completed=None) -> Token:
        number = self.numbers[slot.doctor_id] = self.numbers.get(slot.doctor_id, 0) + 1
        return Token.objects.create(
            slot=slot, patient=self.patient(), doctor=slot.doctor, day=self.day, token_number=number,
            token_label=slot.doctor.label_for(number), category=category, priority=PRIORITY[category], booked_at=self.at("07:00"), status=status,
            arrived_at=self.at(arrived), called_at=self.at(called), completed_at=self.at(completed),
            cancelled_at=self.at("08:00") if status == Token.Status.CANCELLED else None,
            no_show_at=self.at("11:00") if status == Token.Status.NO_SHOW else None,
        )

    def waiting(self, slot, status, token=None) -> WaitingListEntry:
        return WaitingListEntry.objects.create(
            slot=slot, patient=self.patient(), doctor=slot.doctor, day=self.day, category=Category.WALKIN,
            priority=PRIORITY[Category.WALKIN], booked_at=self.at("07:30"), status=status, token=token,
        )


S = Token.Status


def every_category(**counts) -> dict:
    """The report's by_category: every category of the table (inactive ones too, at 0)."""
    return {code: 0 for code in Category.objects.values_list("code", flat=True)} | counts
C = Category


@pytest.fixture
def kolkata_day(settings):
    """Two doctors in two departments on 10 March 2026, Asia/Kolkata (UTC+5:30, no DST)."""
    settings.TIME_ZONE = "Asia/Kolkata"
    b = DayBuilder(DAY, IST)
    medicine = Department.objects.create(name="Medicine")
    surgery = Department.objects.create(name="Surgery")
    a = Doctor.objects.create(name="Dr. A", department=medicine, room="1")
    d_b = Doctor.objects.create(name="Dr. B", department=surgery, room="2")
    a1 = b.slot(a, "09:00", "10:00", 4, delay=15)
    a2 = b.slot(a, "10:00", "11:00", 4)
    b.slot(a, "11:00", "12:00", 4, status=Slot.Status.CANCELLED)
    # 05:00 IST is 23:30 UTC the day before: still this local day.
    b1 = b.slot(d_b, "05:00", "11:00", 5, delay=10)

    b.token(a1, C.WALKIN, S.COMPLETED, "09:00", "09:10", "09:20")  # wait 600 s, consultation 600 s
    b.token(a1, C.ONLINE, S.COMPLETED, "09:05", "09:25", "09:40")  # 1200, 900
    b.token(a1, C.FOLLOWUP, S.COMPLETED, "09:10", "09:40", "10:10")  # 1800, 1800
    b.token(a1, C.EMERGENCY, S.COMPLETED, None, "09:45", "09:50")  # never checked in; consultation 300
    b.token(a2, C.PRIORITY_PAID, S.NO_SHOW)
    b.token(a2, C.WALKIN, S.CANCELLED)
    b.token(a2, C.ONLINE, S.CALLED, "10:20", "10:50")  # wait 1800, still with the doctor
    b.token(a2, C.WALKIN, S.ARRIVED, "10:30")

    b.token(b1, C.WALKIN, S.COMPLETED, "09:30", "09:40", "09:50")  # 600, 600
    b.token(b1, C.ONLINE, S.COMPLETED, "09:35", "10:35", "10:55")  # 3600, 1200
    b.token(b1, C.ONLINE, S.NO_SHOW)
    promoted = b.token(b1, C.FOLLOWUP, S.CONFIRMED)
    b.waiting(b1, WaitingListEntry.Status.PROMOTED, token=promoted)
    b.waiting(b1, WaitingListEntry.Status.WAITING)
    b.waiting(b1, WaitingListEntry.Status.CANCELLED)

    QueueEvent.objects.create(kind=QueueEvent.Kind.DELAY_SET, slot=a1, after={"delay_minutes": 15})
    QueueEvent.objects.create(kind=QueueEvent.Kind.DELAY_SET, slot=b1, after={"delay_minutes": 10})
    # Another day's rows stay out of this day's figures.
    other = DayBuilder(DAY + timedelta(days=1), IST)
    other.token(other.slot(a, "09:00", "10:00", 4), C.WALKIN, S.COMPLETED, "09:00", "09:05", "09:10")
    return {"a": a, "b": d_b, "medicine": medicine, "surgery": surgery}


def test_it_counts_the_whole_day(kolkata_day):
    report = reports.daily_report(day=DAY)
    assert report["headline"] == {
        "booked": 12, "seen": 6, "no_shows": 2, "no_show_rate": pytest.approx(2 / 11), "cancelled": 1,
        "emergencies": 1, "promotions": 1, "still_waiting": 1, "slots": 3, "cancelled_slots": 1,
        "capacity": 13, "utilisation": pytest.approx(6 / 13), "delay_minutes": 25,
    }
    assert report["total_tokens"] == 12
    assert report["by_category"] == every_category(EMERGENCY=1, PRIORITY_PAID=1, FOLLOWUP=2, ONLINE=4, WALKIN=4)
    assert {"SENIOR_CITIZEN", "PREGNANT", "DISABILITY"} <= set(report["by_category"])  # seeded, switched off
    assert report["by_status"] == {
        "CONFIRMED": 1, "ARRIVED": 1, "CALLED": 1, "COMPLETED": 6, "CANCELLED": 1, "NO_SHOW": 2,
    }
    assert report["emergencies"] == 1
    assert report["waiting_list"] == {"total": 3, "still_waiting": 1, "promoted": 1}
    assert report["delays_set"] == 2


def test_it_computes_medians_and_90th_percentiles_overall(kolkata_day):
    times = reports.daily_report(day=DAY)["times"]
    # Waits, sorted: 600 600 1200 1800 1800 3600. Median: rank 2.5 -> (1200+1800)/2;
    # p90: rank 0.9*5 = 4.5 -> 1800 + 0.5*(3600-1800).
    assert times["waiting"] == {"count": 6, "median": pytest.approx(1500), "p90": pytest.approx(2700)}
    # Consultations: 300 600 600 900 1200 1800 -> (600+900)/2; 1200 + 0.5*600.
    assert times["consultation"] == {"count": 6, "median": pytest.approx(750), "p90": pytest.approx(1500)}


def test_it_reports_each_doctor(kolkata_day):
    a, b = reports.daily_report(day=DAY)["doctors"]
    assert (a["doctor_name"], a["department"], a["room"]) == ("Dr. A", "Medicine", "1")
    assert a["by_category"] == every_category(EMERGENCY=1, PRIORITY_PAID=1, FOLLOWUP=1, ONLINE=2, WALKIN=3)
    assert (a["booked"], a["seen"], a["no_shows"], a["cancelled"]) == (8, 4, 1, 1)
    assert a["no_show_rate"] == pytest.approx(1 / 7)
    assert (a["slots"], a["cancelled_slots"], a["capacity"], a["delay_minutes"]) == (2, 1, 8, 15)
    assert a["utilisation"] == pytest.approx(0.5)
    # A's waits 600 1200 1800 1800: median 1500, p90 rank 2.7 -> 1800. Consultations 300 600 900
    # 1800: median 750, p90 900 + 0.7*900.
    assert a["times"]["waiting"] == {"count": 4, "median": pytest.approx(1500), "p90": pytest.approx(1800)}
    assert a["times"]["consultation"] == {"count": 4, "median": pytest.approx(750), "p90": pytest.approx(1530)}
    # The v1 keys of a doctor's row.
    assert (a["total_tokens"], a["completed"], a["called"], a["arrived"]) == (8, 4, 1, 1)

    assert (b["booked"], b["seen"], b["no_shows"], b["cancelled"], b["emergencies"]) == (4, 2, 1, 0, 0)
    assert (b["promotions"], b["still_waiting"], b["capacity"], b["delay_minutes"]) == (1, 1, 5, 10)
    assert b["no_show_rate"] == pytest.approx(0.25)
    assert b["utilisation"] == pytest.approx(0.4)
    # Waits 600 3600: median 2100, p90 600 + 0.9*3000. Consultations 600 1200: 900, 1140.
    assert b["times"]["waiting"] == {"count": 2, "median": pytest.approx(2100), "p90": pytest.approx(3300)}
    assert b["times"]["consultation"] == {"count": 2, "median": pytest.approx(900), "p90": pytest.approx(1140)}


def test_it_buckets_hours_on_the_hospital_clock(kolkata_day):
    # Check-ins 09:00 09:05 09:10 09:30 09:35 | 10:20 10:30; completions 09:20 09:40 09:50 09:50 |
    # 10:10 10:55 (IST). In UTC these would fall in hours 3, 4 and 5.
    assert reports.daily_report(day=DAY)["hours"] == [
        {"hour": 9, "label": "09:00", "arrivals": 5, "seen": 4},
        {"hour": 10, "label": "10:00", "arrivals": 2, "seen": 2},
    ]


def test_it_filters_by_doctor_and_by_department(kolkata_day):
    by_doctor = reports.daily_report(day=DAY, doctor_id=kolkata_day["b"].pk)
    by_department = reports.daily_report(day=DAY, department_id=kolkata_day["surgery"].pk)
    for report in (by_doctor, by_department):
        assert [d["doctor_name"] for d in report["doctors"]] == ["Dr. B"]
        assert report["headline"]["booked"] == 4
        assert report["headline"]["capacity"] == 5
        assert report["delays_set"] == 1
        assert report["times"]["waiting"]["median"] == pytest.approx(2100)
    assert by_doctor["doctor_id"] == str(kolkata_day["b"].pk)
    assert by_department["department_id"] == str(kolkata_day["surgery"].pk)


def test_the_fallback_percentiles_match_the_database(kolkata_day):
    tokens = Token.objects.filter(day=DAY)
    in_database = reports._percentiles_by_doctor(tokens)
    fallback = reports._percentiles_from_ordered_rows(tokens)
    assert fallback[1] == pytest.approx(in_database[1])
    for doctor_id, figures in in_database[0].items():
        assert fallback[0][doctor_id] == pytest.approx(figures)


@pytest.mark.parametrize(
    "values, fraction, expected",
    [([], 0.5, None), ([7.0], 0.9, 7.0), ([1.0, 2.0], 0.5, 1.5), ([1.0, 2.0, 3.0, 10.0], 0.9, 7.9)],
)
def test_percentile_from_sorted_interpolates_like_percentile_cont(values, fraction, expected):
    assert reports.percentile_from_sorted(values, fraction) == (pytest.approx(expected) if expected else None)


def test_an_empty_day_has_zeros_and_no_misleading_times(db):
    report = reports.daily_report(day=DAY)
    assert report["headline"] == {
        "booked": 0, "seen": 0, "no_shows": 0, "no_show_rate": None, "cancelled": 0, "emergencies": 0,
        "promotions": 0, "still_waiting": 0, "slots": 0, "cancelled_slots": 0, "capacity": 0,
        "utilisation": None, "delay_minutes": 0,
    }
    assert report["times"] == {
        "waiting": {"count": 0, "median": None, "p90": None},
        "consultation": {"count": 0, "median": None, "p90": None},
    }
    assert report["hours"] == [] and report["doctors"] == []
    assert report["by_category"] == every_category() and len(report["by_category"]) == 8


def test_a_day_with_only_cancellations(settings, doctor):
    settings.TIME_ZONE = "Asia/Kolkata"
    b = DayBuilder(DAY, IST)
    slot = b.slot(doctor, "09:00", "10:00", 5)
    for category in (C.WALKIN, C.ONLINE, C.ONLINE):
        b.token(slot, category, S.CANCELLED)
    report = reports.daily_report(day=DAY)
    assert report["headline"] | {} == {
        "booked": 3, "seen": 0, "no_shows": 0, "no_show_rate": None, "cancelled": 3, "emergencies": 0,
        "promotions": 0, "still_waiting": 0, "slots": 1, "cancelled_slots": 0, "capacity": 5,
        "utilisation": 0.0, "delay_minutes": 0,
    }
    assert report["times"]["waiting"]["median"] is None
    assert report["hours"] == []
    [row] = report["doctors"]
    assert (row["cancelled"], row["booked"], row["times"]["consultation"]["p90"]) == (3, 3, None)


def test_hours_follow_daylight_saving_in_new_york(settings, doctor):
    """8 March 2026: New York's clocks go from 02:00 EST (UTC-5) to 03:00 EDT (UTC-4)."""
    settings.TIME_ZONE = "America/New_York"
    day = date(2026, 3, 8)
    b = DayBuilder(day, ZoneInfo("America/New_York"))
    slot = b.slot(doctor, "01:00", "12:00", 10)
    utc = ZoneInfo("UTC")
    t = b.token(slot, C.WALKIN, S.COMPLETED)
    # 06:30 UTC = 01:30 EST; 14:00 UTC = 10:00 EDT; 14:45 UTC = 10:45 EDT.
    t.arrived_at = datetime(2026, 3, 8, 6, 30, tzinfo=utc)
    t.called_at = datetime(2026, 3, 8, 14, 0, tzinfo=utc)
    t.completed_at = datetime(2026, 3, 8, 14, 45, tzinfo=utc)
    t.save()
    u = b.token(slot, C.ONLINE, S.ARRIVED)
    u.arrived_at = datetime(2026, 3, 8, 14, 5, tzinfo=utc)  # 10:05 EDT
    u.save()
    report = reports.daily_report(day=day)
    hours = {h["hour"]: (h["arrivals"], h["seen"]) for h in report["hours"]}
    assert list(hours) == list(range(1, 11))
    assert hours[1] == (1, 0) and hours[10] == (1, 1)
    assert sum(a for a, _ in hours.values()) == 2
    # Wait across the change: 01:30 EST -> 10:00 EDT is 7.5 real hours, not 8.5.
    assert report["times"]["waiting"]["median"] == pytest.approx(7.5 * 3600)
    assert report["headline"]["capacity"] == 10


def test_hours_in_london_summer_time(settings, doctor):
    settings.TIME_ZONE = "Europe/London"
    day = date(2026, 7, 15)
    b = DayBuilder(day, ZoneInfo("Europe/London"))
    slot = b.slot(doctor, "09:00", "12:00", 10)
    b.token(slot, C.WALKIN, S.COMPLETED, "09:59", "10:00", "11:00")  # 08:59 UTC
    assert reports.daily_report(day=day)["hours"] == [
        {"hour": 9, "label": "09:00", "arrivals": 1, "seen": 0},
        {"hour": 10, "label": "10:00", "arrivals": 0, "seen": 0},
        {"hour": 11, "label": "11:00", "arrivals": 0, "seen": 1},
    ]


def test_it_takes_a_fixed_number_of_queries_however_big_the_day(kolkata_day, make_patient):
    reports.daily_report(day=DAY)  # the category table is read once per process, then cached
    with CaptureQueriesContext(connection) as small:
        reports.daily_report(day=DAY)
    b = DayBuilder(DAY, IST)
    for n in range(5):
        doctor = Doctor.objects.create(name=f"Dr. Extra {n}")
        slot = b.slot(doctor, "09:00", "13:00", 40)
        for _ in range(6):
            b.token(slot, C.WALKIN, S.COMPLETED, "09:00", "09:30", "09:45")
    with CaptureQueriesContext(connection) as big:
        report = reports.daily_report(day=DAY)
    assert len(report["doctors"]) == 7
    assert len(small) == len(big) == 12  # nine, the estimates beside their call times (the estimate error), and the patient census (two)

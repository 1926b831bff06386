"""The daily report's patient census: new and repeat patients, male / female / other and age
bands, overall and per department, on a hand-built day whose every figure is worked out here."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from queues import reports
from queues.models import Token
from scheduling.models import Department, Doctor, Patient, Slot

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)
IST = ZoneInfo("Asia/Kolkata")
S = Token.Status


def visit(doctor, patient, day, status):
    start = datetime.combine(day, time(9, 0), tzinfo=IST)
    slot = Slot.objects.create(doctor=doctor, start_time=start, end_time=start + timedelta(hours=1), max_capacity=10)
    number = Token.objects.filter(doctor=doctor, day=day).count() + 1
    return Token.objects.create(
        slot=slot, patient=patient, doctor=doctor, day=day, token_number=number, token_label=str(number),
        category="WALKIN", priority=5, booked_at=start, status=status,
    )


@pytest.fixture
def census_day(settings):
    """Medicine (Dr. A) and Surgery (Dr. B) on 10 March 2026.

    Pinki   F, born 2011-03-11: 14 on the day (0-14). First visit ever: new (Medicine).
    Ramesh  M, age 30 told:     30-44. Seen by Medicine a month ago: repeat (hospital, Medicine).
    Kiran   O, born 1966-03-10: 60 on the day (60+). Seen by Surgery 10 days ago: repeat to the
            hospital; today Medicine (new to Medicine) and Surgery (repeat to Surgery).
    Anon    sex and age not recorded. First visit: new (Surgery).
    Sita    F, age 45, a no-show today (not a visit); her only earlier token was cancelled.
    Vijay   M, age 20, cancelled today (not a visit).
    """
    settings.TIME_ZONE = "Asia/Kolkata"
    medicine, surgery = Department.objects.create(name="Medicine"), Department.objects.create(name="Surgery")
    a = Doctor.objects.create(name="Dr. A", department=medicine)
    b = Doctor.objects.create(name="Dr. B", department=surgery)
    pinki = Patient.objects.create(name="Pinki", sex="F", date_of_birth=date(2011, 3, 11))
    ramesh = Patient.objects.create(name="Ramesh", sex="M", age=30)
    kiran = Patient.objects.create(name="Kiran", sex="O", date_of_birth=date(1966, 3, 10))
    anon = Patient.objects.create(name="Anon")
    sita = Patient.objects.create(name="Sita", sex="F", age=45)
    vijay = Patient.objects.create(name="Vijay", sex="M", age=20)
    visit(a, ramesh, DAY - timedelta(days=30), S.COMPLETED)
    visit(b, kiran, DAY - timedelta(days=10), S.COMPLETED)
    visit(a, sita, DAY - timedelta(days=5), S.CANCELLED)
    visit(a, pinki, DAY, S.COMPLETED)
    visit(a, ramesh, DAY, S.COMPLETED)
    visit(a, kiran, DAY, S.COMPLETED)
    visit(b, kiran, DAY, S.ARRIVED)
    visit(b, anon, DAY, S.CONFIRMED)
    visit(a, sita, DAY, S.NO_SHOW)
    visit(b, vijay, DAY, S.CANCELLED)
    visit(a, Patient.objects.create(name="Tomorrow", sex="M", age=50), DAY + timedelta(days=1), S.CONFIRMED)
    return medicine, surgery


def test_the_day_counts_each_patient_once_with_new_repeat_sex_and_age(census_day):
    patients = reports.daily_report(day=DAY)["patients"]
    assert patients == {
        "patients": 4,  # Pinki, Ramesh, Kiran (twice today, once here), Anon
        "new": 2, "repeat": 2,  # new: Pinki, Anon; repeat: Ramesh, Kiran
        "sex": {"male": 1, "female": 1, "other": 1, "sex_not_recorded": 1},
        "age_bands": {"0-14": 1, "15-29": 0, "30-44": 1, "45-59": 0, "60+": 1, "not_recorded": 1},
    }


def test_each_department_counts_new_to_that_department(census_day):
    medicine, surgery = census_day
    rows = {d["department"]: d for d in reports.daily_report(day=DAY)["departments"]}
    assert rows["Medicine"] == {
        "department_id": str(medicine.pk), "department": "Medicine",
        "patients": 3, "new": 2, "repeat": 1,  # new: Pinki, Kiran (first time in Medicine); repeat: Ramesh
        "sex": {"male": 1, "female": 1, "other": 1, "sex_not_recorded": 0},
        "age_bands": {"0-14": 1, "15-29": 0, "30-44": 1, "45-59": 0, "60+": 1, "not_recorded": 0},
    }
    assert rows["Surgery"] | {"department_id": None} == {
        "department_id": None, "department": "Surgery",
        "patients": 2, "new": 1, "repeat": 1,  # new: Anon; repeat: Kiran (Surgery 10 days ago)
        "sex": {"male": 0, "female": 0, "other": 1, "sex_not_recorded": 1},
        "age_bands": {"0-14": 0, "15-29": 0, "30-44": 0, "45-59": 0, "60+": 1, "not_recorded": 1},
    }


def test_a_department_filter_gives_only_its_row(census_day):
    medicine, _ = census_day
    report = reports.daily_report(day=DAY, department_id=medicine.pk)
    assert [d["department"] for d in report["departments"]] == ["Medicine"]
    assert report["patients"]["patients"] == 3 and report["patients"]["new"] == 1  # Pinki only is new to the hospital


def test_a_15th_birthday_moves_a_child_into_the_next_band():
    child = Patient(date_of_birth=date(2011, 3, 10))
    assert child.age_on(DAY) == 15 and child.age_on(DAY - timedelta(days=1)) == 14
    assert reports.years_before(date(2028, 2, 29), 15) == date(2013, 2, 28)


def test_the_api_and_the_departments_csv_carry_the_census(census_day, client):
    from tests.staff import make_staff

    client.force_login(make_staff("manager", "Manager"))
    body = client.get("/api/v1/reports/daily/", {"date": DAY.isoformat()}).json()
    assert body["patients"]["new"] == 2 and len(body["departments"]) == 2
    csv = client.get("/reports/daily/departments.csv", {"date": DAY.isoformat()}).content.decode("utf-8-sig").splitlines()
    assert csv[0].startswith("department,patients,new,repeat,male,female,other")
    assert csv[1].startswith("Medicine,3,2,1,1,1,1,0,1,0,1,0,1,0")
    assert csv[-1].startswith("All departments,4,2,2,1,1,1,1,1,0,1,0,1,1")
    page = client.get("/reports/daily/", {"date": DAY.isoformat()}).content.decode()
    assert 'id="patients-title"' in page and "Medicine" in page


def test_every_token_of_the_tokens_csv_says_new_or_repeat(census_day, client):
    from tests.staff import make_staff

    client.force_login(make_staff("manager", "Manager"))
    lines = client.get("/reports/daily/tokens.csv", {"date": DAY.isoformat()}).content.decode("utf-8-sig").splitlines()
    assert lines[0].endswith("visit_to_hospital,visit_to_department")
    kinds = {(line.split(",")[1], line.split(",")[8]): line.split(",")[-2:] for line in lines[1:]}
    assert kinds[("Dr. A", "Kiran")] == ["repeat", "new"] and kinds[("Dr. B", "Kiran")] == ["repeat", "repeat"]
    assert kinds[("Dr. A", "Pinki")] == ["new", "new"] and kinds[("Dr. A", "Ramesh")] == ["repeat", "repeat"]


def test_the_token_api_says_new_or_repeat_and_the_booking_answer_leaves_it_to_a_get(census_day, client):
    from rest_framework.test import APIClient

    from tests.staff import make_staff

    api = APIClient()
    api.force_authenticate(make_staff("manager", "Manager"))
    rows = api.get("/api/v1/tokens/", {"date": DAY.isoformat(), "page_size": 50}).json()["results"]
    kinds = {(r["patient_name"], str(r["doctor"])): (r["new_to_hospital"], r["new_to_department"]) for r in rows}
    a = Doctor.objects.get(name="Dr. A")
    b = Doctor.objects.get(name="Dr. B")
    assert kinds[("Kiran", str(a.pk))] == (False, True) and kinds[("Kiran", str(b.pk))] == (False, False)
    assert kinds[("Pinki", str(a.pk))] == (True, True)
    one = next(r for r in rows if r["patient_name"] == "Ramesh")
    assert api.get(f"/api/v1/tokens/{one['id']}/").json()["new_to_hospital"] is False

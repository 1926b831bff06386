"""Dates outside a sane window (1 January of last year to 31 December two years ahead, in the
hospital's time zone) are refused with a clear message by every form and the API, and nothing
is stored: one mistyped year (0001-01-01) once stored a BC timestamp that broke the slot list."""

from datetime import datetime, timedelta

import pytest
from rest_framework.test import APIClient

from scheduling.models import Slot, WeeklyPattern
from tests.staff import make_staff

pytestmark = pytest.mark.django_db
MESSAGE = "from 01 Jan 2025 to 31 Dec 2028"  # the window while the clock is in 2026 (clinic_morning)


@pytest.fixture
def api(clinic_morning):
    client = APIClient()
    client.force_authenticate(make_staff("boss", "Manager"))
    return client


def slot_body(doctor, start):
    parsed = datetime.fromisoformat(start)
    end = parsed.replace(hour=parsed.hour + 1) if parsed.hour < 23 else parsed.replace(minute=59)
    return {"doctor": str(doctor.pk), "start_time": start, "end_time": end.isoformat(), "max_capacity": 5}


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00+05:30", "2029-01-01T00:00:00+05:30", "9999-12-31T00:00:00+05:30",
                                   "2024-12-31T23:00:00+05:30"])
def test_the_api_refuses_a_slot_outside_the_window(api, doctor, start):
    response = api.post("/api/v1/slots/", slot_body(doctor, start))
    assert response.status_code == 400
    assert MESSAGE in response.json()["start_time"][0]
    assert not Slot.objects.exists()
    assert api.get("/api/v1/slots/").status_code == 200


def test_the_windows_edges_in_the_hospitals_time_zone_are_accepted(api, doctor):
    # 1 Jan 2025 00:00 in Kolkata is still 31 Dec 2024 in UTC: the hospital's day counts.
    first = api.post("/api/v1/slots/", slot_body(doctor, "2024-12-31T18:30:00+00:00"))
    last = api.post("/api/v1/slots/", slot_body(doctor, "2028-12-31T22:00:00+05:30"))
    assert (first.status_code, last.status_code) == (201, 201), (first.json(), last.json())


def test_a_slot_ending_past_the_window_is_refused(api, doctor):
    response = api.post("/api/v1/slots/", {"doctor": str(doctor.pk), "start_time": "2028-12-31T23:00:00+05:30",
                                           "end_time": "2029-01-01T01:00:00+05:30", "max_capacity": 5})
    assert response.status_code == 400 and MESSAGE in response.json()["end_time"][0]


def test_the_day_page_refuses_to_add_a_slot_on_year_one(manager, doctor, clinic_morning):
    response = manager.post(f"/schedules/day/?doctor={doctor.pk}&date=0001-01-01",
                            {"start": "00:00", "end": "01:00", "max_capacity": 5}, follow=True)
    assert MESSAGE in response.content.decode()
    assert not Slot.objects.exists()


def test_generating_slots_outside_the_window_is_refused_on_the_form(manager, doctor, clinic_morning):
    pattern = WeeklyPattern.objects.create(doctor=doctor, weekdays="0123456", start="09:00", end="10:00", slot_minutes=30, capacity=5)
    response = manager.post(f"/schedules/doctors/{doctor.pk}/", {
        "action": "generate", "gen-pattern": pattern.pk, "gen-date_from": "2031-01-01", "gen-date_to": "2031-01-02"})
    assert response.status_code == 400 and MESSAGE in response.content.decode()
    assert not Slot.objects.exists()


def test_the_admin_refuses_a_slot_outside_the_window(client, django_user_model, doctor, clinic_morning):
    client.force_login(django_user_model.objects.create_superuser("root", password="root-pass-123"))
    response = client.post("/admin/scheduling/slot/add/", {
        "doctor": doctor.pk, "start_time_0": "0001-01-01", "start_time_1": "00:00", "end_time_0": "0001-01-01",
        "end_time_1": "01:00", "max_capacity": 5})
    assert response.status_code == 200 and MESSAGE in response.content.decode()
    assert not Slot.objects.exists()


@pytest.mark.parametrize("url", [
    "/api/v1/reports/daily/?date=0001-01-01",
    "/api/v1/slots/?date=0001-01-01",
    "/api/v1/tokens/?date=9999-12-31",
    "/api/v1/waiting-list/?date=0001-01-01",
])
def test_api_date_parameters_outside_the_window_are_400(api, url):
    response = api.get(url)
    assert response.status_code == 400
    assert MESSAGE in str(response.json())


def test_the_doctors_day_api_refuses_a_date_outside_the_window(api, doctor):
    response = api.get(f"/api/v1/doctors/{doctor.pk}/queue/?date=0001-01-01")
    assert response.status_code == 400 and MESSAGE in response.json()["date"][0]


def test_the_report_page_refuses_a_date_outside_the_window(manager, clinic_morning):
    response = manager.get("/reports/daily/?date=0001-01-01")
    assert response.status_code == 400 and MESSAGE in response.content.decode()


def test_the_window_moves_with_the_year(api, doctor):
    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.make_aware(datetime(2029, 6, 1, 12)) + timedelta(0), tick=False):
        assert api.post("/api/v1/slots/", slot_body(doctor, "2029-01-01T00:00:00+05:30")).status_code == 201
        assert api.post("/api/v1/slots/", slot_body(doctor, "2027-06-01T00:00:00+05:30")).status_code == 400

"""GET /api/v1/reports/daily/: the report's figures as JSON, from the same function as the page."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from queues import allocation, reports
from tests.queues.test_reports import DAY, kolkata_day  # noqa: F401  (the hand-built day)

pytestmark = pytest.mark.django_db


def test_it_returns_the_same_figures_as_the_page(api, kolkata_day):  # noqa: F811
    body = api.get(f"/api/v1/reports/daily/?date={DAY}").json()
    expected = reports.daily_report(day=DAY)
    for key in ("generated_at",):
        body.pop(key), expected.pop(key)
    assert body == expected
    assert body["headline"]["booked"] == 12
    assert body["times"]["waiting"] == {"count": 6, "median": 1500.0, "p90": 2700.0}
    # The keys of the API's first version are still there.
    assert {"date", "doctor_id", "total_tokens", "by_category", "by_status", "emergencies", "waiting_list",
            "doctors"} <= set(body)


def test_it_filters_by_department(api, kolkata_day):  # noqa: F811
    body = api.get(f"/api/v1/reports/daily/?date={DAY}&department_id={kolkata_day['medicine'].pk}").json()
    assert [d["doctor_name"] for d in body["doctors"]] == ["Dr. A"]
    assert body["headline"]["seen"] == 4


@pytest.mark.parametrize(
    "query, field",
    [("date=2026-02-30", "date"), ("date=today", "date"), ("doctor_id=xyz", "doctor_id"),
     ("department_id=12", "department_id")],
)
def test_malformed_input_is_a_400_with_a_reason(api, query, field):
    response = api.get(f"/api/v1/reports/daily/?{query}")
    assert response.status_code == 400
    assert response.json()[field]


@pytest.mark.parametrize("param, noun", [("doctor_id", "doctor"), ("department_id", "department")])
def test_an_unknown_doctor_or_department_is_a_404_with_a_reason(api, param, noun):
    missing = uuid.uuid4()
    response = api.get(f"/api/v1/reports/daily/?{param}={missing}")
    assert response.status_code == 404
    assert response.json()["detail"] == f"No {noun} with id {missing}."


def test_a_future_day_shows_the_bookings_so_far(api, make_slot, make_patient):
    slot = make_slot(starts_in=timedelta(days=3))
    allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="ONLINE")
    day = timezone.localdate(slot.start_time)
    body = api.get(f"/api/v1/reports/daily/?date={day}").json()
    assert body["headline"]["booked"] == 1 and body["headline"]["seen"] == 0
    assert body["headline"]["capacity"] == 15
    assert body["times"]["consultation"]["median"] is None


def test_anonymous_requests_are_refused(client):
    assert client.get("/api/v1/reports/daily/").status_code in (401, 403)

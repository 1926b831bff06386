"""The daily report publishes how good the estimates were: the median absolute error, per
doctor, between the first estimate each patient was told and their real call."""

from datetime import timedelta

import pytest
from django.utils import timezone

from queues import allocation, reports, selectors
from queues.models import Token

pytestmark = pytest.mark.django_db


def test_the_report_gives_each_doctors_median_estimate_error(clinic_morning, slot, make_patient):
    tokens = [allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN").token for _ in range(3)]
    selectors.annotate_tokens(tokens)  # what the booking's answer (API, desk, slip) tells them
    assert all(Token.objects.get(pk=t.pk).first_estimate is not None for t in tokens)
    now = timezone.now()
    for token, late in zip(tokens, (2, -6, 10)):  # called 2 min late, 6 early, 10 late
        Token.objects.filter(pk=token.pk).update(first_estimate=now, called_at=now + timedelta(minutes=late), status="COMPLETED")
    report = reports.daily_report(day=timezone.localdate())
    assert report["estimate_error"] == {"median_abs_error_minutes": 6.0, "count": 3}
    assert report["doctors"][0]["estimate_error"] == {"median_abs_error_minutes": 6.0, "count": 3}


def test_the_first_estimate_is_what_the_booking_answer_said_and_is_kept_when_the_queue_moves(api, clinic_morning, slot, make_patient):
    allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN")
    answer = api.post("/api/v1/tokens/", {"slot_id": str(slot.pk), "patient_id": str(make_patient().pk), "category": "WALKIN"},
                      format="json").json()
    assert answer["first_estimate"] == answer["estimated_time"]
    told = Token.objects.get(pk=answer["id"]).first_estimate
    allocation.insert_emergency(slot_id=slot.pk, patient_id=make_patient().pk)  # now ahead of them
    selectors.day_queue(doctor_id=slot.doctor_id)
    moved = Token.objects.get(pk=answer["id"])
    assert moved.first_estimate == told


def test_a_day_without_calls_has_no_error_figure(slot):
    assert reports.daily_report(day=timezone.localdate())["estimate_error"] == {"median_abs_error_minutes": None, "count": 0}

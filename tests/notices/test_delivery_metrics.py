"""opdq_notice_deliveries_total{channel, outcome} (notices/metrics.py), as a scraper reads it
from /metrics: deliveries through the fake provider, counted by what became of them."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from notices import tasks
from queues import allocation
from queues.models import Notice
from tests.prometheus import scrape, value

pytestmark = pytest.mark.django_db(transaction=True)  # notices leave on commit, and are counted then


def book(slot, patient, category="WALKIN"):
    return allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category=category).token


def test_deliveries_are_counted_by_channel_and_outcome(client, metrics_on, sms_gateway, slot, consented, make_patient,
                                                       settings):
    settings.NOTICE_RETRY_SECONDS = 30
    before = scrape(client)
    sms_gateway.statuses = [500, 400]
    retried = book(slot, consented())  # 500: tried again later
    book(slot, consented())  # 400: refused for good
    book(slot, make_patient())  # never consented
    with time_machine.travel(Notice.objects.get(token=retried).not_before + timedelta(seconds=1)):
        tasks.sweep(now=timezone.now())  # the retry goes through
    after = scrape(client)

    def grew(outcome):
        return (value(after, "opdq_notice_deliveries_total", channel="sms", outcome=outcome)
                - value(before, "opdq_notice_deliveries_total", channel="sms", outcome=outcome))

    assert {o: grew(o) for o in ("sent", "retried", "failed", "skipped_no_consent")} == {
        "sent": 1, "retried": 1, "failed": 1, "skipped_no_consent": 1}
    assert len(sms_gateway.requests) == 3


def test_quiet_hours_count_a_deferral_on_each_channel(client, metrics_on, sms_gateway, make_slot, consented, settings):
    settings.NOTICE_QUIET_HOURS = "21:00-07:00"
    evening = timezone.localtime().replace(hour=22, minute=30)
    before = scrape(client)
    with time_machine.travel(evening, tick=False):
        book(make_slot(starts_in=timedelta(hours=10)), consented(), category="ONLINE")
    after = scrape(client)
    key = dict(channel="sms", outcome="deferred_quiet_hours")
    assert value(after, "opdq_notice_deliveries_total", **key) - value(before, "opdq_notice_deliveries_total", **key) == 1
    assert sms_gateway.requests == []

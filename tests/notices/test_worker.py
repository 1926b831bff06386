"""The real worker on a real broker: with the broker down a booking still succeeds and its notice
waits in the outbox; once the broker is back, the sweep re-queues it and a Celery worker
delivers it, once."""

import time
from datetime import timedelta

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from config import celery_app
from notices import tasks
from queues import allocation
from queues.models import Notice
from tests.e2e.test_redis_restart import REDIS_SERVER, PrivateRedis

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker():
    """A private redis-server as the Celery broker, not started yet (the broker is down)."""
    if not REDIS_SERVER:
        pytest.skip("no redis-server binary")
    redis = PrivateRedis(REDIS_SERVER)
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.close()
    celery_app.conf.update(broker_url=redis.url, task_always_eager=False)
    yield redis
    celery_app.close()
    celery_app.conf.update(saved)
    redis.stop()


def wait_for(condition, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_notice_survives_the_broker_being_down_and_is_delivered_once_when_it_is_back(broker, sms_gateway, slot, consented):
    token = allocation.book_token(slot_id=slot.pk, patient_id=consented().pk, category="WALKIN").token
    notice = Notice.objects.get(token=token)
    assert notice.state == "PENDING" and sms_gateway.requests == []

    broker.start()
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert tasks.sweep(now=timezone.now()) == [str(notice.pk)]
    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        assert wait_for(lambda: Notice.objects.get(pk=notice.pk).state == "DONE")
    assert len(sms_gateway.requests) == 1 and f"token {token.token_label}" in sms_gateway.requests[0].json["text"]

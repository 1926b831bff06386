"""Committed notices reach the broker as one message per burst, not one per notice."""

import pytest
from django.db import transaction

from queues import allocation, outbox
from queues.models import Notice

pytestmark = pytest.mark.django_db(transaction=True)


class Broker:
    """Stands in for celery's send_task: records what each message carries."""

    def __init__(self):
        self.messages = []

    def send_task(self, name, args, countdown=None):
        self.messages.append((name, list(args[0])))


@pytest.fixture
def broker(monkeypatch):
    from celery import current_app

    fake = Broker()
    eager = current_app.conf.task_always_eager
    current_app.conf.update(task_always_eager=False)
    monkeypatch.setattr(current_app, "send_task", fake.send_task)
    yield fake
    current_app.conf.update(task_always_eager=eager)


def test_notices_committed_together_go_to_the_broker_as_one_message(broker, slot, make_patient, settings, monkeypatch):
    settings.NOTICE_DISPATCH_THREAD = True
    settings.NOTICE_HANDOFF_MS = 0
    dispatcher = outbox.Dispatcher(background=False)  # the burst is taken below, not by a thread
    monkeypatch.setattr(outbox, "_dispatcher", dispatcher)
    for patient in [make_patient() for _ in range(5)]:
        allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    assert broker.messages == []  # nothing handed over in the requests

    outbox.dispatch(dispatcher.next_burst())
    assert len(broker.messages) == 1
    name, ids = broker.messages[0]
    assert name == outbox.DELIVER_MANY_TASK
    assert sorted(ids) == sorted(str(pk) for pk in Notice.objects.values_list("pk", flat=True))
    assert len(ids) == 5


def test_a_large_sweep_is_split_into_messages_of_a_hundred(broker):
    ids = [f"notice-{n}" for n in range(250)]
    outbox.dispatch(ids)
    assert [len(chunk) for _, chunk in broker.messages] == [100, 100, 50]
    assert [i for _, chunk in broker.messages for i in chunk] == ids


def test_a_notice_rolled_back_is_never_handed_over(broker, slot, make_patient, settings):
    settings.NOTICE_DISPATCH_THREAD = False
    with pytest.raises(RuntimeError), transaction.atomic():
        allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN")
        raise RuntimeError("the request failed after booking")
    assert broker.messages == []


def test_the_worker_delivers_every_notice_of_a_message(broker, sms_gateway, slot, consented, settings):
    from notices import tasks

    settings.NOTICE_DISPATCH_THREAD = False
    tokens = [allocation.book_token(slot_id=slot.pk, patient_id=consented().pk, category="WALKIN").token
              for _ in range(3)]
    assert sms_gateway.requests == []  # handed to the (fake) broker, not delivered yet
    ids = [i for _, chunk in broker.messages for i in chunk]
    tasks.deliver_many(ids + ["00000000-0000-0000-0000-000000000000"])  # one gone meanwhile: the rest go
    assert len(sms_gateway.requests) == 3
    assert set(Notice.objects.values_list("state", flat=True)) == {"DONE"}
    texts = " ".join(r.json["text"] for r in sms_gateway.requests)
    assert all(f"token {t.token_label}" in texts for t in tokens)

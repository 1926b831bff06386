"""The status page's websocket: its patient's state on connect, brought up to date by the
doctor's pushed snapshots, refused for unknown or expired codes."""

from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import sync_to_async
from django.utils import timezone

from queues import allocation
from tests.queues.test_consumers import communicator, receive_until

pytestmark = [pytest.mark.django_db(transaction=True)]

AHEAD = '<dt>People ahead of you</dt><dd class="big">{}</dd>'


async def test_the_page_gets_its_state_then_the_call_live(slot, make_patient):
    book = sync_to_async(allocation.book_token)
    call_next = sync_to_async(allocation.call_next)
    for _ in range(2):
        await book(slot_id=slot.pk, patient_id=(await sync_to_async(make_patient)()).pk, category="WALKIN")
    mine = (await book(slot_id=slot.pk, patient_id=(await sync_to_async(make_patient)()).pk, category="WALKIN")).token
    c = communicator(f"/ws/status/{mine.status_code}/?lang=en")
    assert (await c.connect())[0]
    state = await c.receive_from()
    assert 'id="status-body"' in state and f'<h1 class="label">{mine.token_label}</h1>' in state
    assert AHEAD.format(2) in state
    await call_next(slot_id=slot.pk)  # the first goes in (still ahead of me, with the doctor)
    await call_next(slot_id=slot.pk)  # the first is done, the second goes in
    assert AHEAD.format(1) in await receive_until(c, AHEAD.format(1))
    await call_next(slot_id=slot.pk)  # me
    called = await receive_until(c, "You are being called")
    assert "go to room 4" in called and 'data-status="CALLED"' in called
    await c.disconnect()


async def test_a_hindi_page_is_pushed_in_hindi(slot, patient):
    token = (await sync_to_async(allocation.book_token)(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")).token
    c = communicator(f"/ws/status/{token.status_code}/?lang=hi")
    assert (await c.connect())[0]
    await c.receive_from()
    await sync_to_async(allocation.call_next)(slot_id=slot.pk)
    assert "कमरा 4 में जाएँ" in await receive_until(c, "बुलाया")
    await c.disconnect()


async def test_unknown_and_expired_codes_are_refused(slot, patient):
    c = communicator("/ws/status/abcdefghjk/")
    connected, code = await c.connect()
    assert not connected
    token = (await sync_to_async(allocation.book_token)(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")).token
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        c = communicator(f"/ws/status/{token.status_code}/")
        connected, _ = await c.connect()
    assert not connected

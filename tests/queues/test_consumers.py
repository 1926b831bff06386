"""Websocket consumers: who may listen, full state on connect, pushes after commit only."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from queues import allocation
from queues.models import Display
from queues.routing import websocket_urlpatterns
from scheduling.models import Doctor
from tests.staff import make_staff

pytestmark = [pytest.mark.django_db(transaction=True)]

app = URLRouter(websocket_urlpatterns)


def communicator(path, user=None):
    c = WebsocketCommunicator(app, path)
    c.scope["user"] = user or AnonymousUser()
    return c


make_user = make_staff


@pytest.fixture
def display(doctor):
    d = Display.objects.create(name="Main hall")
    d.doctors.add(doctor)
    return d


async def receive_until(c, needle, timeout=3):
    """Messages until one contains `needle` (returns it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        text = await c.receive_from(timeout=max(deadline - loop.time(), 0.01))
        if needle in text:
            return text


async def test_a_board_gets_the_full_state_on_connect_without_patient_names(display, doctor, slot, patient):
    result = await sync_to_async(allocation.book_token)(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    c = communicator(f"/ws/board/{display.key}/")
    connected, _ = await c.connect()
    assert connected
    state = await c.receive_from()
    assert 'id="board-rows"' in state
    assert f'id="board-doctor-{doctor.pk}"' in state
    assert f'<span class="num">{result.token.token_number}</span>' in state
    assert "Jane Doe" not in state and "Walk-in" not in state
    await c.disconnect()


async def test_a_board_receives_a_booking_after_commit(display, slot, make_patient):
    c = communicator(f"/ws/board/{display.key}/")
    assert (await c.connect())[0]
    await c.receive_from()
    patients = [await sync_to_async(make_patient)() for _ in range(2)]
    for p in patients:
        await sync_to_async(allocation.book_token)(slot_id=slot.pk, patient_id=p.pk, category="WALKIN")
    update = await receive_until(c, '<span class="num">2</span>')
    assert update.lstrip().startswith('<section class="board-row')
    assert "Patient" not in update
    await c.disconnect()


async def test_nothing_is_sent_for_a_rolled_back_change(display, slot, patient):
    c = communicator(f"/ws/board/{display.key}/")
    assert (await c.connect())[0]
    await c.receive_from()

    def book_then_roll_back():
        with transaction.atomic():
            allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
            transaction.set_rollback(True)

    await sync_to_async(book_then_roll_back)()
    assert await c.receive_nothing(timeout=0.5)
    await c.disconnect()


async def test_a_called_token_is_announced_to_boards(display, slot, patient):
    token = (await sync_to_async(allocation.book_token)(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")).token
    await sync_to_async(allocation.check_in)(token_id=token.pk)
    c = communicator(f"/ws/board/{display.key}/")
    assert (await c.connect())[0]
    await c.receive_from()
    await sync_to_async(allocation.call_next)(slot_id=slot.pk)
    update = await receive_until(c, 'id="board-call"')
    assert f'data-number="{token.token_number}"' in update
    assert f"Token {token.token_number}, room 4" in update
    await c.disconnect()


async def test_a_hindi_board_gets_hindi_labels_and_speech(doctor, slot, patient):
    display = await sync_to_async(Display.objects.create)(name="OPD", language="hi", department=doctor.department)
    token = (await sync_to_async(allocation.book_token)(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")).token
    await sync_to_async(allocation.check_in)(token_id=token.pk)
    c = communicator(f"/ws/board/{display.key}/")
    assert (await c.connect())[0]
    assert "कमरा" in await c.receive_from()
    await sync_to_async(allocation.call_next)(slot_id=slot.pk)
    update = await receive_until(c, 'id="board-call"')
    assert f"टोकन {token.token_number}, कमरा 4" in update
    await c.disconnect()


async def test_an_unknown_or_revoked_key_is_refused(display):
    c = communicator("/ws/board/not-a-key/")
    connected, code = await c.connect()
    assert not connected and code == 4403
    display.active = False
    await sync_to_async(display.save)()
    c = communicator(f"/ws/board/{display.key}/")
    connected, code = await c.connect()
    assert not connected and code == 4403


async def test_an_open_board_is_closed_when_its_key_is_revoked_or_rotated(display, client):
    c = communicator(f"/ws/board/{display.key}/")
    assert (await c.connect())[0]
    await c.receive_from()
    display.key = "rotated-key-xyz"

    def rotate():
        from queues import broadcast

        with transaction.atomic():
            display.save()
            broadcast.display_changed(display_id=display.pk)

    await sync_to_async(rotate)()
    output = await c.receive_output(timeout=2)
    assert output == {"type": "websocket.close", "code": 4403}


async def test_board_input_is_ignored(display):
    c = communicator(f"/ws/board/{display.key}/")
    assert (await c.connect())[0]
    await c.receive_from()
    await c.send_to(text_data='{"type": "group_add", "group": "desk"}')
    assert await c.receive_nothing(timeout=0.3)
    await c.disconnect()


async def test_a_doctor_listens_to_their_own_queue_only(doctor, department, slot, patient):
    other = await sync_to_async(Doctor.objects.create)(name="Dr. Other", department=department, room="8")
    user = await sync_to_async(make_user)("rao", "Doctor", doctor)
    c = communicator(f"/ws/doctor/{other.pk}/", user)
    connected, code = await c.connect()
    assert not connected and code == 4403

    c = communicator(f"/ws/doctor/{doctor.pk}/", user)
    assert (await c.connect())[0]
    assert 'id="doctor-queue"' in await c.receive_from()
    await sync_to_async(allocation.book_token)(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    update = await receive_until(c, "Jane Doe")
    assert 'id="doctor-queue"' in update
    await c.disconnect()


async def test_a_manager_may_listen_to_any_doctor_and_anonymous_nobody(doctor):
    manager = await sync_to_async(make_user)("boss", "Manager")
    c = communicator(f"/ws/doctor/{doctor.pk}/", manager)
    assert (await c.connect())[0]
    await c.disconnect()
    c = communicator(f"/ws/doctor/{doctor.pk}/")
    assert not (await c.connect())[0]


async def test_the_desk_socket_is_for_desk_staff_and_says_what_changed(slot, patient, doctor):
    receptionist = await sync_to_async(make_user)("desk1", "Reception")
    doctor_user = await sync_to_async(make_user)("rao", "Doctor", doctor)
    refused = communicator("/ws/desk/", doctor_user)
    assert not (await refused.connect())[0]
    c = communicator("/ws/desk/", receptionist)
    assert (await c.connect())[0]
    assert await c.receive_json_from() == {"event": "queue-changed", "kind": "connected"}
    await sync_to_async(allocation.book_token)(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    message = await c.receive_json_from(timeout=2)
    assert message["event"] == "queue-changed" and message["kind"] == "booked"
    assert message["slot_id"] == str(slot.pk)
    await c.disconnect()

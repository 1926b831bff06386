"""Websocket consumers: who may listen, full state on connect, pushes after commit only."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from queues import allocation, broadcast
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
    doctor.token_prefix = "GM"
    await sync_to_async(doctor.save)()
    result = await sync_to_async(allocation.book_token)(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    assert result.token.token_label == "GM-1"
    c = communicator(f"/ws/board/{display.key}/")
    connected, _ = await c.connect()
    assert connected
    state = await c.receive_from()
    assert 'id="board-rows"' in state
    assert f'id="board-doctor-{doctor.pk}"' in state
    assert '<span class="num">GM-1</span>' in state  # a walk-in is present at once: on the board's Next
    assert "Jane Doe" not in state and "Walk-in" not in state
    await c.disconnect()


async def test_a_screen_that_connects_makes_the_next_change_reach_it_in_full(display, doctor):
    """What was last pushed to a group is forgotten when a screen joins it: the screen starts
    from its full state, which may differ from the last push."""
    from django.core.cache import cache

    group = broadcast.board_doctor_group(doctor.pk, display.language)
    await sync_to_async(cache.set)(f"pushed:{group}:row", "an old digest")
    c = communicator(f"/ws/board/{display.key}/")
    assert (await c.connect())[0]
    await c.receive_from()
    assert await sync_to_async(cache.get)(f"pushed:{group}:row") is None
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


async def test_a_boards_next_lists_only_patients_who_have_checked_in(display, doctor, slot, make_patient):
    c = communicator(f"/ws/board/{display.key}/")
    assert (await c.connect())[0]
    await c.receive_from()
    online = (await sync_to_async(allocation.book_token)(
        slot_id=slot.pk, patient_id=(await sync_to_async(make_patient)()).pk, category="ONLINE")).token
    assert online.status == "CONFIRMED"
    update = await receive_until(c, f'id="board-doctor-{doctor.pk}"')
    assert f'<span class="num">{online.token_label}</span>' not in update  # expected, not next
    await sync_to_async(allocation.check_in)(token_id=online.pk)
    update = await receive_until(c, f'id="board-doctor-{doctor.pk}"')
    assert f'<span class="num">{online.token_label}</span>' in update
    await c.disconnect()


async def test_a_called_token_is_announced_to_boards(display, doctor, slot, patient):
    doctor.token_prefix = "GM"
    await sync_to_async(doctor.save)()
    token = (await sync_to_async(allocation.book_token)(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")).token
    assert token.status == "ARRIVED"  # a walk-in can be called at once, no separate check-in
    c = communicator(f"/ws/board/{display.key}/")
    assert (await c.connect())[0]
    await c.receive_from()
    await sync_to_async(allocation.call_next)(slot_id=slot.pk)
    update = await receive_until(c, 'id="board-call"')
    assert f'data-number="{token.token_label}"' in update and token.token_label == "GM-1"
    assert f"Token {token.token_label}, room 4" in update
    await c.disconnect()


async def test_a_hindi_board_gets_hindi_labels_and_speech(doctor, slot, patient):
    display = await sync_to_async(Display.objects.create)(name="OPD", language="hi", department=doctor.department)
    token = (await sync_to_async(allocation.book_token)(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")).token
    c = communicator(f"/ws/board/{display.key}/")
    assert (await c.connect())[0]
    assert "कमरा" in await c.receive_from()
    await sync_to_async(allocation.call_next)(slot_id=slot.pk)
    update = await receive_until(c, 'id="board-call"')
    assert f"टोकन {token.token_label}, कमरा 4" in update
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
    state = await c.receive_from()
    assert all(f'id="{part}"' in state for part in ("doctor-now", "doctor-counts", "doctor-rows", "doctor-waiting"))
    await sync_to_async(allocation.book_token)(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    update = await receive_until(c, "Jane Doe")
    assert 'id="doctor-rows"' in update and 'id="doctor-counts"' in update
    assert "1 present" in update  # a walk-in is checked in at booking
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
    assert message["slot_id"] == str(slot.pk) and message["doctor_id"] == str(doctor.pk)
    assert message["notes"] == []
    assert "Jane Doe" not in json.dumps(message)
    await c.disconnect()


async def test_a_screen_hears_a_heartbeat_through_the_channel_layer(display, settings):
    settings.LIVE_HEARTBEAT_SECONDS = 0.05
    c = communicator(f"/ws/board/{display.key}/")
    assert (await c.connect())[0]
    await c.receive_from()  # the full state
    assert json.loads(await c.receive_from(timeout=2)) == {"event": "heartbeat"}
    await c.disconnect()


async def test_a_socket_whose_channel_layer_stops_answering_closes_so_the_screen_reconnects(display, settings, monkeypatch):
    from channels.layers import get_channel_layer

    settings.LIVE_HEARTBEAT_SECONDS = 0.05
    c = communicator(f"/ws/board/{display.key}/")
    assert (await c.connect())[0]
    await c.receive_from()

    async def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(get_channel_layer(), "send", down)
    assert await c.receive_output(timeout=2) == {"type": "websocket.close", "code": 1011}
    await c.disconnect()

"""Pushes run after commit, render each fragment once per change, and never break a booking."""

import logging
from unittest.mock import Mock

import pytest
from asgiref.sync import async_to_sync
from django.test import override_settings

from queues import allocation, broadcast, fragments, watchers
from queues.models import Display, Token

pytestmark = pytest.mark.django_db


def test_a_push_is_scheduled_on_commit_not_sent_inside_the_transaction(slot, patient, django_capture_on_commit_callbacks, monkeypatch):
    send = Mock()
    monkeypatch.setattr(broadcast, "_send", send)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    pushes = [c for c in callbacks if c.func is broadcast._after_commit]  # the other hands the notice to the worker
    assert send.call_count == 0 and len(pushes) == 1 and len(callbacks) == 2
    pushes[0]()
    assert send.call_count == 1


def test_each_fragment_is_rendered_once_per_change_whatever_the_number_of_boards(slot, patient, doctor, monkeypatch):
    for n in range(3):
        Display.objects.create(name=f"Board {n}").doctors.add(doctor)
    Display.objects.create(name="Hindi", language="hi")
    rows = Mock(wraps=fragments.render_board_row)
    queue = Mock(wraps=fragments.render_doctor_parts)
    monkeypatch.setattr(fragments, "render_board_row", rows)
    monkeypatch.setattr(fragments, "render_doctor_parts", queue)
    screens = [broadcast.board_doctor_group(doctor.pk, "en")] * 3 + [
        broadcast.board_doctor_group(doctor.pk, "hi"), broadcast.doctor_group(doctor.pk), broadcast.DESK_GROUP]
    async_to_sync(watchers.watch)(screens)
    messages = broadcast.queue_change_messages(doctor_id=str(doctor.pk), slot_id=str(slot.pk), kind="booked")
    assert rows.call_count == 2 and queue.call_count == 1  # one per language, one for the doctor
    groups = [g for g, _ in messages]
    assert groups == [broadcast.doctor_group(doctor.pk), broadcast.DESK_GROUP,
                      broadcast.board_doctor_group(doctor.pk, "en"), broadcast.board_doctor_group(doctor.pk, "hi")]
    assert all(len(g) < 100 for g in groups)


@override_settings(CHANNEL_LAYERS={"default": {
    "BACKEND": "channels_redis.core.RedisChannelLayer",
    "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},  # nothing listens on port 1
}})
def test_a_dead_redis_never_breaks_a_booking_and_the_failure_is_logged(slot, patient, caplog, django_capture_on_commit_callbacks):
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    async_to_sync(watchers.watch)([broadcast.DESK_GROUP])  # a desk is open: there is something to push
    try:
        with caplog.at_level(logging.WARNING, logger="queues.broadcast"):
            with django_capture_on_commit_callbacks(execute=True):
                result = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    finally:
        channel_layers.backends.clear()
    assert Token.objects.filter(pk=result.token.pk, status=Token.Status.ARRIVED).exists()  # a walk-in is present at once
    assert "Could not push booked" in caplog.text


def test_a_rendering_failure_is_logged_not_raised(slot, patient, monkeypatch, caplog, django_capture_on_commit_callbacks):
    monkeypatch.setattr(broadcast, "queue_change_messages", Mock(side_effect=RuntimeError("template broke")))
    with django_capture_on_commit_callbacks(execute=True):
        result = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    assert result.confirmed and "Could not render the booked change" in caplog.text


def test_nothing_is_rendered_for_screens_nobody_has_open(slot, doctor, monkeypatch):
    Display.objects.create(name="Hall").doctors.add(doctor)
    rows = Mock(wraps=fragments.render_board_row)
    queue = Mock(wraps=fragments.render_doctor_parts)
    monkeypatch.setattr(fragments, "render_board_row", rows)
    monkeypatch.setattr(fragments, "render_doctor_parts", queue)
    messages = broadcast.queue_change_messages(doctor_id=str(doctor.pk), slot_id=str(slot.pk), kind="booked")
    assert rows.call_count == 0 and queue.call_count == 0 and messages == []
    async_to_sync(watchers.watch)([broadcast.DESK_GROUP])
    messages = broadcast.queue_change_messages(doctor_id=str(doctor.pk), slot_id=str(slot.pk), kind="booked")
    assert [g for g, _ in messages] == [broadcast.DESK_GROUP]  # an open desk gets its small note, nothing rendered
    assert rows.call_count == 0 and queue.call_count == 0
    async_to_sync(watchers.watch)([broadcast.doctor_group(doctor.pk)])
    async_to_sync(watchers.unwatch)([broadcast.doctor_group(doctor.pk)])
    broadcast.queue_change_messages(doctor_id=str(doctor.pk), slot_id=str(slot.pk), kind="booked")
    assert queue.call_count == 0  # the page was closed again


def sent_to(layer, channel) -> list[dict]:
    """Every message the channel layer delivered to `channel` so far."""
    import asyncio

    async def drain():
        out = []
        while True:
            try:
                out.append(await asyncio.wait_for(layer.receive(channel), 0.05))
            except asyncio.TimeoutError:
                return out

    return async_to_sync(drain)()


@pytest.fixture
def screens(doctor):
    """A doctor's page, an English board showing the doctor and a desk, open and listening."""
    from channels.layers import get_channel_layer

    Display.objects.create(name="Hall").doctors.add(doctor)
    layer = get_channel_layer()
    groups = {"doctor": broadcast.doctor_group(doctor.pk), "board": broadcast.board_doctor_group(doctor.pk, "en"),
              "desk": broadcast.DESK_GROUP}
    channels = {}
    for name, group in groups.items():
        channels[name] = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(group, channels[name])
    async_to_sync(watchers.watch)(list(groups.values()))
    return lambda: {name: sent_to(layer, channel) for name, channel in channels.items()}


def test_a_booking_at_the_end_of_a_long_queue_sends_the_doctor_only_its_counts(
    clinic_morning, make_slot, make_patient, doctor, screens, django_capture_on_commit_callbacks
):
    slot = make_slot(capacity=60)
    queued = 40
    assert queued > fragments.DOCTOR_ROWS
    for n in range(queued):  # walk-ins first (present: the board's Next is full), then online bookings
        allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN" if n < 10 else "ONLINE")
    broadcast.publish_queue_change(doctor_id=str(doctor.pk), slot_id=str(slot.pk), kind="booked")  # the screens are up to date
    screens()

    with django_capture_on_commit_callbacks(execute=True):
        late = allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="ONLINE").token

    got = screens()
    parts = fragments.render_doctor_parts(doctor)  # the clock is frozen: the same render as the push
    (message,) = got["doctor"]
    assert message["html"] == parts["doctor-counts"] + parts["doctor-more"]  # "N expected", "N more today"
    assert f"{queued - fragments.DOCTOR_ROWS + 1} more today" in message["html"]
    assert f'data-token="{late.token_label}"' not in message["html"]  # the rows shown did not change: not re-sent
    assert len(message["html"].encode()) < 1024 < len("".join(parts.values()).encode()) / 5
    assert got["board"] == []  # an expected patient is not on the board's Next: the row is unchanged, not re-sent
    (note,) = got["desk"]
    assert '"kind": "booked"' in note["text"]


def test_a_change_the_screens_show_is_sent_in_full(clinic_morning, make_slot, make_patient, doctor, screens,
                                                   django_capture_on_commit_callbacks):
    slot = make_slot(capacity=60)
    for _ in range(20):
        allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN")
    broadcast.publish_queue_change(doctor_id=str(doctor.pk), slot_id=str(slot.pk), kind="booked")
    screens()

    with django_capture_on_commit_callbacks(execute=True):
        emergency = allocation.insert_emergency(slot_id=slot.pk, patient_id=make_patient().pk)

    got = screens()
    (message,) = got["doctor"]
    assert 'id="doctor-rows"' in message["html"] and 'id="doctor-counts"' in message["html"]
    assert emergency.token_label in message["html"]  # at the head of the rows
    (row,) = got["board"]
    assert f'id="board-doctor-{doctor.pk}"' in row["html"] and emergency.token_label in row["html"]  # first in Next


def test_a_part_that_changed_back_while_no_screen_was_open_reaches_a_screen_opened_since(
    clinic_morning, make_slot, make_patient, doctor, screens, django_capture_on_commit_callbacks
):
    """The memory of what was sent describes the screens that got those pushes; a screen opened
    later starts from the state at its connect, so a part returning to what was last pushed
    must still reach it."""
    slot = make_slot()
    allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="ONLINE")
    broadcast.publish_queue_change(doctor_id=str(doctor.pk), slot_id=str(slot.pk), kind="booked")  # row: Next empty
    screens()
    board = broadcast.board_doctor_group(doctor.pk, "en")
    async_to_sync(watchers.unwatch)([board])  # the TV is switched off
    with django_capture_on_commit_callbacks(execute=True):
        walk_in = allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN").token
    async_to_sync(watchers.watch)([board])  # and on again: its full state shows the walk-in as Next
    broadcast.forget_sent([board])  # as a screen joining its groups does (queues.consumers.LiveConsumer.join)
    assert walk_in.token_label in fragments.render_board_row(doctor, "en")[0]
    screens()

    with django_capture_on_commit_callbacks(execute=True):
        allocation.cancel_token(token_id=walk_in.pk)

    rows = screens()["board"]
    assert rows, "the board still shows the cancelled walk-in as Next: the row was not re-sent"
    (row,) = rows
    assert f'id="board-doctor-{doctor.pk}"' in row["html"] and f'<span class="num">{walk_in.token_label}</span>' not in row["html"]

"""Pushes run after commit, render each fragment once per change, and never break a booking."""

import logging
from unittest.mock import Mock

import pytest
from django.test import override_settings

from asgiref.sync import async_to_sync

from queues import allocation, broadcast, watchers
from queues.models import Display, Token

pytestmark = pytest.mark.django_db


def test_a_push_is_scheduled_on_commit_not_sent_inside_the_transaction(slot, patient, django_capture_on_commit_callbacks, monkeypatch):
    send = Mock()
    monkeypatch.setattr(broadcast, "_send", send)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    assert send.call_count == 0 and len(callbacks) == 1
    callbacks[0]()
    assert send.call_count == 1


def test_each_fragment_is_rendered_once_per_change_whatever_the_number_of_boards(slot, patient, doctor, monkeypatch):
    for n in range(3):
        Display.objects.create(name=f"Board {n}").doctors.add(doctor)
    Display.objects.create(name="Hindi", language="hi")
    from queues.views import board, doctor as doctor_views

    rows = Mock(wraps=board.render_board_update)
    queue = Mock(wraps=doctor_views.render_queue_fragment)
    monkeypatch.setattr(board, "render_board_update", rows)
    monkeypatch.setattr(doctor_views, "render_queue_fragment", queue)
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
    assert Token.objects.filter(pk=result.token.pk, status=Token.Status.CONFIRMED).exists()
    assert "Could not push booked" in caplog.text


def test_a_rendering_failure_is_logged_not_raised(slot, patient, monkeypatch, caplog, django_capture_on_commit_callbacks):
    monkeypatch.setattr(broadcast, "queue_change_messages", Mock(side_effect=RuntimeError("template broke")))
    with django_capture_on_commit_callbacks(execute=True):
        result = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    assert result.confirmed and "Could not render the booked change" in caplog.text


def test_nothing_is_rendered_for_screens_nobody_has_open(slot, doctor, monkeypatch):
    from queues.views import board, doctor as doctor_views

    Display.objects.create(name="Hall").doctors.add(doctor)
    rows = Mock(wraps=board.render_board_update)
    queue = Mock(wraps=doctor_views.render_queue_fragment)
    monkeypatch.setattr(board, "render_board_update", rows)
    monkeypatch.setattr(doctor_views, "render_queue_fragment", queue)
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

"""With LIVE_PUSH_COALESCE_MS > 0 a burst of changes renders each doctor's screens once."""

import time
from unittest.mock import Mock

import pytest

from queues import allocation, broadcast


@pytest.fixture
def published(monkeypatch):
    """Every change published, one call per change, whether sent alone or in a batch."""
    calls = Mock()
    monkeypatch.setattr(broadcast, "publish_queue_changes", lambda changes: [calls(**c) for c in changes])
    return calls


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_bookings_is_published_at_most_once_per_window(settings, published, make_slot, make_patient):
    settings.LIVE_PUSH_COALESCE_MS = 300
    slot = make_slot()
    started = time.monotonic()
    for _ in range(5):
        allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN")
    booked_in = time.monotonic() - started
    deadline = time.monotonic() + 5
    while published.call_count < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.7)  # any further publication would have come by now
    windows = int(booked_in / 0.3) + 2  # the first change at once, then one per window at most
    assert 1 <= published.call_count <= windows < 5
    published_change = {k: v for k, v in published.call_args.kwargs.items() if k != "committed_at"}
    assert published_change == {"doctor_id": str(slot.doctor_id), "slot_id": str(slot.pk), "kind": "booked",
                                          "messages": []}


# `db`: a flush tidies its thread's database connection (close_old_connections), as the real thread does.
def test_a_call_announcement_survives_later_changes_in_the_same_window(settings, published, db):
    coalescer = broadcast.Coalescer(background=False)
    coalescer.add(doctor_id="d1", slot_id="s1", kind="called", messages=[])
    coalescer.add(doctor_id="d1", slot_id="s1", kind="booked", messages=[])
    coalescer.add(doctor_id="d2", slot_id="s2", kind="booked", messages=[])
    coalescer.flush()
    kinds = {c.kwargs["doctor_id"]: c.kwargs["kind"] for c in published.call_args_list}
    assert kinds == {"d1": "called", "d2": "booked"}


def test_desk_notes_of_merged_changes_are_all_kept(settings, published, db):
    coalescer = broadcast.Coalescer(background=False)
    coalescer.add(doctor_id="d1", slot_id="s1", kind="promoted", messages=["Waiting list W1 promoted: token 4."])
    coalescer.add(doctor_id="d1", slot_id="s1", kind="booked", messages=[])
    coalescer.add(doctor_id="d1", slot_id="s1", kind="promoted", messages=["Waiting list W2 promoted: token 5."])
    coalescer.flush()
    (call,) = published.call_args_list
    assert call.kwargs["messages"] == ["Waiting list W1 promoted: token 4.", "Waiting list W2 promoted: token 5."]


def test_with_coalescing_off_the_push_happens_in_the_request(settings, published, slot, patient, django_capture_on_commit_callbacks):
    settings.LIVE_PUSH_COALESCE_MS = 0
    with django_capture_on_commit_callbacks(execute=True):
        allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    assert published.call_count == 1


def test_a_failing_push_never_turns_a_saved_booking_into_an_error(settings, monkeypatch, slot, patient, django_capture_on_commit_callbacks, caplog):
    settings.LIVE_PUSH_COALESCE_MS = 0
    monkeypatch.setattr(broadcast, "publish_queue_changes", Mock(side_effect=RuntimeError("redis gone")))
    with django_capture_on_commit_callbacks(execute=True):
        result = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    assert result.confirmed
    assert "Could not push the booked change" in caplog.text

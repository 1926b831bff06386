"""Overlapping slots for one doctor asked for at the same moment, from several processes: the
doctor's lock in scheduling.slots lets exactly one in."""

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.concurrency import invariants, scenarios
from tests.concurrency.workers import WORKERS, open_doctors, slots_of

NINE = datetime(2026, 11, 23, 9, tzinfo=ZoneInfo("Asia/Kolkata")).timestamp()


def assert_one_slot_per_doctor(outcomes, facts, *, doctors, each):
    invariants.assert_every_request_answered(outcomes, len(doctors) * each, allowed=("created", "refused"))
    assert Counter(o["doctor"] for o in outcomes if o["outcome"] == "created") == Counter(doctors)
    assert {o["error"] for o in outcomes if o["outcome"] == "refused"} == {"SlotOverlap"}
    assert {len(found) for found in facts.values()} == {1}, "a doctor got overlapping slots"


@pytest.mark.django_db(transaction=True)
def test_two_processes_adding_overlapping_slots_for_one_doctor_add_exactly_one(pg_workers):
    doctors = open_doctors(count=4 * WORKERS)  # four pairs of processes race at each moment

    outcomes = pg_workers.race(scenarios.overlapping_slots(doctors, at=NINE, each=2))

    invariants.assert_requests_overlapped(outcomes)
    assert_one_slot_per_doctor(outcomes, slots_of(doctors=doctors), doctors=doctors, each=2)


@pytest.mark.django_db(transaction=True)
def test_every_process_adding_overlapping_slots_for_one_doctor_adds_exactly_one(pg_workers):
    doctors = open_doctors(count=6)

    outcomes = pg_workers.race(scenarios.overlapping_slots(doctors, at=NINE, each=WORKERS))

    invariants.assert_requests_overlapped(outcomes)
    assert_one_slot_per_doctor(outcomes, slots_of(doctors=doctors), doctors=doctors, each=WORKERS)


@pytest.mark.django_db(transaction=True)
def test_control_without_the_doctors_lock_two_processes_add_overlapping_slots(pg_workers):
    """Proves the first test can fail: with create_slot's `skip_locking`, two requests that
    checked for overlaps before either committed both add their slot."""
    doctors = open_doctors(count=4 * WORKERS)

    outcomes = pg_workers.race(scenarios.overlapping_slots(doctors, at=NINE, each=2), unlocked=True)

    invariants.assert_requests_overlapped(outcomes)
    facts = slots_of(doctors=doctors)
    doubled = [d for d, found in facts.items() if len(found) > 1]
    assert doubled, f"no race seen: {invariants.tally(outcomes)}"


def test_on_sqlite_two_processes_adding_overlapping_slots_for_one_doctor_add_exactly_one(sqlite_workers):
    """SQLite has no row locks: its IMMEDIATE transactions (config.settings) serialise the writers."""
    doctors = sqlite_workers.call("open_doctors", count=WORKERS)

    outcomes = sqlite_workers.race(scenarios.overlapping_slots(doctors, at=NINE, each=2))

    invariants.assert_requests_overlapped(outcomes)
    assert_one_slot_per_doctor(outcomes, sqlite_workers.call("slots_of", doctors=doctors), doctors=doctors, each=2)

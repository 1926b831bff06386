"""A patient's two booking requests arrive at the same moment, from two processes."""

from collections import Counter

import pytest

from tests.concurrency import invariants, scenarios
from tests.concurrency.workers import day_facts, open_clinic

PATIENTS = 40


@pytest.mark.django_db(transaction=True)
def test_the_same_slot_twice_at_once_gives_one_booking_and_one_refusal(pg_workers):
    clinic = open_clinic(capacities=[PATIENTS // 2], patients=PATIENTS)

    outcomes = pg_workers.race(scenarios.same_slot_twice(clinic))

    invariants.assert_requests_overlapped(outcomes)
    facts = day_facts(doctor=clinic["doctor"])
    invariants.assert_double_bookings_refused(outcomes, facts, patients=clinic["patients"])
    assert invariants.tally(outcomes) == {"refused": PATIENTS, "confirmed": PATIENTS // 2, "waitlisted": PATIENTS // 2}


@pytest.mark.django_db(transaction=True)
def test_two_slots_of_one_doctor_at_once_give_one_booking_and_distinct_numbers(pg_workers):
    """The slots' own locks do not serialise these two requests; the doctor's day ledger must."""
    capacity = 15
    clinic = open_clinic(capacities=[capacity, capacity], patients=PATIENTS)

    outcomes = pg_workers.race(scenarios.two_slots_at_once(clinic))

    invariants.assert_requests_overlapped(outcomes)
    facts = day_facts(doctor=clinic["doctor"])
    invariants.assert_double_bookings_refused(outcomes, facts, patients=clinic["patients"])
    assert_both_slots_filled_in_turn(facts, clinic["slots"], capacity)


def assert_both_slots_filled_in_turn(facts, slots, capacity):
    """Both slots took bookings (so numbers were handed out to both at once), none over capacity,
    and a slot waitlisted only once it was full."""
    tokens = Counter(t["slot"] for t in facts["tokens"])
    entries = Counter(e["slot"] for e in facts["entries"])
    for slot in slots:
        assert 0 < tokens[slot] <= capacity
        assert entries[slot] == 0 or tokens[slot] == capacity

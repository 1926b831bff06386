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
    """No slot over capacity, and a slot waitlisted only once it was full. (Which of a patient's
    two requests wins is up to timing: on a busy machine one slot can win every race.)"""
    tokens = Counter(t["slot"] for t in facts["tokens"])
    entries = Counter(e["slot"] for e in facts["entries"])
    for slot in slots:
        assert tokens[slot] <= capacity
        assert entries[slot] == 0 or tokens[slot] == capacity


@pytest.mark.django_db(transaction=True)
def test_bookings_racing_into_two_slots_of_one_doctor_get_distinct_numbers(pg_workers):
    """Different patients, the doctor's two slots, at once: every slot fills to capacity and the
    day's numbers run 1..30 without a gap or a twin."""
    capacity = 15
    clinic = open_clinic(capacities=[capacity, capacity], patients=PATIENTS)
    first, second = clinic["slots"]
    requests = [
        ("book", {"slot": first if n % 2 else second, "patient": p, "category": "WALKIN"})
        for n, p in enumerate(clinic["patients"])
    ]

    outcomes = pg_workers.race(requests)

    invariants.assert_requests_overlapped(outcomes)
    invariants.assert_every_request_answered(outcomes, PATIENTS)
    facts = day_facts(doctor=clinic["doctor"])
    tokens = Counter(t["slot"] for t in facts["tokens"])
    assert tokens == {first: capacity, second: capacity}
    assert sorted(t["number"] for t in facts["tokens"]) == list(range(1, 2 * capacity + 1))
    assert {t["status"] for t in facts["tokens"]} == {"ARRIVED"}  # walk-ins are checked in at booking
    invariants.assert_issued_tokens_checked_in_by_category(facts)
    invariants.assert_numbers_unique_and_never_reused(facts)
    invariants.assert_one_event_per_outcome(facts)

"""200 patients book one slot of capacity 15 at the same moment, from 8 processes."""

import pytest

from tests.concurrency import invariants, scenarios
from tests.concurrency.workers import day_facts, open_clinic

CAPACITY = 15
PATIENTS = 200


@pytest.mark.django_db(transaction=True)
def test_it_confirms_exactly_capacity_and_waitlists_the_rest(pg_workers):
    clinic = open_clinic(capacities=[CAPACITY], patients=PATIENTS)

    outcomes = pg_workers.race(scenarios.one_slot_rush(clinic))

    invariants.assert_requests_overlapped(outcomes)
    invariants.assert_capacity_race(
        outcomes, day_facts(doctor=clinic["doctor"]), capacity=CAPACITY, patients=clinic["patients"]
    )


@pytest.mark.django_db(transaction=True)
def test_control_without_the_locks_the_race_breaks_the_invariants(pg_workers):
    """Proves the test above can fail: with the slot lock and the ledger lock replaced by plain
    reads, concurrent bookings overfill the slot or collide on token numbers."""
    clinic = open_clinic(capacities=[CAPACITY], patients=PATIENTS)

    outcomes = pg_workers.race(scenarios.one_slot_rush(clinic), unlocked=True)

    invariants.assert_requests_overlapped(outcomes)
    facts = day_facts(doctor=clinic["doctor"])
    numbers = [t["number"] for t in facts["tokens"]]
    failures = [o for o in outcomes if o["outcome"] == "failed"]
    collisions = [o for o in failures if "token_number_unique_per_doctor_day" in o["message"]]
    # Only the races the locks prevent, nothing else broken: otherwise this control proves nothing.
    assert failures == collisions, failures[0]["message"]
    overfilled = len(facts["tokens"]) > CAPACITY
    duplicated = len(numbers) != len(set(numbers))
    assert overfilled or duplicated or collisions, f"no race seen: {invariants.tally(outcomes)}"

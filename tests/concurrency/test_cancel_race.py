"""Cancellations (each sent twice at once), emergencies and new bookings race into a full slot
with a waiting list, from 8 processes."""

import random

import pytest

from tests.concurrency import invariants, scenarios
from tests.concurrency.workers import book_in_turn, day_facts, open_clinic

CAPACITY = 10
WAITING = 40
CANCELLED = 8
EMERGENCIES = 4
NEW_BOOKINGS = 3 * CANCELLED


@pytest.mark.django_db(transaction=True)
def test_cancellations_emergencies_and_bookings_keep_the_invariants(pg_workers):
    clinic = open_clinic(capacities=[CAPACITY], patients=CAPACITY + WAITING + EMERGENCIES + NEW_BOOKINGS)
    (slot,) = clinic["slots"]
    patients = clinic["patients"]
    confirmed = book_in_turn(slot=slot, patients=patients[:CAPACITY], category="WALKIN")
    waiting = book_in_turn(slot=slot, patients=patients[CAPACITY : CAPACITY + WAITING], category="ONLINE")
    assert None not in confirmed and set(waiting) == {None}
    to_cancel = random.Random(7).sample(confirmed, CANCELLED)
    requests = scenarios.cancels_among_emergencies(
        slot, to_cancel, patients[CAPACITY + WAITING :], emergencies=EMERGENCIES
    )

    outcomes = pg_workers.race(requests)

    invariants.assert_cancel_race(
        outcomes, day_facts(doctor=clinic["doctor"]),
        sent=len(requests), to_cancel=to_cancel, capacity=CAPACITY, emergencies=EMERGENCIES,
    )

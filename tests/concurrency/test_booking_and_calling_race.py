"""Reception books walk-ins into a slot while the doctor presses "call next", from 8 processes.
A booking holds the slot and then waits for the doctor's day ledger; "call next" holds the ledger
and writes an event that points at the slot. Both finish: the slot lock (NO KEY UPDATE) does not
block a row that merely points at the slot, so neither waits for the other in a circle."""

import pytest

from tests.concurrency import invariants
from tests.concurrency.workers import book_in_turn, day_facts, open_clinic

ALREADY_THERE = 8
NEW = 12
PRESSES = 8


@pytest.mark.django_db(transaction=True)
def test_bookings_and_call_next_presses_all_finish_with_distinct_numbers(pg_workers):
    clinic = open_clinic(capacities=[50], patients=ALREADY_THERE + NEW)
    (slot,) = clinic["slots"]
    patients = clinic["patients"]
    book_in_turn(slot=slot, patients=patients[:ALREADY_THERE], category="WALKIN")
    bookings = [("book", {"slot": slot, "patient": p, "category": "WALKIN"}) for p in patients[ALREADY_THERE:]]
    presses = [("call_next", {"doctor": clinic["doctor"]})] * PRESSES
    requests = [r for pair in zip(bookings, presses + [None] * len(bookings)) for r in pair if r]

    outcomes = pg_workers.race(requests)

    invariants.assert_requests_overlapped(outcomes)
    invariants.assert_every_request_answered(outcomes, NEW + PRESSES, allowed=("confirmed", "called", "refused"))
    assert invariants.tally(outcomes)["confirmed"] == NEW
    facts = day_facts(doctor=clinic["doctor"])
    invariants.assert_numbers_unique_and_never_reused(facts)
    called = [o["token"] for o in outcomes if o["outcome"] == "called"]
    assert len(called) == len(set(called)) == PRESSES, "each press called a different patient"
    with_doctor = [t for t in facts["tokens"] if t["status"] == "CALLED"]
    assert len(with_doctor) == 1

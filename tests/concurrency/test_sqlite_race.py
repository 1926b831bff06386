"""The booking races again on SQLite (the no-configuration default), from 8 processes on one
database file (the `sqlite_workers` fixture): the same invariants, and no request may fail with
"database is locked"."""

import random

from tests.concurrency import invariants, scenarios

CAPACITY = 15
PATIENTS = 200


def assert_never_locked_out(outcomes):
    locked = [o for o in outcomes if o.get("error") == "SlotBusy" or "locked" in o.get("message", "")]
    assert locked == [], f"{len(locked)} request(s) hit SQLite's lock: {locked[0]['message']}"


def test_on_sqlite_it_confirms_exactly_capacity_and_waitlists_the_rest(sqlite_workers):
    clinic = sqlite_workers.call("open_clinic", capacities=[CAPACITY], patients=PATIENTS)

    outcomes = sqlite_workers.race(scenarios.one_slot_rush(clinic))

    invariants.assert_requests_overlapped(outcomes)
    assert_never_locked_out(outcomes)
    facts = sqlite_workers.call("day_facts", doctor=clinic["doctor"])
    invariants.assert_capacity_race(outcomes, facts, capacity=CAPACITY, patients=clinic["patients"])


def test_on_sqlite_the_same_slot_twice_at_once_gives_one_booking(sqlite_workers):
    clinic = sqlite_workers.call("open_clinic", capacities=[20], patients=40)

    outcomes = sqlite_workers.race(scenarios.same_slot_twice(clinic))

    invariants.assert_requests_overlapped(outcomes)
    assert_never_locked_out(outcomes)
    facts = sqlite_workers.call("day_facts", doctor=clinic["doctor"])
    invariants.assert_double_bookings_refused(outcomes, facts, patients=clinic["patients"])
    assert invariants.tally(outcomes) == {"refused": 40, "confirmed": 20, "waitlisted": 20}


def test_on_sqlite_two_slots_of_one_doctor_at_once_give_one_booking(sqlite_workers):
    clinic = sqlite_workers.call("open_clinic", capacities=[15, 15], patients=40)

    outcomes = sqlite_workers.race(scenarios.two_slots_at_once(clinic))

    invariants.assert_requests_overlapped(outcomes)
    assert_never_locked_out(outcomes)
    facts = sqlite_workers.call("day_facts", doctor=clinic["doctor"])
    invariants.assert_double_bookings_refused(outcomes, facts, patients=clinic["patients"])


def test_on_sqlite_cancellations_emergencies_and_bookings_keep_the_invariants(sqlite_workers):
    capacity, waiting, cancelled, emergencies = 10, 40, 8, 4
    clinic = sqlite_workers.call("open_clinic", capacities=[capacity], patients=capacity + waiting + emergencies + 3 * cancelled)
    (slot,) = clinic["slots"]
    patients = clinic["patients"]
    confirmed = sqlite_workers.call("book_in_turn", slot=slot, patients=patients[:capacity], category="WALKIN")
    sqlite_workers.call("book_in_turn", slot=slot, patients=patients[capacity : capacity + waiting], category="ONLINE")
    to_cancel = random.Random(7).sample(confirmed, cancelled)
    requests = scenarios.cancels_among_emergencies(slot, to_cancel, patients[capacity + waiting :], emergencies=emergencies)

    outcomes = sqlite_workers.race(requests)

    assert_never_locked_out(outcomes)
    facts = sqlite_workers.call("day_facts", doctor=clinic["doctor"])
    invariants.assert_cancel_race(
        outcomes, facts, sent=len(requests), to_cancel=to_cancel, capacity=capacity, emergencies=emergencies
    )

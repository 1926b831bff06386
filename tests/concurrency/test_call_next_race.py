"""Several "call next" presses for one doctor at the same moment, from 8 processes (a doctor's
page double-clicked, the API and a second screen): the doctor's day ledger lock serialises them,
so each present patient is called once, in the day's serving order, and expected patients never."""

from collections import Counter

import pytest

from tests.concurrency import invariants
from tests.concurrency.workers import book_in_turn, call_order, day_facts, open_clinic

PRESENT = 12  # walk-ins, checked in at booking, over the doctor's two slots
EXPECTED = 6  # online bookings, not arrived: they keep their place but are never called
PRESSES = 20


def set_the_scene():
    clinic = open_clinic(capacities=[10, 10], patients=PRESENT + EXPECTED)
    first, second = clinic["slots"]
    people = clinic["patients"]
    for n in range(PRESENT):
        book_in_turn(slot=first if n % 2 else second, patients=[people[n]], category="WALKIN")
    book_in_turn(slot=first, patients=people[PRESENT:], category="ONLINE")
    return clinic


@pytest.mark.django_db(transaction=True)
def test_each_present_patient_is_called_once_in_the_day_order(pg_workers):
    clinic = set_the_scene()
    order = call_order(doctor=clinic["doctor"])
    present = [t["id"] for t in day_facts(doctor=clinic["doctor"])["tokens"] if t["status"] == "ARRIVED"]
    assert len(present) == PRESENT

    outcomes = pg_workers.race([("call_next", {"doctor": clinic["doctor"]})] * PRESSES)

    invariants.assert_requests_overlapped(outcomes)
    invariants.assert_every_request_answered(outcomes, PRESSES, allowed=("called", "refused"))
    assert invariants.tally(outcomes) == {"called": PRESENT, "refused": PRESSES - PRESENT}
    assert {o["error"] for o in outcomes if o["outcome"] == "refused"} == {"NobodyArrived"}
    called = [o["token"] for o in outcomes if o["outcome"] == "called"]
    assert Counter(called) == Counter(present), "every present patient called exactly once"

    facts = day_facts(doctor=clinic["doctor"])
    events = facts["events"]
    calls = [e["token"] for e in events if e["kind"] == "CALLED"]
    assert calls == [t for t in order if t in present], "called in the day's serving order"
    # Each press completed the patient before: the last one called is with the doctor.
    status = {t["id"]: t["status"] for t in facts["tokens"]}
    assert [t for t in calls if status[t] == "CALLED"] == calls[-1:]
    assert {status[t] for t in calls[:-1]} == {"COMPLETED"}
    assert [e["token"] for e in events if e["kind"] == "COMPLETED"] == calls[:-1]
    assert {status[t] for t in order if t not in present} == {"CONFIRMED"}, "expected patients are never called"


@pytest.mark.django_db(transaction=True)
def test_control_without_the_day_lock_a_patient_is_called_twice(pg_workers):
    """Proves the test above can fail: without the doctor's day ledger lock, presses that read
    the order at the same moment call the same patient, or leave two patients "with the doctor"."""
    clinic = set_the_scene()

    outcomes = pg_workers.race([("call_next", {"doctor": clinic["doctor"]})] * PRESSES, unlocked=True)

    invariants.assert_requests_overlapped(outcomes)
    facts = day_facts(doctor=clinic["doctor"])
    calls = Counter(e["token"] for e in facts["events"] if e["kind"] == "CALLED")
    with_doctor = [t for t in facts["tokens"] if t["status"] == "CALLED"]
    invariants.assert_every_request_answered(outcomes, PRESSES, allowed=("called", "refused"))  # the control broke nothing else
    assert max(calls.values()) > 1 or len(with_doctor) > 1, f"no race seen: {invariants.tally(outcomes)}"

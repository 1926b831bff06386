"""A slot cancelled while its doctor presses "call next", from 8 processes: the cancellation
takes the doctor's day ledger as "call next" does, so one waits for the other. A patient called
first is completed by the cancellation; a patient not yet called is cancelled and never called
afterwards. No one ends "cancelled" after being called, or "with the doctor" in a cancelled slot."""

import pytest

from tests.concurrency import invariants
from tests.concurrency.workers import book_in_turn, day_facts, open_clinic

PRESENT = 12
PRESSES = 7


def race_requests(clinic):
    (slot,) = clinic["slots"]
    presses = [("call_next", {"doctor": clinic["doctor"]})] * PRESSES
    return presses[:3] + [("cancel_slot", {"slot": slot})] + presses[3:]


def set_the_scene():
    clinic = open_clinic(capacities=[20], patients=PRESENT)
    (slot,) = clinic["slots"]
    book_in_turn(slot=slot, patients=clinic["patients"], category="WALKIN")  # walk-ins: present at once
    return clinic


def broken_tokens(facts) -> list[dict]:
    """Tokens the race left wrong: called and then cancelled, or still with the doctor."""
    return [t for t in facts["tokens"]
            if (t["status"] == "CANCELLED" and t["called"]) or t["status"] not in ("CANCELLED", "COMPLETED")]


@pytest.mark.django_db(transaction=True)
def test_a_slot_cancelled_during_call_next_presses_leaves_every_patient_cancelled_or_seen(pg_workers):
    clinic = set_the_scene()

    outcomes = pg_workers.race(race_requests(clinic))

    invariants.assert_requests_overlapped(outcomes)
    invariants.assert_every_request_answered(outcomes, PRESSES + 1, allowed=("called", "refused", "slot_cancelled"))
    facts = day_facts(doctor=clinic["doctor"])
    assert broken_tokens(facts) == []
    status = {t["id"]: t["status"] for t in facts["tokens"]}
    called = [o["token"] for o in outcomes if o["outcome"] == "called"]
    assert len(called) == len(set(called)), "nobody called twice"
    assert {status[t] for t in called} <= {"COMPLETED"}, "everyone called was seen (the cancellation completed the last)"
    (cancellation,) = [o for o in outcomes if o["op"] == "cancel_slot"]
    assert cancellation["outcome"] == "slot_cancelled"
    assert sorted(cancellation["tokens"]) == sorted(t for t, s in status.items() if s == "CANCELLED")
    assert len(called) + len(cancellation["tokens"]) == PRESENT, "every patient called or cancelled: nobody lost"


@pytest.mark.django_db(transaction=True)
def test_control_without_the_locks_a_called_patient_is_cancelled(pg_workers):
    """Proves the test above can fail: without the locks the cancellation writes over a call
    made after it read the slot's patients."""
    clinic = set_the_scene()

    outcomes = pg_workers.race(race_requests(clinic), unlocked=True)

    invariants.assert_requests_overlapped(outcomes)
    assert broken_tokens(day_facts(doctor=clinic["doctor"])), f"no race seen: {invariants.tally(outcomes)}"

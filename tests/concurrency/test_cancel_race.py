"""Cancellations (each sent twice at once), emergencies and new bookings race into a full slot
with a waiting list, from 8 processes."""

import random
from collections import Counter

import pytest

from queues import allocation
from tests.concurrency import invariants
from tests.concurrency.workers import day_facts, open_clinic

CAPACITY = 10
WAITING = 40
CANCELLED = 8
EMERGENCIES = 4
NEW_BOOKINGS = 24


def replay(events, tokens, *, capacity):
    """Walk the slot's event log in the order the slot lock let the changes happen (one slot:
    one transaction at a time, so a cancellation's promotions follow it directly), checking
    every step. Returns the places held and the patients waiting at the end, and how many
    patients each cancellation promoted."""
    category = {t["id"]: t["category"] for t in tokens}
    held = waiting = owed = 0
    promotions = []
    for event in events:
        kind = event["kind"]
        if kind != "PROMOTED":
            assert owed == 0, f"a cancellation left a free place while patients waited (before {event})"
        if kind == "WAITLISTED":
            waiting += 1
        elif kind == "CANCELLED":
            held -= 1
            # The freed place goes at once to a waiting patient, but only while the slot is
            # below capacity: after emergencies pushed it over, it first comes back down.
            owed = min(max(capacity - held, 0), waiting)
            promotions.append(0)
        elif kind == "PROMOTED":
            assert owed > 0, f"promoted with no free place: {event}"
            owed -= 1
            promotions[-1] += 1
            held += 1
            waiting -= 1
            assert held <= capacity, f"promoted over capacity: {event}"
        elif kind == "BOOKED":
            held += 1
            assert held <= capacity, f"booked over capacity: {event}"
        elif kind == "EMERGENCY":
            held += 1  # the one way over capacity
            assert category[event["token"]] == "EMERGENCY"
        else:
            raise AssertionError(f"unexpected event {event}")
    assert owed == 0
    return held, waiting, promotions


@pytest.mark.django_db(transaction=True)
def test_cancellations_emergencies_and_bookings_keep_the_invariants(pg_workers):
    clinic = open_clinic(capacities=[CAPACITY], patients=CAPACITY + WAITING + EMERGENCIES + NEW_BOOKINGS)
    (slot,) = clinic["slots"]
    people = iter(clinic["patients"])
    first = [allocation.book_token(slot_id=slot, patient_id=next(people), category="WALKIN") for _ in range(CAPACITY)]
    listed = [allocation.book_token(slot_id=slot, patient_id=next(people), category="ONLINE") for _ in range(WAITING)]
    assert all(b.confirmed for b in first) and not any(b.confirmed for b in listed)

    # Interleaved so that some cancellations land while emergencies hold the slot over capacity
    # and some while it is at capacity: a cancelled token's two requests go out side by side
    # (two processes at once), three bookings after each, an emergency after every second.
    to_cancel = [str(b.token.pk) for b in random.Random(7).sample(first, CANCELLED)]
    requests = []
    for n, token in enumerate(to_cancel):
        requests += [("cancel", {"token": token})] * 2
        requests += [("book", {"slot": slot, "patient": next(people), "category": "FOLLOWUP"}) for _ in range(3)]
        if n % 2:
            requests.append(("emergency", {"slot": slot, "patient": next(people)}))
    assert len(requests) == 2 * CANCELLED + NEW_BOOKINGS + EMERGENCIES

    outcomes = pg_workers.race(requests)

    invariants.assert_requests_overlapped(outcomes)
    invariants.assert_every_request_answered(
        outcomes, len(requests), allowed=("confirmed", "waitlisted", "cancelled", "refused")
    )
    # Each token was cancelled once; its twin request was refused with a reason.
    cancels = [o for o in outcomes if o["op"] == "cancel"]
    assert Counter(o["token"] for o in cancels if o["outcome"] == "cancelled") == Counter(to_cancel)
    assert {o["error"] for o in cancels if o["outcome"] == "refused"} == {"InvalidTransition"}
    assert sum(o["outcome"] == "refused" for o in cancels) == CANCELLED
    assert {o["outcome"] for o in outcomes if o["op"] == "emergency"} == {"confirmed"}
    # The slot stayed full (the waiting list never ran dry): new bookings went on the list.
    assert {o["outcome"] for o in outcomes if o["op"] == "book"} == {"waitlisted"}

    facts = day_facts(doctor=clinic["doctor"])
    tokens, entries = facts["tokens"], facts["entries"]
    held, waiting, promotions = replay(facts["events"], tokens, capacity=CAPACITY)
    assert len(promotions) == CANCELLED and set(promotions) <= {0, 1}
    assert held == sum(t["status"] in invariants.HOLDING_A_PLACE for t in tokens)
    assert held <= CAPACITY + EMERGENCIES
    assert waiting == sum(e["status"] == "WAITING" for e in entries)
    assert sorted(t["id"] for t in tokens if t["status"] == "CANCELLED") == sorted(to_cancel)
    assert sorted(e["token"] for e in facts["events"] if e["kind"] == "CANCELLED") == sorted(to_cancel)

    # Every promoted entry became exactly one fresh token of its own patient; nothing else did.
    promoted = [e for e in entries if e["status"] == "PROMOTED"]
    by_id = {t["id"]: t for t in tokens}
    assert len(promoted) == sum(e["kind"] == "PROMOTED" for e in facts["events"]) > 0
    assert len({e["token"] for e in promoted}) == len(promoted)
    for entry in promoted:
        token = by_id[entry["token"]]
        assert (token["patient"], token["slot"], token["category"]) == (entry["patient"], entry["slot"], entry["category"])
    assert all(e["token"] is None for e in entries if e["status"] == "WAITING")
    cancelled_numbers = {t["number"] for t in tokens if t["status"] == "CANCELLED"}
    assert not cancelled_numbers & {by_id[e["token"]]["number"] for e in promoted}

    invariants.assert_numbers_unique_and_never_reused(facts)
    invariants.assert_one_active_booking_per_patient(facts)
    invariants.assert_one_event_per_outcome(facts)

"""What must hold after a race, checked against the workers' outcomes and the doctor's day as
read back from the database (workers.day_facts). Shared by the PostgreSQL and SQLite tests."""

from collections import Counter, defaultdict

ISSUING = ("BOOKED", "EMERGENCY", "PROMOTED")  # events that hand out a token number
HOLDING_A_PLACE = ("CONFIRMED", "ARRIVED", "CALLED", "COMPLETED")
ACTIVE = ("CONFIRMED", "ARRIVED", "CALLED")
# Categories booked in person are checked in at booking (the seeded queues.Category rows,
# migration 0005); the others wait for check-in on arrival.
CHECKED_IN_AT_BOOKING = ("WALKIN", "EMERGENCY")
LABEL_PREFIX = "R"  # workers.open_clinic's doctor


def status_at_issue(category: str) -> str:
    """The status a token has when it is issued (booked, inserted or promoted)."""
    return "ARRIVED" if category in CHECKED_IN_AT_BOOKING else "CONFIRMED"


def tally(outcomes) -> Counter:
    return Counter(o["outcome"] for o in outcomes)


def assert_requests_overlapped(outcomes) -> None:
    """The race was real: most requests were in flight while another worker's request was.
    (Not "every worker started before any finished": on a busy 2-core machine a worker can be
    scheduled late, and that proves nothing either way.)"""
    assert len({o["worker"] for o in outcomes}) > 1
    overlapped = sum(
        1
        for o in outcomes
        if any(p["worker"] != o["worker"] and p["started"] < o["ended"] and o["started"] < p["ended"] for p in outcomes)
    )
    assert overlapped >= len(outcomes) // 2, f"only {overlapped} of {len(outcomes)} requests overlapped another worker's"


def assert_every_request_answered(outcomes, sent: int, *, allowed=("confirmed", "waitlisted", "refused")) -> None:
    """One answer per request, each a booking or a refusal a receptionist can read; no request
    died on a constraint, a deadlock or "database is locked"."""
    assert len(outcomes) == sent
    failures = [f"{o['error']}: {o['message']}" for o in outcomes if o["outcome"] == "failed"]
    assert failures == [], failures
    assert {o["outcome"] for o in outcomes} <= set(allowed)
    assert all(o["message"] for o in outcomes if o["outcome"] == "refused")


def assert_numbers_unique_and_never_reused(facts) -> None:
    """Token numbers: distinct over the doctor's day (cancelled tokens included), exactly
    1..last with nothing skipped, and handed out in increasing order: none is ever reused."""
    numbers = [t["number"] for t in facts["tokens"]]
    assert len(numbers) == len(set(numbers)), "a token number was handed out twice"
    (last,) = facts["ledgers"].values() or [0]
    assert sorted(numbers) == list(range(1, last + 1))
    number_of = {t["id"]: t["number"] for t in facts["tokens"]}
    issued = [number_of[e["token"]] for e in facts["events"] if e["kind"] in ISSUING]
    assert issued == sorted(issued) and len(issued) == len(numbers)
    # What patients are called by: the doctor's prefix and the number, so distinct as well.
    assert [t["label"] for t in facts["tokens"]] == [f"{LABEL_PREFIX}-{t['number']}" for t in facts["tokens"]]


def assert_waiting_numbers_unique_and_never_reused(facts) -> None:
    """Waiting-list numbers (the W-numbers on the slips): distinct over the doctor's day,
    exactly 1..last, never given back (a promoted or cancelled entry keeps its number)."""
    numbers = [e["waiting_number"] for e in facts["entries"]]
    (last,) = facts["waiting_ledgers"].values() or [0]
    assert sorted(numbers) == list(range(1, last + 1)), "a waiting number was handed out twice or lost"


def assert_issued_tokens_checked_in_by_category(facts) -> None:
    """Nobody has been called in these races: every token still in the queue has the status
    its category gives at issue (walk-ins and emergencies present at once, with their arrival
    time; online and follow-up bookings expected), promoted ones included."""
    active = [t for t in facts["tokens"] if t["status"] in ACTIVE]
    assert [t for t in active if t["status"] != status_at_issue(t["category"])] == []
    assert all(t["arrived"] == (t["status"] == "ARRIVED") for t in active)
    assert not any(t["called"] for t in facts["tokens"])


def assert_one_active_booking_per_patient(facts) -> None:
    bookings = Counter(t["patient"] for t in facts["tokens"] if t["status"] in ACTIVE)
    bookings.update(e["patient"] for e in facts["entries"] if e["status"] == "WAITING")
    assert [p for p, n in bookings.items() if n > 1] == []


def assert_one_event_per_outcome(facts) -> None:
    """Each token was issued by exactly one event, each waiting entry was created by exactly one."""
    issued = Counter(e["token"] for e in facts["events"] if e["kind"] in ISSUING)
    assert issued == Counter(t["id"] for t in facts["tokens"])
    listed = Counter(e["entry"] for e in facts["events"] if e["kind"] == "WAITLISTED")
    assert listed == Counter(e["id"] for e in facts["entries"])


def assert_capacity_race(outcomes, facts, *, capacity: int, patients: list[str]) -> None:
    """N patients booked one slot at once: `capacity` confirmed with numbers 1..capacity, the
    rest on the waiting list, nothing lost, one event per outcome."""
    sent = len(patients)
    assert_every_request_answered(outcomes, sent)
    assert tally(outcomes) == {"confirmed": capacity, "waitlisted": sent - capacity}
    confirmed = {o["patient"]: o["number"] for o in outcomes if o["outcome"] == "confirmed"}
    assert sorted(confirmed.values()) == list(range(1, capacity + 1))

    tokens, entries = facts["tokens"], facts["entries"]
    assert {t["patient"]: t["number"] for t in tokens} == confirmed
    category_of = {o["patient"]: o["category"] for o in outcomes}
    assert {t["patient"]: t["status"] for t in tokens} == {p: status_at_issue(category_of[p]) for p in confirmed}
    # Which patients win the race is up to the scheduler; that it sends both kinds is not.
    assert {status_at_issue(c) for c in category_of.values()} == {"ARRIVED", "CONFIRMED"}, \
        "the race books walk-ins and online patients"
    assert_issued_tokens_checked_in_by_category(facts)
    assert {e["patient"] for e in entries} == {o["patient"] for o in outcomes if o["outcome"] == "waitlisted"}
    assert {e["status"] for e in entries} == {"WAITING"}
    # Nothing lost, nobody twice: every patient ends with exactly one booking.
    assert len(tokens) + len(entries) == sent
    assert sorted([t["patient"] for t in tokens] + [e["patient"] for e in entries]) == sorted(patients)
    assert Counter(e["kind"] for e in facts["events"]) == {"BOOKED": capacity, "WAITLISTED": sent - capacity}
    assert_one_event_per_outcome(facts)
    assert_numbers_unique_and_never_reused(facts)
    assert_waiting_numbers_unique_and_never_reused(facts)


def assert_double_bookings_refused(outcomes, facts, *, patients: list[str]) -> None:
    """Each patient asked twice at the same moment: one booking, one AlreadyBooked refusal."""
    assert_every_request_answered(outcomes, 2 * len(patients))
    answers = defaultdict(list)
    for o in outcomes:
        answers[o["patient"]].append(o["outcome"] if o["outcome"] != "refused" else o["error"])
    for patient in patients:
        assert sorted(answers[patient]) in (["AlreadyBooked", "confirmed"], ["AlreadyBooked", "waitlisted"]), answers[patient]
    booked = Counter(t["patient"] for t in facts["tokens"] if t["status"] in ACTIVE)
    booked.update(e["patient"] for e in facts["entries"] if e["status"] == "WAITING")
    assert booked == Counter(patients), "every patient has exactly one active booking"
    assert_one_event_per_outcome(facts)
    assert_numbers_unique_and_never_reused(facts)
    assert_waiting_numbers_unique_and_never_reused(facts)
    assert_issued_tokens_checked_in_by_category(facts)


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


def assert_cancel_race(outcomes, facts, *, sent: int, to_cancel: list[str], capacity: int, emergencies: int) -> None:
    """Cancellations (each sent twice), emergencies and bookings raced into a full slot with a
    waiting list (scenarios.cancels_among_emergencies)."""
    assert_requests_overlapped(outcomes)
    assert_every_request_answered(
        outcomes, sent, allowed=("confirmed", "waitlisted", "cancelled", "refused")
    )
    # Each token was cancelled once; its twin request was refused with a reason.
    cancels = [o for o in outcomes if o["op"] == "cancel"]
    assert Counter(o["token"] for o in cancels if o["outcome"] == "cancelled") == Counter(to_cancel)
    assert {o["error"] for o in cancels if o["outcome"] == "refused"} == {"InvalidTransition"}
    assert sum(o["outcome"] == "refused" for o in cancels) == len(to_cancel)
    assert {o["outcome"] for o in outcomes if o["op"] == "emergency"} == {"confirmed"}
    # The slot stayed full (the waiting list never ran dry): new bookings went on the list.
    assert {o["outcome"] for o in outcomes if o["op"] == "book"} == {"waitlisted"}

    tokens, entries = facts["tokens"], facts["entries"]
    held, waiting, promotions = replay(facts["events"], tokens, capacity=capacity)
    assert len(promotions) == len(to_cancel) and set(promotions) <= {0, 1}
    assert held == sum(t["status"] in HOLDING_A_PLACE for t in tokens)
    assert held <= capacity + emergencies
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

    assert_numbers_unique_and_never_reused(facts)
    assert_waiting_numbers_unique_and_never_reused(facts)
    assert_issued_tokens_checked_in_by_category(facts)
    assert_one_active_booking_per_patient(facts)
    assert_one_event_per_outcome(facts)

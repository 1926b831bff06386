"""The races' requests, built from a clinic (workers.open_clinic); shared by the PostgreSQL and
SQLite tests. A request is (op, kwargs) for workers.serve."""

from tests.concurrency.workers import BOOKING_CATEGORIES


def category(n: int) -> str:
    return BOOKING_CATEGORIES[n % len(BOOKING_CATEGORIES)]


def one_slot_rush(clinic) -> list:
    """Every patient books the clinic's first slot once."""
    slot = clinic["slots"][0]
    return [("book", {"slot": slot, "patient": p, "category": category(n)}) for n, p in enumerate(clinic["patients"])]


def same_slot_twice(clinic) -> list:
    """Every patient books the first slot twice, both requests sent at the same moment."""
    slot = clinic["slots"][0]
    return [
        ("book", {"slot": slot, "patient": p, "category": category(n)})
        for n, p in enumerate(clinic["patients"])
        for _ in range(2)
    ]


def two_slots_at_once(clinic) -> list:
    """Every patient books the same doctor's first and second slot (same day) at the same moment."""
    first, second = clinic["slots"][:2]
    requests = []
    for n, p in enumerate(clinic["patients"]):
        pair = [("book", {"slot": s, "patient": p, "category": category(n)}) for s in (first, second)]
        requests += pair if n % 2 else pair[::-1]
    return requests


def cancels_among_emergencies(slot: str, confirmed: list[str], patients: list[str], *, emergencies: int) -> list:
    """Cancel each of `confirmed` (two requests side by side: the same token cancelled twice at
    once), three new bookings after each, and an emergency after every second cancellation
    while they last, so that some cancellations land while emergencies hold the slot over
    capacity and some while it is at capacity. `patients` must not have booked yet."""
    people = iter(patients)
    requests = []
    for n, token in enumerate(confirmed):
        requests += [("cancel", {"token": token})] * 2
        requests += [("book", {"slot": slot, "patient": next(people), "category": "FOLLOWUP"}) for _ in range(3)]
        if n % 2 and emergencies:
            requests.append(("emergency", {"slot": slot, "patient": next(people)}))
            emergencies -= 1
    return requests


def overlapping_slots(doctors: list[str], *, at: float, each: int) -> list:
    """`each` requests side by side for every doctor (sent at the same moment by `each`
    processes), asking for slots that all overlap: request n is an hour from `at` + 5 n minutes."""
    return [
        ("add_slot", {"doctor": d, "start": at + 300 * n, "minutes": 60})
        for d in doctors
        for n in range(each)
    ]

"""Worker processes for the race tests.

Spawned children import this module, point Django at the test database (DATABASE_URL) and, for
each race, fire their share of requests at the allocation service once every worker is ready (a
Barrier), so the requests really overlap. The parent gets one outcome per request back.

Nothing Django is imported at module level: a child must set its environment first.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import time
import traceback
from datetime import timedelta
from urllib.parse import quote

WORKERS = 8
BARRIER_TIMEOUT = 60
RESULT_TIMEOUT = 120
LOCK_TIMEOUT_MS = 60_000
SETTINGS_MODULE = "tests.settings"
# Requests the booking races cycle through (EMERGENCY goes over capacity: it has its own op).
BOOKING_CATEGORIES = ("WALKIN", "ONLINE", "FOLLOWUP", "PRIORITY_PAID")


# --- in the parent ------------------------------------------------------------------------------


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database Django is connected to (the test database)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password, safe='')}" if password else user
    host = quote(settings_dict.get("HOST") or "", safe="")  # pgserver's host is a socket directory
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(settings_dict['NAME'], safe='')}"


def deal(requests: list, workers: int = WORKERS) -> list[list]:
    """Request k goes to worker k % workers at place k // workers: neighbours in `requests`
    are sent at the same moment by different processes."""
    return [requests[w::workers] for w in range(workers)]


class Workers:
    """`count` spawned processes on the database at `url`, kept for race after race (starting
    Django in eight processes costs more than most races)."""

    def __init__(self, url: str, count: int = WORKERS):
        ctx = multiprocessing.get_context("spawn")
        self.count = count
        self.results = ctx.Queue()
        self.inboxes = [ctx.Queue() for _ in range(count)]
        # Held here for the pool's life (a collected semaphore is gone before a child unpickles
        # it) and reused: every worker waits on it once per race.
        self.barrier = ctx.Barrier(count)
        self.processes = [
            ctx.Process(target=serve, args=(url, w, inbox, self.barrier, self.results), daemon=True)
            for w, inbox in enumerate(self.inboxes)
        ]
        self.broken = None
        for process in self.processes:
            process.start()

    def race(self, requests: list, *, unlocked: bool = False) -> list[dict]:
        """Send `requests` ((op, kwargs) pairs) from every worker at once; one outcome per request.
        `unlocked`: the control, with the allocation service's locks switched off
        (queues.locks.disabled) and slots added with scheduling.slots' `skip_locking`."""
        for inbox, share in zip(self.inboxes, deal(requests, self.count)):
            inbox.put(("race", share, unlocked))
        outcomes = []
        for report in self._reports(self.count):
            outcomes.extend(report["outcomes"])
        return outcomes

    def call(self, function: str, **kwargs):
        """Call a function of this module in the first worker (SQLite tests: the test process
        itself is connected to PostgreSQL)."""
        self.inboxes[0].put(("call", function, kwargs))
        (report,) = self._reports(1)
        return report["value"]

    def _reports(self, n: int) -> list[dict]:
        if self.broken:
            raise AssertionError(f"the workers broke in an earlier race:\n{self.broken}")
        reports = []
        deadline = time.monotonic() + RESULT_TIMEOUT
        while len(reports) < n:
            try:
                reports.append(self.results.get(timeout=1))
            except queue.Empty:
                dead = [p.exitcode for p in self.processes if not p.is_alive()]
                if dead or time.monotonic() > deadline:
                    self.broken = f"no report; exit codes of dead workers: {dead}"
                    raise AssertionError(self.broken) from None
        for report in reports:
            if "crash" in report:
                self.broken = report["crash"]
                raise AssertionError(f"worker {report['worker']} crashed:\n{report['crash']}")
        return reports

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()


# --- in a child -----------------------------------------------------------------------------


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url  # tests.settings starts no server when it is set
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    # Eight processes queue on one slot lock on a machine shared with other work: a wait past
    # the default 5 s would be a SlotBusy refusal, which is not what these tests measure.
    os.environ["LOCK_TIMEOUT_MS"] = str(LOCK_TIMEOUT_MS)
    import django

    django.setup()

    # After-commit pushes render HTML for screens nobody watches here, at several times the
    # cost of the booking itself; they run after commit, outside the locks, and decide nothing.
    from queues import broadcast

    broadcast.queue_changed = _no_push


def _no_push(**kwargs) -> None:
    pass


def serve(url, worker, inbox, barrier, results):
    try:
        _setup(url)
        from django.db import connection

        while (message := inbox.get()) is not None:
            try:
                results.put({"worker": worker, **_handle(message, worker, barrier, connection)})
            finally:
                connection.close()  # between races no connection stays open (the test database is dropped at the end)
    except BaseException:
        barrier.abort()
        results.put({"worker": worker, "crash": traceback.format_exc()})


def _handle(message, worker, barrier, connection) -> dict:
    if message[0] == "call":
        _, function, kwargs = message
        return {"value": globals()[function](**kwargs)}
    _, requests, unlocked = message
    from queues import locks

    connection.ensure_connection()  # connecting is not part of the race
    with locks.disabled(widen=CHECK_TO_INSERT_PAUSE) if unlocked else contextlib.nullcontext():
        barrier.wait(timeout=BARRIER_TIMEOUT)
        return {"outcomes": [{"worker": worker, **_perform(op, kwargs, unlocked)} for op, kwargs in requests]}


def _perform(op: str, kwargs: dict, unlocked: bool = False) -> dict:
    from queues import allocation
    from queues.errors import AllocationError
    from scheduling.errors import SchedulingError

    outcome = {"op": op, **kwargs, "started": time.time()}
    try:
        if op == "book":
            result = allocation.book_token(
                slot_id=kwargs["slot"], patient_id=kwargs["patient"], category=kwargs["category"]
            )
            if result.confirmed:
                outcome.update(outcome="confirmed", token=str(result.token.pk), number=result.token.token_number)
            else:
                outcome.update(outcome="waitlisted", entry=str(result.waiting_entry.pk))
        elif op == "emergency":
            token = allocation.insert_emergency(slot_id=kwargs["slot"], patient_id=kwargs["patient"])
            outcome.update(outcome="confirmed", token=str(token.pk), number=token.token_number)
        elif op == "cancel":
            token = allocation.cancel_token(token_id=kwargs["token"], reason="race test")
            outcome.update(outcome="cancelled", number=token.token_number)
        elif op == "cancel_slot":
            cancelled = allocation.cancel_slot(slot_id=kwargs["slot"], reason="race test")
            outcome.update(outcome="slot_cancelled", tokens=[str(t.pk) for t in cancelled.cancelled_tokens])
        elif op == "call_next":
            token = allocation.call_next_for_doctor(doctor_id=kwargs["doctor"])
            outcome.update(outcome="called", token=str(token.pk), number=token.token_number)
        elif op == "add_slot":
            slot = _add_slot(**kwargs, skip_locking=unlocked)
            outcome.update(outcome="created", slot=str(slot.pk))
        else:
            raise ValueError(f"unknown op {op!r}")
    except (AllocationError, SchedulingError) as exc:
        outcome.update(outcome="refused", error=type(exc).__name__, message=exc.message)
    except Exception as exc:  # a violated constraint, a lock error: what the tests look for
        outcome.update(outcome="failed", error=type(exc).__name__, message=str(exc))
    outcome["ended"] = time.time()
    return outcome


# In the control, a pause between the check and the write it decides (queues.locks.after_check):
# long beside the spread of the workers' requests on a busy 2-core machine, so the race shows
# every time.
CHECK_TO_INSERT_PAUSE = 0.05


def _add_slot(*, doctor: str, start: float, minutes: int, skip_locking: bool):
    """scheduling.slots.create_slot, with a pause after it and before the commit: long beside
    the spread of the workers' requests, so a request that checked for overlaps before another's
    commit inserts its own slot as well, unless the doctor's lock made it wait. (With the lock,
    the pause only makes the others wait longer.)"""
    from datetime import datetime, timezone

    from django.db import transaction

    from scheduling import slots
    from scheduling.models import Doctor

    begins = datetime.fromtimestamp(start, tz=timezone.utc)
    with transaction.atomic():
        slot = slots.create_slot(doctor=Doctor.objects.get(pk=doctor), start_time=begins,
                                 end_time=begins + timedelta(minutes=minutes), max_capacity=10,
                                 skip_locking=skip_locking)
        time.sleep(CHECK_TO_INSERT_PAUSE)
    return slot


# --- data, in whichever process is connected to the database --------------------------------


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fresh_clinic(*, capacities: list[int], patients: int) -> dict:
    """Migrate an empty database (SQLite tests), then open the clinic in it."""
    migrate()
    return open_clinic(capacities=capacities, patients=patients)


def open_clinic(*, capacities: list[int], patients: int) -> dict:
    """One doctor (token prefix R: labels R-1, R-2, ...) with a slot per capacity, all started
    ten minutes ago and running an hour (so they share one local day even near midnight), and
    `patients` patients. Returns ids as str."""
    from django.utils import timezone

    from scheduling.models import Doctor, Patient, Slot

    doctor = Doctor.objects.create(name="Dr. Race", specialization="Physician", room="7", token_prefix="R")
    start = timezone.now() - timedelta(minutes=10)
    slots = [
        Slot.objects.create(doctor=doctor, start_time=start, end_time=start + timedelta(hours=1), max_capacity=c)
        for c in capacities
    ]
    people = Patient.objects.bulk_create(
        Patient(name=f"Racer {n}", phone=f"97{n:08d}") for n in range(1, patients + 1)
    )
    return {"doctor": str(doctor.pk), "slots": [str(s.pk) for s in slots], "patients": [str(p.pk) for p in people]}


def open_doctors(*, count: int) -> list[str]:
    """`count` doctors without slots; their ids as str."""
    from scheduling.models import Doctor

    return [str(d.pk) for d in Doctor.objects.bulk_create(Doctor(name=f"Dr. Race {n}") for n in range(1, count + 1))]


def slots_of(*, doctors: list[str]) -> dict[str, list[tuple[float, float]]]:
    """Each doctor's slots that are not cancelled, as (start, end) timestamps."""
    from scheduling.models import Slot

    found = {d: [] for d in doctors}
    for slot in Slot.objects.filter(doctor_id__in=doctors).exclude(status=Slot.Status.CANCELLED):
        found[str(slot.doctor_id)].append((slot.start_time.timestamp(), slot.end_time.timestamp()))
    return found


def book_in_turn(*, slot: str, patients: list[str], category: str) -> list[str | None]:
    """Book the patients one after another (setting the scene before a race): the token id of
    each confirmed booking, None for each one put on the waiting list."""
    from queues import allocation

    results = [allocation.book_token(slot_id=slot, patient_id=p, category=category) for p in patients]
    return [str(r.token.pk) if r.confirmed else None for r in results]


def call_order(*, doctor: str) -> list[str]:
    """The doctor's active tokens in the day's serving order, as "call next" would take them."""
    from queues import selectors
    from queues.models import Token

    (day,) = set(Token.objects.filter(doctor_id=doctor).values_list("day", flat=True))
    return [str(t.pk) for t in selectors.day_queue(doctor_id=doctor, day=day, with_patients=False).order]


def day_facts(*, doctor: str) -> dict:
    """Everything the doctor's day holds, as plain data, in the order things happened."""
    from queues.models import DoctorDay, QueueEvent, Token, WaitingListEntry

    tokens = [
        {"id": str(t.pk), "slot": str(t.slot_id), "patient": str(t.patient_id), "number": t.token_number,
         "label": t.token_label, "status": t.status, "category": t.category, "day": str(t.day),
         "arrived": t.arrived_at is not None, "called": t.called_at is not None}
        for t in Token.objects.filter(doctor_id=doctor).order_by("token_number")
    ]
    entries = [
        {"id": str(e.pk), "slot": str(e.slot_id), "patient": str(e.patient_id), "status": e.status,
         "category": e.category, "token": str(e.token_id) if e.token_id else None, "waiting_number": e.waiting_number}
        for e in WaitingListEntry.objects.filter(doctor_id=doctor)
    ]
    events = [
        {"id": e.id, "kind": e.kind, "slot": str(e.slot_id), "token": str(e.token_id) if e.token_id else None,
         "entry": str(e.waiting_entry_id) if e.waiting_entry_id else None}
        for e in QueueEvent.objects.filter(slot__doctor_id=doctor).order_by("id")
    ]
    ledgers = list(DoctorDay.objects.filter(doctor_id=doctor).values_list("day", "last_token_number", "last_waiting_number"))
    return {"tokens": tokens, "entries": entries, "events": events,
            "ledgers": {str(day): last for day, last, _ in ledgers},
            "waiting_ledgers": {str(day): last for day, _, last in ledgers}}

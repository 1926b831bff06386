"""Bookings per second: the allocation service beside the same transaction in raw SQL, then
HTTP bookings through the production ASGI server.

    python -m bench.bookings [--seconds 2] [--http-seconds 5] [--no-http] [--profile]

1. Service vs raw SQL, 1/8/32 worker processes (each its own connection), (a) all into one slot,
   (b) spread over 50 slots of 50 different doctors. Every booking is a new patient (WALKIN) and
   confirms: slots have the model's maximum capacity (500); in (a) the workers move together to a
   fresh slot each time one fills. The raw-SQL transaction, with psycopg on the same tables:
   BEGIN; SELECT ... FOR UPDATE the slot; count its held tokens; UPDATE the doctor's day counter
   RETURNING the number; INSERT the token; COMMIT. The service is measured twice: as it is, and
   with its on_commit broadcast switched off in the bench's processes (the locking core alone).
2. The waitlisted path briefly (8 workers into slots of capacity 1).
3. Where the time goes: the statements of one booking (CaptureQueriesContext) and, over a few
   hundred single-worker bookings, how long the slot lock is held and how much of that is the
   database and how much is Python between statements.
4. HTTP: POST /api/v1/tokens/ against uvicorn (2 workers with DB_CONN_MAX_AGE 0, 60 and the psycopg
   pool; 1 worker) and daphne, driven by a bounded aiohttp client on 127.0.0.1; a run stops early
   if the server holds more than MAX_SERVER_CONNECTIONS connections.

Results replace the `bookings` section of docs/benchmarks.md. Runs against a database
`opdq_bench` that it creates and drops (see bench/_common.py).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

from bench import _common as common

CATEGORY = "WALKIN"
CAPACITY = 500  # the model's maximum (slot_capacity_in_range)
SPREAD = 50
# raw SQL; the service as it is; the service with its on_commit broadcast switched off
KINDS = ("raw", "service", "core")
# A server run stops early if it holds more connections than this to the bench database (the
# PostgreSQL server is shared: max_connections is 100 for everyone on this machine).
MAX_SERVER_CONNECTIONS = 30
LOCK_TIMEOUT_MS = 5000  # the app's default LOCK_TIMEOUT_MS, for the raw connections too
BARRIER_TIMEOUT = 120

# --- the raw-SQL transaction ----------------------------------------------------------------------

RAW_LOCK = "SELECT max_capacity FROM scheduling_slot WHERE id = %s FOR UPDATE"
RAW_COUNT = "SELECT count(*) FROM queues_token WHERE slot_id = %s AND status = ANY(%s)"
RAW_COUNTER = (
    "UPDATE queues_doctorday SET last_token_number = last_token_number + 1 "
    "WHERE doctor_id = %s AND day = %s RETURNING last_token_number"
)
RAW_INSERT = (
    "INSERT INTO queues_token (id, slot_id, patient_id, doctor_id, day, token_number, token_label, category, priority,"
    " booked_at, status, skip_count, cancel_reason, created_at, updated_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s::text, %s, %s, %s, 'CONFIRMED', 0, '', %s, %s)"
)


@dataclass(frozen=True)
class SlotRef:
    id: uuid.UUID
    doctor_id: uuid.UUID
    day: date


def raw_booker(database_url: str, priority: int, holding: list[str], trace: list | None = None):
    """book(slot, patient) -> True when confirmed, in one psycopg transaction (psycopg defaults)."""
    import psycopg

    conn = psycopg.connect(**common.conninfo(database_url), options=f"-c lock_timeout={LOCK_TIMEOUT_MS}")
    cur = conn.cursor()

    def run(sql, params):
        t0 = time.perf_counter()
        cur.execute(sql, params)
        row = cur.fetchone()
        if trace is not None:
            trace.append((sql, t0, time.perf_counter()))
        return row[0]

    def book(slot: SlotRef, patient: uuid.UUID) -> bool:
        try:
            capacity = run(RAW_LOCK, (slot.id,))
            if run(RAW_COUNT, (slot.id, holding)) >= capacity:
                conn.rollback()
                return False
            number = run(RAW_COUNTER, (slot.doctor_id, slot.day))
            now = datetime.now(dt_timezone.utc)
            t0 = time.perf_counter()
            cur.execute(RAW_INSERT, (uuid.uuid4(), slot.id, patient, slot.doctor_id, slot.day, number, number,
                                     CATEGORY, priority, now, now, now))
            if trace is not None:
                trace.append((RAW_INSERT, t0, time.perf_counter()))
            t0 = time.perf_counter()
            conn.commit()
            if trace is not None:
                trace.append(("COMMIT", t0, time.perf_counter()))
            return True
        except BaseException:
            conn.rollback()
            raise

    return book


def _silence_broadcast():
    """Replace this process's on_commit push with a no-op; returns the real one."""
    from queues import broadcast as pushes

    plain = pushes.queue_changed
    pushes.queue_changed = lambda **kwargs: None
    return plain


@contextmanager
def broadcast_off(off: bool = True):
    """Without the on_commit pushes for a while (to separate the locking core from the rendering
    and pushing); the code under test is unchanged."""
    from queues import broadcast as pushes

    plain = _silence_broadcast() if off else pushes.queue_changed
    try:
        yield
    finally:
        pushes.queue_changed = plain


def service_booker(broadcast: bool = True):
    """book(slot, patient) through the allocation service (with broadcast=False, for the life of
    this worker process, without its on_commit pushes)."""
    from queues.allocation import book_token

    if not broadcast:
        _silence_broadcast()

    def book(slot: SlotRef, patient: uuid.UUID) -> bool:
        return book_token(slot_id=slot.id, patient_id=patient, category=CATEGORY).confirmed

    return book


# --- fixtures -----------------------------------------------------------------------------------


def make_patients(n: int) -> list[uuid.UUID]:
    from scheduling.models import Patient

    made = Patient.objects.bulk_create(
        Patient(name=f"Bench patient {i}", phone=f"90{i:08d}") for i in range(n)
    )
    return [p.pk for p in made]


def make_slots(n: int, capacity: int = CAPACITY) -> list[SlotRef]:
    """n open slots, each of its own doctor, each with its day's ledger row already there (as
    after the day's first booking), so the service and raw SQL meet the same rows."""
    from django.utils import timezone

    from queues.models import DoctorDay
    from scheduling.models import Doctor, Slot

    now = timezone.now()
    doctors = Doctor.objects.bulk_create(Doctor(name=f"Bench doctor {uuid.uuid4().hex[:8]}") for _ in range(n))
    slots = Slot.objects.bulk_create(
        Slot(doctor=d, start_time=now - timedelta(minutes=10), end_time=now + timedelta(hours=4),
             max_capacity=capacity)
        for d in doctors
    )
    DoctorDay.objects.bulk_create(DoctorDay(doctor_id=s.doctor_id, day=s.local_day) for s in slots)
    return [SlotRef(s.pk, s.doctor_id, s.local_day) for s in slots]


# --- the worker processes -------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    kind: str
    workers: int
    seconds: float = 0.0
    confirmed: int = 0
    waitlisted: int = 0
    errors: int = 0
    latencies: list = field(default_factory=list)
    error_sample: str = ""
    load: str = ""

    @property
    def bookings(self) -> int:
        return self.confirmed + self.waitlisted

    def merge(self, other: "Outcome") -> "Outcome":
        """Two runs of the same kind as one (times, counts and latencies added up)."""
        return Outcome(
            self.name, self.kind, self.workers, self.seconds + other.seconds, self.confirmed + other.confirmed,
            self.waitlisted + other.waitlisted, self.errors + other.errors, self.latencies + other.latencies,
            self.error_sample or other.error_sample, f"{self.load}/{other.load}",
        )

    @property
    def rate(self) -> float:
        return self.bookings / self.seconds if self.seconds else 0.0


class Shared:
    """Values the parent and its workers share: a ticket counter hands out bookings."""

    def __init__(self, ctx, workers: int):
        self.ticket = ctx.Value("q", 0)
        self.limit = ctx.Value("q", 0, lock=False)
        self.deadline = ctx.Value("d", 0.0, lock=False)
        self.stop = ctx.Value("b", 0, lock=False)
        self.barrier = ctx.Barrier(workers + 1)
        self.results = ctx.Queue()


def _worker(kind, index, warm_slot, rounds, patients, shared: Shared, database_url, priority, holding):
    try:
        _work(kind, warm_slot, rounds, patients, shared, database_url, priority, holding)
    except BaseException:
        # Tell the parent at once (instead of leaving it at the barrier until the timeout).
        shared.results.put(("failed", traceback.format_exc()[-1500:]))
        shared.barrier.abort()
        sys.exit(1)  # the parent prints the first worker's traceback once


def _work(kind, warm_slot, rounds, patients, shared: Shared, database_url, priority, holding):
    from django.db import connections

    connections.close_all()  # never share the parent's socket
    if kind == "raw":
        book = raw_booker(database_url, priority, holding)
    else:
        book = service_booker(broadcast=kind == "service")
    for patient in patients[:2]:  # warm up: connect, import, compile, on a private slot
        book(warm_slot, patient)
    latencies, confirmed, waitlisted, errors, sample = [], 0, 0, 0, ""
    for slots in rounds:
        shared.barrier.wait(BARRIER_TIMEOUT)
        if shared.stop.value:
            break
        n = len(slots)
        while True:
            with shared.ticket.get_lock():
                i = shared.ticket.value
                shared.ticket.value = i + 1
            if i >= shared.limit.value or time.monotonic() >= shared.deadline.value:
                break
            t0 = time.perf_counter()
            try:
                ok = book(slots[i % n], patients[i // n])
            except Exception as exc:  # counted and shown, never hidden
                errors += 1
                sample = sample or f"{type(exc).__name__}: {exc}"[:200]
                continue
            latencies.append(time.perf_counter() - t0)
            confirmed += ok
            waitlisted += not ok
        shared.barrier.wait(BARRIER_TIMEOUT)
    shared.results.put((latencies, confirmed, waitlisted, errors, sample))


def run_workers(name, kind, workers, rounds, limit, budget, patients, database_url, priority, holding) -> Outcome:
    """Run `rounds` (lists of slots) with `workers` processes until the rounds or `budget`
    seconds of measured time run out; each round hands out at most `limit` bookings."""
    from django.db import connections

    ctx = multiprocessing.get_context("fork")
    shared = Shared(ctx, workers)
    warm = make_slots(workers)
    connections.close_all()
    for connection in connections.all():  # a pooled connection stays open: never fork with one
        if hasattr(connection, "close_pool"):
            connection.close_pool()
    procs = [
        ctx.Process(target=_worker, daemon=True,
                    args=(kind, w, warm[w], rounds, patients, shared, database_url, priority, holding))
        for w in range(workers)
    ]
    for p in procs:
        p.start()
    outcome = Outcome(name, kind, workers)
    try:
        for _ in rounds:
            if outcome.seconds >= budget:
                shared.stop.value = 1
                shared.barrier.wait(BARRIER_TIMEOUT)
                break
            shared.ticket.value = 0
            shared.limit.value = limit
            shared.deadline.value = time.monotonic() + BARRIER_TIMEOUT  # set for real below
            shared.barrier.wait(BARRIER_TIMEOUT)  # workers are warm and waiting
            shared.deadline.value = time.monotonic() + budget - outcome.seconds
            t0 = time.perf_counter()
            shared.barrier.wait(BARRIER_TIMEOUT)
            outcome.seconds += time.perf_counter() - t0
    except threading.BrokenBarrierError:
        failure = "a worker process stopped (no message)"
        give_up = time.monotonic() + 10
        while time.monotonic() < give_up:
            try:
                result = shared.results.get(timeout=0.5)
            except queue.Empty:
                continue
            if result[0] == "failed":
                failure = result[1]
                break
        for p in procs:
            p.terminate()
        raise RuntimeError(f"{kind} worker failed:\n{failure}") from None
    try:
        for _ in procs:
            result = shared.results.get(timeout=BARRIER_TIMEOUT)
            if result[0] == "failed":
                raise RuntimeError(f"{kind} worker failed:\n{result[1]}")
            lat, confirmed, waitlisted, errors, sample = result
            outcome.latencies += lat
            outcome.confirmed += confirmed
            outcome.waitlisted += waitlisted
            outcome.errors += errors
            outcome.error_sample = outcome.error_sample or sample
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.terminate()
    outcome.load = common.loadavg().split()[0]
    return outcome


# --- where the time goes --------------------------------------------------------------------------


def statements_of_one_booking(slot: SlotRef, patient) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from queues.allocation import book_token

    with CaptureQueriesContext(connection) as captured:
        book_token(slot_id=slot.id, patient_id=patient, category=CATEGORY)
    return [q["sql"] for q in captured.captured_queries]


def statements_of_one_http_booking(token_key: str, slot: SlotRef, patient) -> list[str]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token_key}")
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/v1/tokens/", {"slot_id": str(slot.id), "patient_id": str(patient),
                                                   "category": CATEGORY}, content_type="application/json")
    assert response.status_code == 201, response.content[:300]
    return [q["sql"] for q in captured.captured_queries]


@dataclass
class Trace:
    """Mean timings (seconds) of single-worker bookings, split at the slot lock and COMMIT."""

    n: int = 0
    total: float = 0.0
    before_lock: float = 0.0
    held: float = 0.0
    held_db: float = 0.0
    after_commit: float = 0.0
    after_db: float = 0.0
    statements: int = 0
    under_lock: int = 0
    after: int = 0
    steps: dict = field(default_factory=lambda: defaultdict(float))
    gaps: dict = field(default_factory=lambda: defaultdict(float))  # Python before each statement
    order: list = field(default_factory=list)

    def add(self, start, end, events):
        """events: (label, t0, t1) in order; the first takes the slot lock, COMMIT releases it."""
        commit = next(i for i, (label, _, _) in enumerate(events) if label == "COMMIT")
        locked, commit_end = events[0][2], events[commit][2]
        self.n += 1
        self.total += end - start
        self.before_lock += locked - start
        self.held += commit_end - locked
        self.held_db += sum(t1 - t0 for _, t0, t1 in events[1:commit + 1])
        self.after_commit += end - commit_end
        self.after_db += sum(t1 - t0 for _, t0, t1 in events[commit + 1:])
        self.statements += len(events)
        self.under_lock += commit
        self.after += len(events) - commit - 1
        previous_end = start
        for i, (label, t0, t1) in enumerate(events):
            key = (label if i <= commit else f"after COMMIT: {label}")
            if key not in self.steps:
                self.order.append(key)
            self.steps[key] += t1 - t0
            self.gaps[key] += t0 - previous_end
            previous_end = t1

    def mean(self, value) -> str:
        return f"{value / self.n * 1000:.2f}"


def _label(sql: str) -> str:
    sql = " ".join(sql.split())
    lowered = sql.lower()
    if lowered.startswith("select") and "count(" in lowered and "queues_waitinglistentry" in lowered:
        return "patient + held count + double-booking check"
    for prefix, label in (
        ("SELECT max_capacity", "lock slot (SELECT ... FOR UPDATE)"),
        ("SELECT count(*)", "count held tokens"),
        ("UPDATE queues_doctorday", "UPDATE day counter"),
        ("INSERT INTO queues_doctorday", "lock day ledger (upsert)"),
        ("INSERT INTO \"queues_token\"", "INSERT token"),
        ("INSERT INTO queues_token", "INSERT token"),
        ("INSERT INTO \"queues_queueevent\"", "INSERT QueueEvent"),
        ("UPDATE \"queues_doctorday\"", "UPDATE day counter"),
        ("COMMIT", "COMMIT"),
    ):
        if sql.startswith(prefix):
            return label
    if "FOR UPDATE" in sql:
        return "lock slot (SELECT ... FOR UPDATE)"
    if sql.startswith('SELECT "scheduling_patient"'):
        return "patient + held count + double-booking check"
    table = sql.split(" FROM ", 1)[1].split()[0].strip('"') if " FROM " in sql else ""
    return f"{sql.split()[0]} … FROM {table}" if table else sql[:60]


def trace_service(n: int, broadcast: bool = True) -> Trace:
    from django.db import connections

    from queues.allocation import book_token

    connection = connections["default"]
    trace, events = Trace(), []

    def timed(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            events.append((_label(sql), t0, time.perf_counter()))

    plain_commit = connection._commit

    def timed_commit():
        t0 = time.perf_counter()
        try:
            return plain_commit()
        finally:
            events.append(("COMMIT", t0, time.perf_counter()))

    slots = make_slots(2)
    patients = make_patients(n + 2)
    book_token(slot_id=slots[1].id, patient_id=patients[-1], category=CATEGORY)  # warm
    connection._commit = timed_commit  # this process only; the code under test is unchanged
    try:
        with connection.execute_wrapper(timed), broadcast_off(not broadcast):
            for patient in patients[:n]:
                events.clear()
                start = time.perf_counter()
                book_token(slot_id=slots[0].id, patient_id=patient, category=CATEGORY)
                trace.add(start, time.perf_counter(), list(events))
    finally:
        del connection._commit
    return trace


def trace_raw(n: int, database_url, priority, holding) -> Trace:
    slots = make_slots(2)
    patients = make_patients(n + 2)
    events: list = []
    book = raw_booker(database_url, priority, holding, trace=events)
    book(slots[1], patients[-1])
    trace = Trace()
    for patient in patients[:n]:
        events.clear()
        start = time.perf_counter()
        book(slots[0], patient)
        trace.add(start, time.perf_counter(), [(_label(s), t0, t1) for s, t0, t1 in events])
    return trace


def profile_service(n: int, broadcast: bool = True) -> str:
    """A pyinstrument profile of n single-worker bookings (pyinstrument is not a dependency:
    `pip install pyinstrument` to use --profile)."""
    from pyinstrument import Profiler

    from queues.allocation import book_token

    slot = make_slots(1)[0]
    patients = make_patients(n)
    profiler = Profiler(interval=0.0002)
    with broadcast_off(not broadcast), profiler:
        for patient in patients:
            book_token(slot_id=slot.id, patient_id=patient, category=CATEGORY)
    return profiler.output_text(unicode=False, color=False, show_all=False)


def _reception_group():
    from django.contrib.auth.models import Group, Permission

    from scheduling import roles

    group, created = Group.objects.get_or_create(name=roles.RECEPTION)
    if created:  # the roles migration normally makes it
        app_label, codename = roles.USE_DESK.split(".")
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return group


# --- HTTP -------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(port: int, proc, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/", timeout=2)
            return
        except urllib.error.HTTPError:
            return  # answered (401/403/404): it is up
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server not answering on port {port} after {seconds}s")


@dataclass
class HttpOutcome:
    label: str
    conn_max_age: str
    concurrency: int
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    latencies: list = field(default_factory=list)
    load: str = ""
    error: str = ""
    max_connections: int = 0
    sent: int = 0
    stopped: str = ""
    first_failure: str = ""
    server_log: str = ""

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


async def _watch_connections(database_url, outcome, stop: asyncio.Event):
    """Track how many connections the server holds to the bench database; stop the run before
    it can starve the machine's other users of PostgreSQL connections."""
    import psycopg

    info = common.conninfo(database_url)
    async with await psycopg.AsyncConnection.connect(**info, autocommit=True) as conn:
        while not stop.is_set():
            cur = await conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                                     "AND pid <> pg_backend_pid()", (info["dbname"],))
            (count,) = await cur.fetchone()
            outcome.max_connections = max(outcome.max_connections, count)
            if count > MAX_SERVER_CONNECTIONS:
                outcome.stopped = (f"stopped early, after {outcome.sent} requests: {count} connections "
                                   "open to the database")
                stop.set()
            try:
                await asyncio.wait_for(stop.wait(), 0.2)
            except asyncio.TimeoutError:
                pass


async def _drive(port, token_key, slots, patients, concurrency, budget, max_requests, warm, outcome, database_url):
    import aiohttp

    stop = asyncio.Event()
    watcher = asyncio.create_task(_watch_connections(database_url, outcome, stop))
    headers = {"Authorization": f"Token {token_key}", "Accept": "application/json"}
    tickets = iter(range(warm + max_requests))
    n = len(slots)
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", connector=connector, headers=headers,
                                     timeout=timeout) as session:

        async def loop(stop_at: int, deadline: float, record: bool):
            for i in tickets:
                if i >= stop_at or time.monotonic() >= deadline or stop.is_set():
                    return
                body = {"slot_id": str(slots[i % n].id), "patient_id": str(patients[i // n]), "category": CATEGORY}
                t0 = time.perf_counter()
                outcome.sent += 1
                try:
                    async with session.post("/api/v1/tokens/", json=body) as response:
                        content = await response.read()
                        status = response.status
                    if status not in (201, 202) and record and not outcome.first_failure:
                        outcome.first_failure = f"{status}: {content[:200].decode(errors='replace')}"
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    status = type(exc).__name__
                if record:
                    outcome.statuses[status] += 1
                    if status in (201, 202):
                        outcome.latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(loop(warm, time.monotonic() + 30, False) for _ in range(concurrency)))
        t0 = time.perf_counter()
        deadline = time.monotonic() + budget
        await asyncio.gather(*(loop(warm + max_requests, deadline, True) for _ in range(concurrency)))
        outcome.seconds = time.perf_counter() - t0
    stop.set()
    await watcher


def run_http(label, argv, conn_max_age, database_url, token_key, patients, concurrency, budget, max_requests,
             pool=False):
    from django.db import connections

    slots = make_slots(SPREAD)
    connections.close_all()
    port = _free_port()
    argv = [a.replace("{port}", str(port)) for a in argv]
    server_url = database_url + ("?pool=true" if pool else "")  # dj-database-url puts it in OPTIONS
    env = dict(os.environ, **common.BENCH_ENV, DATABASE_URL=server_url, DB_CONN_MAX_AGE=conn_max_age)
    outcome = HttpOutcome(label, conn_max_age + (", psycopg pool" if pool else ""), concurrency)
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(argv, cwd=common.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            _wait_ready(port, proc)
            asyncio.run(_drive(port, token_key, slots, patients, concurrency, budget, max_requests,
                               warm=4 * concurrency, outcome=outcome, database_url=database_url))
        except Exception as exc:
            outcome.error = f"{type(exc).__name__}: {exc}"
        finally:
            outcome.load = common.loadavg().split()[0]
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)  # our own session: the server and its workers
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)
            log.seek(0)
            tail = log.read()[-4000:]
        if outcome.error and tail:
            outcome.error += f" | server said: {tail.strip()[-300:]}"
        if outcome.first_failure:
            outcome.server_log = tail.strip()
    return outcome


# --- report -----------------------------------------------------------------------------------------


def _fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def _ratio(a: Outcome, b: Outcome) -> float:
    return a.rate / b.rate if b.rate else float("nan")


def render(info, loads, pairs, waitlist, traces, statements, http_statements, http, args) -> str:
    out = []
    out.append("## Bookings per second (bench/bookings.py)")
    out.append("")
    out.append(f"- Date: {info['date']}; commit `{info['commit']}`")
    out.append(f"- Command: `make bench` (runs `{info['command']}`)")
    out.append(f"- Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']} memory; {info['postgres']}; "
               f"Python {info['python']}")
    out.append(f"- Settings: DEBUG=0, channel layer {info['channel_layer']}, "
               f"LIVE_PUSH_COALESCE_MS={info['coalesce_ms']} (the after-commit render and push "
               "run in a background thread of each process when it is above 0)")
    out.append(f"- Load average (1/5/15 min): {loads[0]} at the start, {loads[1]} at the end. The machine is "
               "shared with other developers' test runs, so absolute figures are noisy; the ratio, measured "
               "in the same minute, is the figure to watch.")
    out.append("")
    out.append("Service = `queues.allocation.book_token(...)` in Django (DEBUG=0). Raw SQL = the same "
               "transaction with psycopg on the same tables: BEGIN; `SELECT ... FOR UPDATE` the slot; count its "
               "held tokens; `UPDATE` the doctor's day counter `RETURNING` the number; `INSERT` the token; COMMIT "
               "(psycopg's defaults: server-side parameters, statements prepared after 5 uses; the app's settings now "
               "do the same: DB_SERVER_SIDE_BINDING, DB_PREPARE_THRESHOLD). "
               "Each worker is a separate process with its own connection; every booking is a new patient; "
               f"slots have capacity {CAPACITY} (the model's maximum), so every booking confirms. (a) one slot: "
               f"all workers book the same slot; when it is full they move together to a fresh one. (b) {SPREAD} "
               f"slots of {SPREAD} different doctors, bookings dealt round-robin. \"Without "
               "broadcast\" is the same service with `queues.broadcast.queue_changed` replaced by a no-op in the "
               "bench's worker processes (the code is unchanged): the locking core alone, without the "
               "after-commit rendering and push. Each cell: "
               f"{args.seconds:g} s of measured time per kind after a warm-up, run as two halves in the order raw, "
               "service, without broadcast, without broadcast, service, raw. Load: the 1-minute load average "
               "after each half of the service's runs.")
    out.append("")
    out.append("| case | workers | raw SQL/s | service/s | service ÷ raw | service without broadcast/s | "
               "without broadcast ÷ raw | p50/p95/p99 ms: raw · service · without broadcast | errors | load |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---|---|---:|")
    for service, raw, core in pairs:
        out.append(
            f"| {service.name} | {service.workers} | {_fmt_rate(raw.rate)} | {_fmt_rate(service.rate)} | "
            f"**{_ratio(service, raw):.2f}** | {_fmt_rate(core.rate)} | **{_ratio(core, raw):.2f}** | "
            f"{common.latency_ms(raw.latencies)} · {common.latency_ms(service.latencies)} · "
            f"{common.latency_ms(core.latencies)} | {raw.errors + service.errors + core.errors} | {service.load} |"
        )
    samples = [o.error_sample for pair in pairs for o in pair if o.error_sample]
    if samples:
        out.append("")
        out.append(f"First error seen: `{samples[0]}`")
    out.append("")
    if waitlist:
        confirmed = next((s for s, *_ in pairs if s.name == "one slot" and s.workers == waitlist.workers), None)
        out.append(f"Waitlisted path (service, {waitlist.workers} workers, slots of capacity 1 so all but the "
                   f"first booking of each slot go to the waiting list): {_fmt_rate(waitlist.rate)} bookings/s, "
                   f"p50/p95/p99 {common.latency_ms(waitlist.latencies)} ms ({waitlist.waitlisted} waitlisted, "
                   f"{waitlist.confirmed} confirmed, {waitlist.errors} errors)"
                   + (f"; confirmed path in the same case above: {_fmt_rate(confirmed.rate)}/s." if confirmed else "."))
        out.append("")
    service_trace = traces[0][1]
    out.append(f"### Where the time goes (one worker, {service_trace.n} bookings into one slot, means)")
    out.append("")
    out.append("| | " + " | ".join(name for name, _ in traces) + " |")
    out.append("|---|" + "---:|" * len(traces))

    def row(label, value):
        out.append(f"| {label} | " + " | ".join(value(t) for _, t in traces) + " |")

    def per_booking(attr, digits=2):
        return lambda t: f"{getattr(t, attr) / t.n * (1000 if digits else 1):.{digits}f}"

    row("statements per booking (COMMIT included; BEGIN rides on the first)", per_booking("statements", 0))
    row("… after the slot lock is taken, up to and including COMMIT", per_booking("under_lock", 0))
    row("… after COMMIT (on_commit broadcast)", per_booking("after", 0))
    row("whole booking, ms", per_booking("total"))
    row("before the lock is held, ms", per_booking("before_lock"))
    row("**slot lock held, ms**", lambda t: f"**{t.held / t.n * 1000:.2f}**")
    row("… of which waiting on the database, ms", per_booking("held_db"))
    row("… of which Python between statements, ms", lambda t: f"{(t.held - t.held_db) / t.n * 1000:.2f}")
    row("after COMMIT (on_commit broadcast: queries, rendering, group_send), ms", per_booking("after_commit"))
    row("… of which waiting on the database, ms", per_booking("after_db"))
    out.append("")
    out.append("The service's statements in order, mean ms per booking: the Python that runs before each "
               "statement is sent (building and compiling the query, model instances, the service's own code), "
               "then the statement itself as Python sees it (round trip, server work, the driver's adaptation):")
    out.append("")
    out.append("| statement | Python before it, ms | statement, ms |")
    out.append("|---|---:|---:|")
    for label in service_trace.order:
        out.append(f"| {label} | {service_trace.mean(service_trace.gaps[label])} | "
                   f"{service_trace.mean(service_trace.steps[label])} |")
    out.append("")
    out.append(f"`CaptureQueriesContext` on one service booking: {len(statements)} queries "
               f"(plus COMMIT); on one `POST /api/v1/tokens/` through Django's test client: "
               f"{len(http_statements)} queries.")
    out.append("")
    out.append("<details><summary>The service booking's SQL</summary>")
    out.append("")
    for sql in statements:
        out.append(f"    {sql}")
    out.append("")
    out.append("</details>")
    out.append("")
    if http:
        out.append("### HTTP: `POST /api/v1/tokens/` through the ASGI server")
        out.append("")
        out.append(f"A bounded aiohttp client on the same machine (so it takes CPU from the server), "
                   f"{http[0].concurrency} requests in flight, {args.http_seconds:g} s or {args.http_requests} requests "
                   f"after a warm-up, token auth, {SPREAD} slots of {SPREAD} doctors, every request a new patient. "
                   "Servers run with DEBUG=0, no access log.")
        out.append("")
        out.append("| server | DB_CONN_MAX_AGE | bookings/s | p50/p95/p99 ms | responses | "
                   "most connections open | load |")
        out.append("|---|---|---:|---|---|---:|---:|")
        for h in http:
            statuses = ", ".join(f"{k}: {v}" for k, v in sorted(h.statuses.items(), key=str))
            rate = _fmt_rate(h.rate) if h.latencies else "—"
            latency = common.latency_ms(h.latencies) if h.latencies else "—"
            out.append(f"| {h.label} | {h.conn_max_age} | {rate} | {latency} | "
                       f"{'; '.join(x for x in (statuses or h.error, h.stopped) if x)} | {h.max_connections} | {h.load} |")
        for h in http:
            if h.error:
                out.append(f"\n{h.label} (CONN_MAX_AGE={h.conn_max_age}) failed: `{h.error}`")
            if h.first_failure:
                out.append(f"\n{h.label} (CONN_MAX_AGE={h.conn_max_age}), first failed response: "
                           f"`{h.first_failure}`; server log: `{h.server_log[-300:]}`")
        out.append("")
    return "\n".join(out)


# --- main -------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=2.0, help="measured seconds per kind and cell (default 2)")
    parser.add_argument("--workers", default="1,8,32", help="concurrency levels (default 1,8,32)")
    parser.add_argument("--http-seconds", type=float, default=5.0)
    parser.add_argument("--http-requests", type=int, default=5000, help="at most this many per server run")
    parser.add_argument("--http-concurrency", type=int, default=16)
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--trace", type=int, default=300, help="single-worker bookings to time step by step")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile (needs pyinstrument)")
    parser.add_argument("--no-write", action="store_true", help="print, do not write docs/benchmarks.md")
    args = parser.parse_args(argv)
    levels = [int(w) for w in args.workers.split(",") if w.strip() and w.strip() != "none"]
    started = time.monotonic()

    database_url, info = common.open_bench("bench.bookings")
    from django.conf import settings

    from queues.models import Token

    info["channel_layer"] = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
    info["coalesce_ms"] = getattr(settings, "LIVE_PUSH_COALESCE_MS", "unset")
    load_start = common.loadavg()
    print(f"load {load_start}", flush=True)

    priority = 5  # WALKIN's base priority (queues.Category, seeded in migration 0005)
    holding = [str(s) for s in Token.HOLDING_A_PLACE]
    patients = make_patients(CAPACITY)
    common_args = dict(patients=patients, database_url=database_url, priority=priority, holding=holding)

    pairs = []
    for case in ("one slot", f"{SPREAD} slots"):
        for workers in levels:
            # Each kind runs twice, in the order raw, service, core, core, service, raw, half the
            # time each: a load that drifts steadily during the cell weighs on all three alike.
            measured = {}
            for kind in (*KINDS, *reversed(KINDS)):
                if case == "one slot":
                    # enough fresh slots for the fastest plausible rate; a round ends when one is full
                    rounds = [[s] for s in make_slots(max(4, int(args.seconds * 2000 / CAPACITY) + 2))]
                    limit = CAPACITY
                else:
                    rounds, limit = [make_slots(SPREAD)], SPREAD * CAPACITY
                half = run_workers(case, kind, workers, rounds, limit, args.seconds / 2, **common_args)
                measured[kind] = measured[kind].merge(half) if kind in measured else half
            for kind in KINDS:
                outcome = measured[kind]
                print(f"{case:9} {kind:7} workers={workers:2} {outcome.rate:7.0f}/s "
                      f"p50/95/99={common.latency_ms(outcome.latencies)} ms errors={outcome.errors} "
                      f"load={outcome.load}", flush=True)
            raw, service, core = (measured[k] for k in KINDS)
            print(f"{'':9} service/raw = {_ratio(service, raw):.2f}, without broadcast {_ratio(core, raw):.2f}",
                  flush=True)
            pairs.append((service, raw, core))

    waitlist = None
    if levels:
        workers = 8 if 8 in levels else levels[0]
        rounds = [[s] for s in make_slots(8, capacity=1)]
        waitlist = run_workers("waitlist", "service", workers, rounds, CAPACITY, min(args.seconds, 2.0), **common_args)
        print(f"waitlist service workers={workers} {waitlist.rate:.0f}/s p50/95/99={common.latency_ms(waitlist.latencies)} "
              f"ms waitlisted={waitlist.waitlisted} errors={waitlist.errors}", flush=True)

    traces = [("service", trace_service(args.trace)),
              ("without broadcast", trace_service(args.trace, broadcast=False)),
              ("raw SQL", trace_raw(args.trace, database_url, priority, holding))]
    print("lock held: " + ", ".join(f"{name} {t.mean(t.held)} ms" for name, t in traces), flush=True)
    slot = make_slots(1)[0]
    statements = statements_of_one_booking(slot, patients[0])

    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token as ApiToken

    user = get_user_model().objects.create_user("bench", password=uuid.uuid4().hex)
    user.groups.add(_reception_group())  # books as a receptionist does
    token_key = ApiToken.objects.create(user=user).key
    http_statements = statements_of_one_http_booking(token_key, slot, patients[1])

    if args.profile:
        print(profile_service(min(args.trace, 300)))
        print("--- without the on_commit broadcast ---")
        print(profile_service(min(args.trace, 300), broadcast=False))

    http = []
    if not args.no_http:
        py = sys.executable
        uvicorn = [py, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", "{port}",
                   "--no-access-log", "--log-level", "warning"]
        daphne = [py, "-m", "daphne", "-b", "127.0.0.1", "-p", "{port}", "config.asgi:application"]
        servers = [  # (label, argv, DB_CONN_MAX_AGE, psycopg pool)
            ("uvicorn, 2 workers", uvicorn + ["--workers", "2"], "0", False),
            ("uvicorn, 2 workers", uvicorn + ["--workers", "2"], "60", False),
            ("uvicorn, 2 workers", uvicorn + ["--workers", "2"], "0", True),
            ("uvicorn, 1 worker", uvicorn, "0", False),
            ("daphne (1 process)", daphne, "0", False),
        ]
        for label, server_argv, max_age, pool in servers:
            h = run_http(label, server_argv, max_age, database_url, token_key, patients,
                         args.http_concurrency, args.http_seconds, args.http_requests, pool=pool)
            print(f"http {label:20} CONN_MAX_AGE={h.conn_max_age:17} {h.rate:6.0f}/s "
                  f"p50/95/99={common.latency_ms(h.latencies)} ms {dict(h.statuses)} "
                  f"connections<={h.max_connections} {h.stopped} {h.error} load={h.load}", flush=True)
            if h.first_failure:
                print(f"  first failure {h.first_failure}\n  server log: {h.server_log[-1500:]}", flush=True)
            http.append(h)

    loads = (load_start, common.loadavg())
    text = render(info, loads, pairs, waitlist, traces, statements, http_statements, http, args)
    from django.db import connections

    connections.close_all()
    common.publish("bookings", text, write=not args.no_write)
    print(f"bench.bookings took {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

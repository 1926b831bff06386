"""Benchmark: the CPU one booking costs in the web process, without a server around it
(`make bench` runs it as `python -m bench.booking_cpu`).

`POST /api/v1/tokens/` with a Manager's DRF token, called straight on Django's WSGI handler in this
process (every middleware, DRF, the allocation service, the answer), every request a new walk-in,
dealt round-robin over 50 slots of 50 doctors. Measured: process CPU time per booking (this
process only: psycopg's side of each query included, PostgreSQL's not) and SQL statements per
booking, at a small day (the first 1,000 bookings: up to 20 queued per doctor) and at a long one
(one doctor with 300 already queued). No server, no load generator and no other client on the
CPU: the figure moves with the code, much less with the machine's load than a served benchmark
does (bench/mvp_compare.py serves it; its CPU figures include the server).

Results replace the `booking-cpu` section of docs/benchmarks.md.
"""

from __future__ import annotations

import io
import json
import statistics
import sys
import time

from bench import _common as common

SLOTS = 50
BOOKINGS = 1000
WARMUP = 100
ROUNDS = 3
LONG_DAY = 300


def main() -> None:
    _, info = common.open_bench("bench.booking_cpu", REDIS_URL="")
    book = booker()
    rows = [measure_spread(book), measure_long_day(book)]
    common.publish("booking-cpu", report(info, rows))


def booker():
    """A function booking (slot, patient) through the WSGI handler; returns the status code."""
    from django.core.wsgi import get_wsgi_application

    from bench.mvp_compare import ours_staff

    app = get_wsgi_application()
    key, _ = ours_staff()

    def book(slot_id, patient_id) -> int:
        body = json.dumps({"slot_id": str(slot_id), "patient_id": str(patient_id), "category": "WALKIN"}).encode()
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/tokens/", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Token {key}",
        }
        status = []
        b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
        return int(status[0].split()[0])

    return book


def _run(book, pairs) -> dict:
    """CPU and statements per booking over `pairs`, in ROUNDS rounds (the median round)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    per_round = (len(pairs) - 1) // ROUNDS  # and the last one with its statements captured
    cpu, statuses = [], {}
    for r in range(ROUNDS):
        chunk = pairs[r * per_round:(r + 1) * per_round]
        started = time.process_time()
        for slot_id, patient_id in chunk:
            code = book(slot_id, patient_id)
            statuses[code] = statuses.get(code, 0) + 1
        cpu.append((time.process_time() - started) * 1000 / len(chunk))
    slot_id, patient_id = pairs[-1]
    with CaptureQueriesContext(connection) as queries:
        code = book(slot_id, patient_id)
    statuses[code] = statuses.get(code, 0) + 1
    return {"cpu_ms": statistics.median(cpu), "rounds": cpu, "statements": len(queries), "statuses": statuses,
            "sql": [q["sql"].split()[0] for q in queries.captured_queries]}


def measure_spread(book) -> dict:
    from bench.mvp_compare import ours_patients, ours_slots

    slots = ours_slots(SLOTS)
    patients = ours_patients(WARMUP + BOOKINGS + 1)
    for n, patient in enumerate(patients[:WARMUP]):
        book(slots[n % SLOTS].id, patient)
    pairs = [(slots[n % SLOTS].id, p) for n, p in enumerate(patients[WARMUP:])]
    result = _run(book, pairs)
    result["what"] = f"{SLOTS} slots of {SLOTS} doctors, each booking appends (up to {(WARMUP + BOOKINGS) // SLOTS} queued per doctor)"
    return result


def measure_long_day(book) -> dict:
    from bench.mvp_compare import ours_fill, ours_patients, ours_slots

    (slot,) = ours_slots(1)
    ours_fill(slot, LONG_DAY)
    patients = ours_patients(BOOKINGS // 5 + 1)
    result = _run(book, [(slot.id, p) for p in patients])
    result["what"] = f"one doctor with {LONG_DAY} already queued (to {LONG_DAY + BOOKINGS // 5})"
    return result


def report(info: dict, rows: list[dict]) -> str:
    out = [
        "## CPU per booking in the web process, without a server (bench/booking_cpu.py)",
        "",
        f"- Date: {info['date']}; commit `{info['commit']}`",
        f"- Command: `make bench BENCHES=booking_cpu` (runs `{info['command']}`)",
        f"- Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']} memory; {info['postgres']}; "
        f"Python {info['python']}; load average {common.loadavg()} at the end (a shared machine: CPU time "
        "still grows when other work shares the cores, so compare runs of one sitting)",
        "- `POST /api/v1/tokens/` called on Django's WSGI handler in the bench's own process (every "
        "middleware, DRF with token authentication, the allocation service, the answer); CPU time of "
        f"this process per booking (median of {ROUNDS} rounds), and the SQL statements of one booking.",
        "",
        "| day | bookings | CPU ms per booking (rounds) | statements per booking | statuses |",
        "|---|---:|---|---:|---|",
    ]
    for r in rows:
        rounds = " / ".join(f"{c:.2f}" for c in r["rounds"])
        statuses = ", ".join(f"{k}: {v:,}" for k, v in sorted(r["statuses"].items()))
        out.append(f"| {r['what']} | {sum(r['statuses'].values()):,} | **{r['cpu_ms']:.2f}** ({rounds}) | "
                   f"{r['statements']} ({', '.join(r['sql'])}) | {statuses} |")
    return "\n".join(out)


if __name__ == "__main__":
    main()

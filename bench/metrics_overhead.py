"""What the Prometheus metrics cost a booking: CPU per POST /api/v1/tokens/ with METRICS_TOKEN
unset (metrics off) and set (django-prometheus's two middlewares, its instrumented database
cursor, and the queue's own counters).

    python -m bench.metrics_overhead [--requests 400] [--rounds 3]

Each measurement is a fresh process (the settings decide the middleware and the database engine
at start) that books `--requests` walk-ins through Django's test client, in one thread, after 50
unmeasured ones, and reports the process's CPU time per request. Rounds alternate off and on; the
median of each is reported. In-process, so the figure is the Django side alone (no server, no
network), which is where the middleware runs. The database `opdq_metrics_bench` is created next
to DATABASE_URL's (see bench/_common.py), migrated and dropped. Results replace the
`metrics_overhead` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench import _common as common

DB_NAME = "opdq_metrics_bench"
MODES = ("off", "on", "multiprocess")
WARMUP = 50


def child(mode: str, requests: int) -> dict:
    extra = {"ALLOWED_HOSTS": "testserver"}  # Django's test client
    if mode != "off":
        extra["METRICS_TOKEN"] = "bench-scrape-token"
    os.environ.pop("METRICS_TOKEN", None)
    if mode == "multiprocess":  # as under the Procfile's two workers: before prometheus_client loads
        extra["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="opdq-bench-metrics-")
    else:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    common.setup_django(os.environ["DATABASE_URL"], **extra)
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.utils import timezone
    from rest_framework.authtoken.models import Token as ApiToken

    from scheduling.models import MAX_SLOT_CAPACITY, Department, Doctor, Patient, Slot

    assert bool(settings.METRICS_TOKEN) == (mode != "off")
    stamp = f"{mode}-{time.monotonic_ns()}"
    user = get_user_model().objects.create_user(f"bench-{stamp}")
    user.groups.add(Group.objects.get(name="Reception"))
    key = ApiToken.objects.create(user=user).key
    dept = Department.objects.create(name=f"Bench {stamp}")
    start = timezone.now() - timedelta(minutes=5)
    total = requests + WARMUP
    slots = []
    for i in range(total // MAX_SLOT_CAPACITY + 1):
        doctor = Doctor.objects.create(name=f"Dr. Bench {stamp} {i}", department=dept)
        slots.append(Slot.objects.create(doctor=doctor, start_time=start, end_time=start + timedelta(hours=8),
                                         max_capacity=MAX_SLOT_CAPACITY))
    patients = Patient.objects.bulk_create(
        Patient(name=f"Bench {n}", phone=f"9{n:09d}") for n in range(total)
    )
    client = Client(headers={"Authorization": f"Token {key}"})

    def book(n: int) -> None:
        slot = slots[n // MAX_SLOT_CAPACITY]
        response = client.post("/api/v1/tokens/", {"slot_id": str(slot.pk), "patient_id": str(patients[n].pk),
                                                   "category": "WALKIN"}, content_type="application/json")
        assert response.status_code == 201, response.content

    for n in range(WARMUP):
        book(n)
    cpu, wall = time.process_time(), time.perf_counter()
    for n in range(WARMUP, total):
        book(n)
    result = {"cpu_ms": (time.process_time() - cpu) * 1000 / requests, "wall_ms": (time.perf_counter() - wall) * 1000 / requests}
    if mode != "off":
        result["middleware_us"] = middleware_alone()
    return result


def middleware_alone(calls: int = 20000) -> float:
    """CPU microseconds django-prometheus's two middlewares add to one request, around a view that
    does nothing (the same process, so the machine's load mostly cancels out)."""
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django_prometheus.middleware import PrometheusAfterMiddleware, PrometheusBeforeMiddleware

    def view(request):
        return HttpResponse("ok")

    wrapped = PrometheusBeforeMiddleware(PrometheusAfterMiddleware(view))
    request = RequestFactory().get("/healthz")

    def cpu_per_call(handler) -> float:
        started = time.process_time()
        for _ in range(calls):
            handler(request)
        return (time.process_time() - started) / calls

    cpu_per_call(wrapped)  # warm up
    return (min(cpu_per_call(wrapped) for _ in range(3)) - min(cpu_per_call(view) for _ in range(3))) * 1e6


def run_child(database_url: str, mode: str, requests: int) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url}
    out = subprocess.run([sys.executable, "-m", "bench.metrics_overhead", "--child", mode, "--requests", str(requests)],
                         cwd=common.ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=MODES)
    parser.add_argument("--print", action="store_true", help="print the section instead of writing it")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.requests)))
        return 0

    admin, source = common.find_server()
    url = common.create_bench_database(admin, DB_NAME)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=common.ROOT,
                   env={**os.environ, **common.BENCH_ENV, "DATABASE_URL": url}, check=True)
    results: dict[str, list[dict]] = {mode: [] for mode in MODES}
    for _ in range(args.rounds):
        for mode in MODES:
            results[mode].append(run_child(url, mode, args.requests))
    facts = common.machine(url, source, "bench.metrics_overhead")
    cpu = {mode: statistics.median(r["cpu_ms"] for r in runs) for mode, runs in results.items()}
    wall = {mode: statistics.median(r["wall_ms"] for r in runs) for mode, runs in results.items()}
    body = f"""## Cost of the Prometheus metrics per booking

`python -m bench.metrics_overhead --requests {args.requests} --rounds {args.rounds}`: POST /api/v1/tokens/
through Django's test client in one process (the Django side alone: no server, no network), median of
{args.rounds} fresh processes per setting, {args.requests} measured walk-in bookings each after {WARMUP} unmeasured.

- Machine: {facts['cpus']} CPUs ({facts['cpu']}), {facts['memory']}, {facts['postgres']}, Python {facts['python']}
- Commit {facts['commit']}, {facts['date']}, load average {common.loadavg()} at the end (the machine is shared)

| Metrics | CPU per booking | Wall time per booking |
|---|---|---|
| off (`METRICS_TOKEN` unset) | {cpu['off']:.2f} ms | {wall['off']:.2f} ms |
| on, one process (django-prometheus middleware and database cursor, queue counters) | {cpu['on']:.2f} ms ({(cpu['on'] / cpu['off'] - 1) * 100:+.1f} %) | {wall['on']:.2f} ms |
| on, multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`, as with the Procfile's two workers) | {cpu['multiprocess']:.2f} ms ({(cpu['multiprocess'] / cpu['off'] - 1) * 100:+.1f} %) | {wall['multiprocess']:.2f} ms |

Per-run CPU ms: {'; '.join(mode + ' ' + ', '.join(f"{r['cpu_ms']:.2f}" for r in runs) for mode, runs in results.items())}.
On a shared machine under this load the booking figures differ by less than their spread between runs.
The middleware alone, timed in the same process around a view that does nothing (best of 3 × 20,000
calls, minus the bare view): **{statistics.median(r['middleware_us'] for r in results['on']):.0f} µs** per request in one process,
**{statistics.median(r['middleware_us'] for r in results['multiprocess']):.0f} µs** in multiprocess mode (each metric update writes
to a memory-mapped file instead of a Python float). Off (`METRICS_TOKEN` unset) it is not installed:
0 µs. The instrumented database cursor adds a counter increment per query on top.
"""
    common.publish("metrics_overhead", body, write=not args.print)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: render the daily report for a day of 20,000 tokens (`make bench` runs it as
`python -m bench.report`).

Builds the day in a throwaway PostgreSQL database `opdq_report_bench` (on the server bench/_common.py
finds: DATABASE_URL's when it is PostgreSQL, else the machine's at 127.0.0.1:5432), renders the page,
the API and the two CSVs through Django's test client with DEBUG off, and writes the timings and
query counts between the markers <!-- report:start --> and <!-- report:end --> of docs/benchmarks.md.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bench import _common as common

DB_NAME = "opdq_report_bench"
DAY = date(2026, 3, 10)
DOCTORS, TOKENS = 20, 20_000
RUNS = 10


def build_day():
    """20 doctors in 4 departments, 2 slots each, 1,000 tokens each with realistic timestamps."""
    from queues.models import Category, QueueEvent, Token, WaitingListEntry
    from scheduling.models import Department, Doctor, Patient, Slot

    tz = ZoneInfo("Asia/Kolkata")
    opens = datetime(DAY.year, DAY.month, DAY.day, 8, 0, tzinfo=tz)
    departments = Department.objects.bulk_create([Department(name=f"Department {n}") for n in range(4)])
    doctors = Doctor.objects.bulk_create(
        [Doctor(name=f"Dr. Bench {n:02d}", department=departments[n % 4], room=str(n)) for n in range(DOCTORS)]
    )
    slots = Slot.objects.bulk_create([
        Slot(doctor=d, start_time=opens + timedelta(hours=5 * half), end_time=opens + timedelta(hours=5 * half + 5),
             max_capacity=500, delay_minutes=10 * (n % 3) * (1 - half))
        for n, d in enumerate(doctors) for half in (0, 1)
    ])
    patients = Patient.objects.bulk_create(
        [Patient(name=f"Patient {n}", phone=f"9{n:09d}") for n in range(TOKENS)], batch_size=5000
    )
    categories = [Category.EMERGENCY, Category.PRIORITY_PAID, Category.FOLLOWUP, Category.ONLINE, Category.WALKIN]
    statuses = [Token.Status.COMPLETED] * 7 + [Token.Status.NO_SHOW, Token.Status.CANCELLED, Token.Status.CONFIRMED]
    tokens = []
    per_doctor = TOKENS // DOCTORS
    for n, patient in enumerate(patients):
        d, k = divmod(n, per_doctor)
        slot = slots[2 * d + (k >= per_doctor // 2)]
        status = statuses[n % len(statuses)]
        arrived = slot.start_time + timedelta(seconds=18 * (k % (per_doctor // 2)))
        seen = status == Token.Status.COMPLETED
        tokens.append(Token(
            slot=slot, patient=patient, doctor_id=slot.doctor_id, day=DAY, token_number=k + 1, token_label=str(k + 1),
            category=categories[n % 5], priority=1 + n % 5, booked_at=opens - timedelta(hours=2), status=status,
            arrived_at=arrived if seen else None,
            called_at=arrived + timedelta(seconds=60 + 37 * (n % 41)) if seen else None,
            completed_at=arrived + timedelta(seconds=400 + 53 * (n % 29)) if seen else None,
            cancelled_at=opens if status == Token.Status.CANCELLED else None,
            no_show_at=opens + timedelta(hours=4) if status == Token.Status.NO_SHOW else None,
        ))
    Token.objects.bulk_create(tokens, batch_size=5000)
    WaitingListEntry.objects.bulk_create([
        WaitingListEntry(slot=slots[n % len(slots)], patient=patients[n], doctor_id=slots[n % len(slots)].doctor_id,
                         day=DAY, category=Category.WALKIN, priority=5, booked_at=opens,
                         status=WaitingListEntry.Status.WAITING if n % 2 else WaitingListEntry.Status.CANCELLED)
        for n in range(200)
    ])
    QueueEvent.objects.bulk_create([QueueEvent(kind=QueueEvent.Kind.DELAY_SET, slot=s) for s in slots[::3]])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(client, url: str) -> dict:
    from django.db import connection

    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
    return {"url": url, "queries": len(executed), "median": statistics.median(times), "max": max(times),
            "min": min(times), "bytes": len(response.content)}


def main() -> None:
    admin, _ = common.find_server()
    url = common.create_bench_database(admin, DB_NAME)  # dropped at exit
    common.setup_django(url, TIME_ZONE="Asia/Kolkata", ALLOWED_HOSTS="testserver")
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test import Client, override_settings

    # DEBUG off, but without `collectstatic`: plain static URLs instead of the manifest.
    override_settings(STORAGES={
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }).enable()
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    build_day()
    built = time.perf_counter() - began
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("bench", password="bench-pass-123"))
    results = [
        measure(client, f"/reports/daily/?date={DAY}"),
        measure(client, f"/api/v1/reports/daily/?date={DAY}"),
        measure(client, f"/reports/daily/doctors.csv?date={DAY}"),
        measure(client, f"/reports/daily/tokens.csv?date={DAY}"),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    connections.close_all()

    rows = "\n".join(
        f"| `{r['url']}` | {r['queries']} | {r['median']:.0f} | {r['min']:.0f} | {r['max']:.0f} | {r['bytes'] / 1024:.0f} KiB |"
        for r in results
    )
    common.write_section("report", f"""
## Daily report: a day of {TOKENS:,} tokens

{DOCTORS} doctors, {2 * DOCTORS} slots, {TOKENS:,} tokens (70% completed, with check-in, call and completion
times), 200 waiting-list entries. Each URL is requested once to count its queries, then {RUNS} times
through Django's test client (DEBUG off, the whole request: session, permissions, figures, template);
times in milliseconds. Building the day took {built:.1f} s.

| request | queries | median ms | min ms | max ms | size |
| --- | --- | --- | --- | --- | --- |
{rows}

Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, PostgreSQL {pg_version}
(database `{DB_NAME}`, created and dropped by the run). Shared with other developers' work while measured.
Command: `make bench BENCHES=report` (or `.venv/bin/python -m bench.report`); {datetime.now():%Y-%m-%d}.
""")
    for r in results:
        print(f"{r['url']}: {r['queries']} queries, median {r['median']:.0f} ms")
    page = results[0]
    if page["median"] > 1000:
        sys.exit(f"The report page took {page['median']:.0f} ms (goal: under 1 s).")


if __name__ == "__main__":
    main()

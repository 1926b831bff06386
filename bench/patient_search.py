"""Benchmark: the desk's patient search over 100,000 patients on PostgreSQL (`make bench` runs
it as `python -m bench.patient_search`).

Registers 100,000 patients with Indian names, fathers' names and villages (first names x
surnames, so common names repeat as they do in a real registry) in the throwaway database
`opdq_bench` (bench/_common.py), then times what the desk's search box runs for each kind of
query: scheduling.patient_search.search_patients(...)[:8], evaluated, as the desk lists it. The
goal is under 50 ms at p95. Results replace the `patient-search` section of docs/benchmarks.md.
"""

from __future__ import annotations

import random
import time

from bench import _common as common

PATIENTS = 100_000
RUNS = 40
FIRST = ["Raju", "Ramesh", "Suresh", "Sunita", "Geeta", "Anita", "Mohan", "Sohan", "Kavita", "Pooja", "Amit", "Sanjay",
         "Rekha", "Manoj", "Vijay", "Lakshmi", "Savitri", "Arjun", "Deepak", "Neha", "Rahul", "Priya", "Shyam", "Radha",
         "Ganesh", "Meena", "Dinesh", "Usha", "Rakesh", "Asha", "Mukesh", "Saroj", "Harish", "Kamla", "Naresh", "Seema"]
LAST = ["Prasad", "Kumar", "Devi", "Singh", "Yadav", "Sharma", "Verma", "Gupta", "Mishra", "Pandey", "Tiwari", "Lal",
        "Chauhan", "Rawat", "Das", "Mandal", "Paswan", "Rajak", "Sahu", "Patel", "Nishad", "Kushwaha", "Maurya", "Ram"]
VILLAGES = [f"{a}{b}" for a in ["Ram", "Sita", "Shiv", "Bhagal", "Madhu", "Hari", "Chandan", "Sultan", "Kishan", "Gopal"]
            for b in ["pur", "garh", "nagar", "ganj", "bad", "pura"]]
QUERIES = [
    ("misspelt full name", "Raju Parsad"),
    ("full name", "Sunita Devi"),
    ("first name, still typing", "Kavi"),
    ("father's name", "Mohan Lal Paswan"),
    ("village", "Chandanganj"),
    ("phone (10 digits)", None),
    ("UHID", "2026050000"),
    ("ABHA number", "91-0000-0005-0000"),
    ("ABHA address", "patient50000@abdm"),
]


def main() -> None:
    _, info = common.open_bench("bench.patient_search", REDIS_URL="")
    phone = build_registry()
    rows = [(label, text or phone, *measure(text or phone)) for label, text in QUERIES]
    common.publish("patient-search", report(info, rows))


def build_registry() -> str:
    from django.db import connection

    from scheduling.models import Patient

    rng = random.Random(12)
    batch = []
    for n in range(PATIENTS):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        batch.append(Patient(
            name=f"{first} {last}", phone=f"9{n:09d}", guardian_name=f"{rng.choice(FIRST)} {rng.choice([last, 'Lal', 'Prasad'])}",
            locality=rng.choice(VILLAGES), hospital_number=f"2026{n:06d}", age=rng.randint(0, 90),
            sex=rng.choice("MF"), abha_number=f"91-0000-{n // 10000:04d}-{n % 10000:04d}" if n % 2 == 0 else None,
            abha_address=f"patient{n}@abdm" if n % 2 == 0 else None,
        ))
    Patient.objects.bulk_create(batch, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE scheduling_patient")
    return "9000070000"


def measure(text: str) -> tuple[list[float], int, str]:
    from django.db import connection

    from scheduling.models import Patient
    from scheduling.patient_search import search_patients

    timings, found = [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        found = len(list(search_patients(Patient.objects.all(), text)[:8]))
        timings.append(time.perf_counter() - started)
    sql, params = search_patients(Patient.objects.all(), text)[:8].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = " ".join(row[0] for row in cursor.fetchall())
    scans = sorted({name for name in ("_trgm", "abha_number", "abha_address", "hospital_number", "phone") if name in plan})
    uses = ", ".join(scans) if "Index" in plan else "sequential scan"
    return timings, found, uses


def report(info: dict, rows) -> str:
    lines = [
        "## Patient search over 100,000 patients (bench/patient_search.py)",
        "",
        f"`{info['command']}` on {info['cpus']} CPUs ({info['cpu']}, {info['memory']}), {info['postgres']}, "
        f"Python {info['python']}, commit {info['commit']}, {info['date']}; load average {common.loadavg()} at the end.",
        "",
        f"{PATIENTS:,} patients (36 first names x 24 surnames, so each full name is shared by about 115 patients; "
        f"60 villages; half with an ABHA). Each query is what the desk's search box runs, "
        f"`search_patients(...)[:8]` evaluated, {RUNS} times; the goal is under 50 ms at p95.",
        "",
        "| query | typed | found (of 8) | p50 / p95 / p99 ms | indexes in the plan |",
        "|---|---|---|---|---|",
    ]
    for label, text, timings, found, uses in rows:
        lines.append(f"| {label} | `{text}` | {found} | {common.latency_ms(timings)} | {uses} |")
    lines += ["", NOTES]
    return "\n".join(lines)


NOTES = """Read with the load average above: developers share these 2 cores, so a load near 10 means the
machine ran about five times oversubscribed. The misspelt two-word name is the slow case: word
similarity puts every patient whose father's name is "Raju Prasad" as near as Raju Prasad himself
(0.5), and the GiST index's nearest-first scan must visit all those near ties before it can stop.
Whole names, partial names, fathers' names and villages stop after a few index pages; phone, UHID
and ABHA are b-tree lookups. A plain GIN trigram index (tried first) found candidates fast but
re-checked and ranked every one of them: 100-250 ms for common names at the same load; the GiST
index's default 12-byte signature gave 66 ms at p50 for the misspelt name, 128 bytes about 40."""


if __name__ == "__main__":
    main()

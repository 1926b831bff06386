"""Shared plumbing for the benchmarks: a throwaway PostgreSQL database, facts about the machine,
percentiles, and writing one marked section of docs/benchmarks.md.

The database: the server named by DATABASE_URL when that is PostgreSQL, else the machine's
PostgreSQL at 127.0.0.1:5432 (user postgres), else an embedded pgserver (tests/services.py). On
that server a dedicated database (`opdq_bench`, or a bench's own name) is created, migrated and
dropped at the end; the database DATABASE_URL itself names is never written to. `open_bench` does
that whole set-up for the benches that measure in their own process.
"""

from __future__ import annotations

import atexit
import os
import platform
import re
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import psycopg

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
BENCH_DB = "opdq_bench"
LOCAL_URL = "postgres://postgres@127.0.0.1:5432/postgres"

# Production-like settings for every bench process (DEBUG off: no query log, no debug pages).
BENCH_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "LOG_LEVEL": "WARNING",
    "API_THROTTLE_RATE": "off",  # a load test is a script: it would meet the staff throttle
}


# --- database -----------------------------------------------------------------------------------


def _is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in {"postgres", "postgresql", "pgsql", "postgis"}


def _reachable(url: str) -> bool:
    try:
        psycopg.connect(**conninfo(url), connect_timeout=3).close()
        return True
    except psycopg.Error:
        return False


def find_server() -> tuple[str, str]:
    """(URL of a reachable PostgreSQL database to administer from, where it came from)."""
    url = os.environ.get("DATABASE_URL", "")
    if url and _is_postgres(url):
        return url, "DATABASE_URL"
    if url:
        print(f"DATABASE_URL is not PostgreSQL ({urlsplit(url).scheme}); the bench needs PostgreSQL", file=sys.stderr)
    if _reachable(LOCAL_URL):
        return LOCAL_URL, "127.0.0.1:5432"
    sys.path.insert(0, str(ROOT))
    saved = os.environ.pop("DATABASE_URL", None)
    from tests.services import ensure_database_url

    embedded = ensure_database_url()  # starts pgserver, deleted at exit
    if saved is not None:
        os.environ["DATABASE_URL"] = saved
    return embedded, "embedded pgserver"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def conninfo(url: str) -> dict:
    """psycopg.connect() keyword arguments for a database URL (sockets and ports as Django reads them)."""
    s = dj_database_url.parse(url)
    info = {"dbname": s["NAME"], "user": s["USER"] or None, "password": s["PASSWORD"] or None,
            "host": s["HOST"] or None, "port": s["PORT"] or None}
    return {k: v for k, v in info.items() if v not in (None, "")}


def create_bench_database(admin_url: str, name: str = BENCH_DB) -> str:
    """Create an empty database `name` next to admin_url's database; dropped again at exit."""
    with psycopg.connect(**conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    atexit.register(drop_bench_database, admin_url, name)
    return with_database(admin_url, name)


def drop_bench_database(admin_url: str, name: str = BENCH_DB) -> None:
    try:
        with psycopg.connect(**conninfo(admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error as exc:
        print(f"could not drop {name}: {exc}", file=sys.stderr)


def setup_django(database_url: str, **extra_env: str) -> None:
    """Point this process (and the processes it forks or starts) at the bench database."""
    os.environ.update(BENCH_ENV)
    os.environ.update(extra_env)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def open_bench(module: str, *, name: str = BENCH_DB, **extra_env: str) -> tuple[str, dict]:
    """The set-up every in-process bench shares: find a server, create the bench database `name`
    on it, point Django at it, migrate. Returns (its URL, the machine's facts for the report)."""
    admin_url, source = find_server()
    database_url = create_bench_database(admin_url, name)
    setup_django(database_url, **extra_env)
    from django.core.management import call_command

    print(f"bench database {name} on {source}; migrating", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    return database_url, machine(database_url, source, module)


# --- the machine ----------------------------------------------------------------------------------


def loadavg() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def machine(database_url: str, source: str, module: str) -> dict:
    """Facts about this run for a report; `module` (bench.x) names the command that ran it."""
    cpu = platform.processor() or "unknown"
    try:
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    memory = "unknown"
    try:
        kib = int(re.search(r"^MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text(), re.M).group(1))
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    with psycopg.connect(**conninfo(database_url)) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        sync = conn.execute("SHOW synchronous_commit").fetchone()[0]
        max_conn = conn.execute("SHOW max_connections").fetchone()[0]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "?"
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "postgres": f"PostgreSQL {version} ({source}; synchronous_commit={sync}, max_connections={max_conn})",
        "python": platform.python_version(),
        "commit": commit or "?",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(shlex.quote(a) for a in [Path(sys.executable).name, "-m", module, *sys.argv[1:]]),
    }


# --- numbers ------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def latency_ms(values: list[float]) -> str:
    """p50/p95/p99 in milliseconds of durations in seconds."""
    ordered = sorted(values)
    return "/".join(f"{percentile(ordered, q) * 1000:.1f}" for q in (50, 95, 99))


# --- docs/benchmarks.md ----------------------------------------------------------------------------

_HEADER = "# Benchmarks\n"


def publish(name: str, body: str, *, write: bool = True) -> None:
    """Print a bench's section, or write it into docs/benchmarks.md and say so."""
    if not write:
        print(body)
        return
    write_section(name, body)
    print(f"wrote the {name} section of {DOCS.relative_to(ROOT)}")


def write_section(name: str, body: str) -> None:
    """Replace the text between `<!-- name:start -->` and `<!-- name:end -->` (appending the
    markers if the file has none), leaving everything else in the file as it is."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = DOCS.read_text() if DOCS.exists() else _HEADER
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    tmp = DOCS.with_suffix(".md.tmp")
    tmp.write_text(text)
    tmp.replace(DOCS)

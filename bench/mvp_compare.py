"""OPD Queue beside the original MVP, over HTTP, with one load generator for both.

    python -m bench.mvp_compare [--seconds 5] [--conns 8,32] [--reps 2] [--no-pyspy] [--no-write]

- Ours: the Procfile's `web:` line, parsed from the Procfile at run time and run with `sh -c` (so a
  changed Procfile is what gets measured), PORT on a free port, DEBUG=0, its own PostgreSQL database
  `opdq_mvpcmp_ours`, Redis 127.0.0.1:6379 db 13, a Manager user's DRF token.
- The MVP (../shared/seed/opd-token-mvp, benchmarked, never copied into ours): a copy of its tree
  under .bench/ (where `manage.py makemigrations tokens` and `migrate` run, so the seed stays as it
  is), its own virtualenv from its requirements.txt (.bench/mvp-venv, cached), its own database
  `opdq_mvp_bench` on the same server, Redis db 14 (its locks), served as its deploy files do:
  `gunicorn config.wsgi:application`, here with 2 sync workers.
- Load: wrk (Debian) with bench/book.lua. POST /api/v1/tokens/ with every request a new patient,
  spread over 50 fresh slots of 50 doctors per round, at each of --conns, rounds A B A B (us, MVP,
  us, MVP). Then GET /api/v1/slots/{id}/tokens/ for a slot of 100 tokens (both), and ours only: the
  desk page and the doctor's page of a doctor with 300 queued (a Manager's session cookie).
- Per round: rate, wrk's p50/p95/p99, statuses (tallied in the Lua script), CPU per request of the
  web server's processes (utime+stime of every process in the server's session, from /proc) and of
  the PostgreSQL cluster (every postgres process plus what the postmaster reaped, from /proc).
- Then py-spy on the busiest web worker of ours under the 8-connection booking load.

Writes the `mvp-compare` section of docs/benchmarks.md; stops the servers and drops both
databases at the end.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

import psycopg

from bench import _common as common

ROOT = common.ROOT
BENCH_DIR = ROOT / ".bench"
MVP_SOURCE = Path(os.environ.get("MVP_SOURCE", ROOT.parent / "shared" / "seed" / "opd-token-mvp"))
MVP_TREE = BENCH_DIR / "opd-token-mvp"
MVP_VENV = BENCH_DIR / "mvp-venv"
LUA = ROOT / "bench" / "book.lua"
OUR_VENV_BIN = Path(sys.executable).parent
OURS_DB = "opdq_mvpcmp_ours"
MVP_DB = "opdq_mvp_bench"
OURS_REDIS = "redis://127.0.0.1:6379/13"
MVP_REDIS = "redis://127.0.0.1:6379/14"
SPREAD = 50
CAPACITY = 500  # our model's maximum per slot; the MVP's slots get the same
CLK = os.sysconf("SC_CLK_TCK")
# Issue #9: raw SQL on this machine kind books ~3,000-3,700/s over 50 slots (bench.bookings).
DB_CEILING = (3000, 3700)


# --- tools ---------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk missing: apt-get install -y wrk", flush=True)
        if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"]).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"])
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"])
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench.mvp_compare needs wrk: `sudo apt-get install -y wrk` (Debian's package)")
    return found


def wrk_version(wrk: str) -> str:
    out = subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout
    return out.split(" Copyright")[0].strip() or "wrk"


def ensure_mvp_venv() -> str:
    """The MVP's own virtualenv from its requirements.txt, cached under .bench/ (rebuilt when the
    requirements change). Returns its `pip freeze` of the pinned packages."""
    requirements = MVP_SOURCE / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    stamp = MVP_VENV / f".installed-{digest}"
    python = MVP_VENV / "bin" / "python"
    if not stamp.exists():
        shutil.rmtree(MVP_VENV, ignore_errors=True)
        print(f"creating {MVP_VENV.relative_to(ROOT)} from {requirements}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(MVP_VENV)], check=True)
        result = subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(requirements)])
        if result.returncode != 0:
            raise SystemExit(f"the MVP's requirements did not install into {MVP_VENV}: pin the nearest versions "
                             "that install on this Python and say so in docs/benchmarks.md")
        stamp.touch()
    wanted = {re.split(r"[=<>]", line)[0].strip().lower()
              for line in requirements.read_text().splitlines() if line.strip() and not line.startswith("#")}
    freeze = subprocess.run([str(python), "-m", "pip", "freeze"], capture_output=True, text=True).stdout.split()
    return ", ".join(p for p in freeze if p.split("==")[0].lower() in wanted)


def ensure_pyspy() -> str | None:
    for candidate in (OUR_VENV_BIN / "py-spy", shutil.which("py-spy")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    print("py-spy missing: pip install py-spy into the venv", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "py-spy"])
    return str(OUR_VENV_BIN / "py-spy") if (OUR_VENV_BIN / "py-spy").exists() else None


# --- databases ------------------------------------------------------------------------------------


# --- CPU from /proc -------------------------------------------------------------------------------


def _stat(pid: str) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from the 3rd (state) on


def _comm(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _pids():
    return (p for p in os.listdir("/proc") if p.isdigit())


def session_cpu(sid: int) -> dict[int, float]:
    """CPU seconds (utime+stime, plus reaped children) of every process in a session, by pid."""
    out = {}
    for pid in _pids():
        f = _stat(pid)
        if f and int(f[3]) == sid:
            out[int(pid)] = sum(int(x) for x in f[11:15]) / CLK
    return out


def postgres_cpu() -> float:
    """CPU seconds of the whole PostgreSQL cluster: every postgres process, plus the CPU of the
    backends that already exited (the postmaster's reaped-children times)."""
    total = 0.0
    for pid in _pids():
        if _comm(pid) != "postgres":
            continue
        f = _stat(pid)
        if not f:
            continue
        total += (int(f[11]) + int(f[12])) / CLK
        if _comm(f[1]) != "postgres":  # the postmaster: its parent is not postgres
            total += (int(f[13]) + int(f[14])) / CLK
    return total


# --- servers --------------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile_web() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit("Procfile has no web: line")


@dataclass
class Server:
    name: str
    command: str
    cwd: Path
    env: dict
    ready_path: str
    port: int = 0
    proc: subprocess.Popen | None = None
    log: object = None

    def start(self, wait: float = 120) -> None:
        self.log = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(["sh", "-c", self.command], cwd=self.cwd, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.tail()}")
            try:
                urllib.request.urlopen(self.url(self.ready_path), timeout=2)
                return
            except urllib.error.HTTPError:
                return  # it answered
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{self.name} not answering on port {self.port} after {wait:.0f}s: {self.tail()}")

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def cpu(self) -> dict[int, float]:
        return session_cpu(self.proc.pid)

    def tail(self, n: int = 1500) -> str:
        if not self.log:
            return ""
        self.log.seek(0)
        return self.log.read()[-n:].strip()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: the server and its workers
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
            except ProcessLookupError:
                pass


# --- fixtures: ours -------------------------------------------------------------------------------


def ours_patients(n: int) -> list[str]:
    from scheduling.models import Patient

    made = Patient.objects.bulk_create(
        (Patient(name=f"Bench patient {i}", phone=f"91{i:08d}") for i in range(n)), batch_size=5000)
    return [str(p.pk) for p in made]


def ours_slots(n: int, capacity: int = CAPACITY) -> list:
    from bench.bookings import make_slots

    return make_slots(n, capacity=capacity)


def ours_fill(slot, n: int) -> None:
    """n confirmed walk-in tokens in a slot, through the allocation service (setup, not measured)."""
    from queues.allocation import book_token

    for patient in ours_patients(n):
        book_token(slot_id=slot.id, patient_id=patient, category="WALKIN")


def ours_staff():
    """A Manager with a DRF token and a logged-in session: (token key, session cookie header)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client
    from rest_framework.authtoken.models import Token as ApiToken

    from scheduling import roles

    user = get_user_model().objects.create_user("bench-manager", password=uuid.uuid4().hex)
    user.groups.add(Group.objects.get(name=roles.MANAGER))
    key = ApiToken.objects.create(user=user).key
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return key, cookie


# --- fixtures: the MVP (SQL on its tables; it has no auth) --------------------------------------


def mvp_slots(conn, n: int, capacity: int = CAPACITY) -> list[str]:
    now = datetime.now(dt_timezone.utc)
    ids = []
    for i in range(n):
        doctor = conn.execute("INSERT INTO doctors (id, name, specialization, created_at) "
                              "VALUES (gen_random_uuid(), %s, 'General', now()) RETURNING id",
                              (f"Bench doctor {uuid.uuid4().hex[:8]}",)).fetchone()[0]
        slot = conn.execute(
            "INSERT INTO slots (id, doctor_id, start_time, end_time, max_capacity, current_capacity, status, "
            "delay_minutes, created_at) VALUES (gen_random_uuid(), %s, %s, %s, %s, 0, 'ACTIVE', 0, now()) "
            "RETURNING id", (doctor, now - timedelta(minutes=10), now + timedelta(hours=4), capacity)).fetchone()[0]
        ids.append(str(slot))
    return ids


def mvp_patients(conn, n: int) -> list[str]:
    rows = conn.execute("INSERT INTO patients (id, name, phone, email, created_at) "
                        "SELECT gen_random_uuid(), 'Bench patient ' || g, '91' || lpad(g::text, 8, '0'), NULL, now() "
                        "FROM generate_series(1, %s) g RETURNING id", (n,)).fetchall()
    return [str(r[0]) for r in rows]


def post_json(url: str, body: dict, headers: dict | None = None) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


# --- one wrk run ----------------------------------------------------------------------------------


@dataclass
class Round:
    what: str
    side: str
    conns: int
    seconds: float = 0.0
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    web_cpu: float = 0.0
    pg_cpu: float = 0.0
    ran_out: int = 0
    errors: str = ""
    load: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def non_2xx(self) -> int:
        return sum(n for s, n in self.statuses.items() if not 200 <= s < 300)

    def web_ms(self) -> float:
        return self.web_cpu * 1000 / self.requests if self.requests else float("nan")

    def pg_ms(self) -> float:
        return self.pg_cpu * 1000 / self.requests if self.requests else float("nan")


def write_ids(slots: list[str], patients: list[str]) -> str:
    fd, path = tempfile.mkstemp(prefix="opdq-mvpcmp-", suffix=".ids")
    with os.fdopen(fd, "w") as f:
        f.writelines(f"s {s}\n" for s in slots)
        f.writelines(f"p {p}\n" for p in patients)
    atexit.register(lambda: os.path.exists(path) and os.unlink(path))
    return path


def wrk_cmd(wrk: str, conns: int, seconds: float) -> list[str]:
    threads = min(2, conns)
    return [wrk, f"-t{threads}", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
            "-s", str(LUA)]


def run_wrk(wrk: str, server: Server, what: str, side: str, conns: int, seconds: float, *, mode: str,
            path: str, ids: str = "", headers: str = "", background: bool = False):
    argv = wrk_cmd(wrk, conns, seconds) + [server.url(path)]
    env = dict(os.environ, BENCH_MODE=mode, BENCH_PATH=path, BENCH_IDS=ids, BENCH_HEADERS=headers,
               BENCH_THREADS=str(min(2, conns)))
    if background:
        return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    web0, pg0 = server.cpu(), postgres_cpu()
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    web1, pg1 = server.cpu(), postgres_cpu()
    r = Round(what, side, conns, load=common.loadavg().split()[0])
    r.web_cpu = sum(web1.values()) - sum(v for pid, v in web0.items() if pid in web1)
    r.pg_cpu = pg1 - pg0
    parse_wrk(result.stdout + result.stderr, r)
    return r


def parse_wrk(output: str, r: Round) -> None:
    for line in output.splitlines():
        parts = line.split()
        if not parts or parts[0] != "BENCH":
            continue
        key, rest = parts[1], parts[2:]
        if key == "status":
            r.statuses[int(rest[0])] += int(rest[1])
        elif key == "requests":
            r.requests = int(rest[0])
        elif key == "duration_us":
            r.seconds = int(rest[0]) / 1e6
        elif key in ("p50_us", "p95_us", "p99_us"):
            setattr(r, key[:3], int(rest[0]) / 1000)
        elif key == "ran_out":
            r.ran_out = int(rest[0])
        elif key == "errors":
            bad = [kv for kv in rest if not kv.endswith("=0") and not kv.startswith("status=")]
            r.errors = " ".join(bad)
    if not r.requests:
        r.errors = (r.errors + " wrk said: " + output.strip()[-400:]).strip()


def show(r: Round) -> None:
    print(f"{r.what:28} {r.side:4} c={r.conns:<3} {r.rate:7.0f}/s p50/95/99={r.p50:.1f}/{r.p95:.1f}/{r.p99:.1f} ms "
          f"{dict(r.statuses)} web {r.web_ms():.2f} ms/req pg {r.pg_ms():.2f} ms/req load={r.load}"
          + (f" ran_out={r.ran_out}" if r.ran_out else "") + (f" {r.errors}" if r.errors else ""), flush=True)


# --- py-spy -----------------------------------------------------------------------------------------


def pyspy_profile(pyspy: str, wrk: str, server: Server, ids: str, headers: str, seconds: float,
                  extra: tuple[str, ...] = ()) -> dict:
    """py-spy record (raw collapsed stacks) of the busiest web process under 8-connection bookings."""
    load = run_wrk(wrk, server, "py-spy", "ours", 8, seconds + 4, mode="post", path="/api/v1/tokens/",
                   ids=ids, headers=headers, background=True)
    try:
        time.sleep(1.5)
        before = server.cpu()
        time.sleep(1.0)
        after = server.cpu()
        pid = max(after, key=lambda p: after[p] - before.get(p, after[p]))
        out = Path(tempfile.mkstemp(prefix="opdq-pyspy-", suffix=".txt")[1])
        argv = [pyspy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
                "--format", "raw", "--function", *extra, "--output", str(out)]
        result = subprocess.run(argv, capture_output=True, text=True)
        text = out.read_text() if out.exists() else ""
        out.unlink(missing_ok=True)
    finally:
        load.wait(seconds + 30)
    info = {"pid": pid, "argv": " ".join(shlex.quote(a) for a in argv[:1] + ["record", "--pid", "<worker>"]
                                          + argv[4:-2]),
            "returncode": result.returncode, "stderr": (result.stderr or "").strip()[-600:]}
    info.update(summarise_stacks(text))
    return info


def _short(frame: str) -> str:
    """'func (path/to/file.py:12)' without the site-packages or checkout prefix."""
    m = re.match(r"^(.*) \((.*?)(?::(\d+))?\)$", frame)
    if not m:
        return frame
    func, path, line = m.groups()
    for marker in ("site-packages/", "lib/python3.11/", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{func} ({path}{':' + line if line else ''})"


def _package(frame: str) -> str:
    m = re.match(r"^.* \((.*?)(?::\d+)?\)$", frame)
    path = m.group(1) if m else frame
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if str(ROOT) in path:
        return path.split(str(ROOT) + "/", 1)[1].split("/", 1)[0] + " (ours)"
    if "/python3" in path:
        return "stdlib"
    return path.split("/", 1)[0] or "?"


# Frames every sample of a thread carries (process and thread start-up): left out of the "total" table.
_GENERIC = re.compile(r"multiprocessing/|threading\.py|uvicorn/(_subprocess\.py|supervisors/|server\.py|_compat\.py)|"
                      r"asyncio/(runners|base_events)\.py|<string>|concurrent/futures/thread\.py")
# Landmarks of the request path: share of samples with such a frame anywhere on the stack.
LANDMARKS = [
    ("event-loop thread (uvicorn, asyncio, the async middleware and handler)", r"^Runner\.run \(asyncio/runners"),
    ("sync thread of the request (asgiref SyncToAsync: sync middleware, view, service)",
     r"^SyncToAsync\.thread_handler "),
    ("DRF view (APIView.dispatch)", r"^APIView\.dispatch "),
    ("DRF authentication", r"perform_authentication|TokenAuthentication\."),
    ("allocation service (queues.allocation.book_token)", r"^book_token \(queues/allocation"),
    ("building the response (serializers, annotate_tokens)", r"Serializer\.data |to_representation|annotate_tokens"),
    ("after-commit broadcast (queues/broadcast.py)", r"\(queues/broadcast\.py"),
    ("psycopg (executing, waiting on PostgreSQL)", r"\(psycopg/"),
]


def summarise_stacks(text: str, top: int = 12) -> dict:
    own, inclusive, packages, total = Counter(), Counter(), Counter(), 0
    marks = Counter()
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        own[_short(frames[-1])] += n
        packages[_package(frames[-1])] += n
        shorts = {_short(f) for f in frames}
        for frame in shorts:
            inclusive[frame] += n
        for label, pattern in LANDMARKS:
            if any(re.search(pattern, f) for f in shorts):
                marks[label] += n
    specific = [(f, n) for f, n in inclusive.most_common() if not _GENERIC.search(f)]
    return {"samples": total, "self": own.most_common(top), "total": specific[:top],
            "packages": packages.most_common(10), "landmarks": [(label, marks[label]) for label, _ in LANDMARKS]}


# --- report ------------------------------------------------------------------------------------------


def _merge(rounds: list[Round]) -> Round:
    """Rounds of one side as one: requests, time and CPU added up; percentiles weighted by requests."""
    r = Round(rounds[0].what, rounds[0].side, rounds[0].conns)
    for x in rounds:
        r.seconds += x.seconds
        r.requests += x.requests
        r.statuses.update(x.statuses)
        r.web_cpu += x.web_cpu
        r.pg_cpu += x.pg_cpu
        r.ran_out += x.ran_out
        r.errors = " ".join(e for e in (r.errors, x.errors) if e)
    for q in ("p50", "p95", "p99"):
        setattr(r, q, sum(getattr(x, q) * x.requests for x in rounds) / r.requests if r.requests else 0)
    r.load = "/".join(x.load for x in rounds)
    return r


def _statuses(r: Round) -> str:
    return ", ".join(f"{k}: {v:,}" for k, v in sorted(r.statuses.items())) or "—"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "—"


def render(info, args, rounds, pages, profile, notes, ours_cmd, mvp_cmd, mvp_freeze, wrk_v, loads, took) -> str:
    out = ["## OPD Queue beside the original MVP over HTTP (bench/mvp_compare.py)", ""]
    out.append(f"- Date: {info['date']}; commit `{info['commit']}`; {took:.0f} s in all")
    out.append(f"- Command: `make bench BENCHES=mvp_compare` (runs `{info['command']}`)")
    out.append(f"- Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']} memory; {info['postgres']}; "
               f"Python {info['python']}; Redis 127.0.0.1:6379 (db 13 ours, db 14 the MVP's locks)")
    out.append(f"- Load average (1/5/15 min): {loads[0]} at the start, {loads[1]} at the end. The machine is shared "
               "with other developers' work, and wrk runs on the same 2 CPUs as both servers and PostgreSQL, "
               "so absolute figures are noisy; the ratios, from A B A B rounds in the same minutes, are the "
               "figures to watch.")
    out.append(f"- Ours: the Procfile's `web:` line, run as `sh -c` with PORT, DEBUG=0, DATABASE_URL "
               f"(database `{OURS_DB}`), REDIS_URL db 13, API_THROTTLE_RATE=off (bench/_common.py: a load test would meet the staff throttle): "
               f"`{ours_cmd}` (its access log off, as the Procfile says).")
    out.append(f"- The MVP: `{mvp_cmd}` from a copy of its tree in `.bench/` (`makemigrations tokens` and `migrate` "
               f"run there), database `{MVP_DB}`, DEBUG=False, its own virtualenv `.bench/mvp-venv` from its "
               f"requirements.txt, every pin installed as written on Python {info['python']}: {mvp_freeze}.")
    out.append(f"- Load generator: {wrk_v} with `bench/book.lua`, 2 threads, keep-alive connections; each round "
               f"{args.seconds:g} s after a warm-up of each server. Bookings: `POST /api/v1/tokens/` "
               "`{\"slot_id\", \"patient_id\", \"category\": \"WALKIN\"}` (the same body for both; ours with a "
               f"Manager's `Authorization: Token`, the MVP has no auth), every request a new patient (the threads "
               f"take disjoint ranges of pre-created patients), dealt round-robin over {SPREAD} fresh slots of "
               f"{SPREAD} doctors per round (capacity {CAPACITY}, so every booking appends and confirms).")
    out.append("- CPU ms per request: the web server's processes (utime+stime of every process in its session, "
               "from /proc, before and after the round) and the whole PostgreSQL cluster (every postgres process "
               "plus the postmaster's reaped children), divided by the round's responses. The cluster is shared: "
               "its figure includes anything else running on it during the round.")
    out.append("")
    by = defaultdict(list)
    for r in rounds:
        by[(r.what, r.conns, r.side)].append(r)
    keys = []
    for r in rounds:
        if (r.what, r.conns) not in keys:
            keys.append((r.what, r.conns))
    out.append("| request | conns | ours req/s | MVP req/s | **rate ours ÷ MVP** | ours p50/p95/p99 ms | "
               "MVP p50/p95/p99 ms | ours web CPU ms/req | MVP web CPU ms/req | **web CPU ours ÷ MVP** | "
               "ours PG CPU ms/req | MVP PG CPU ms/req | PG ours ÷ MVP | statuses ours · MVP |")
    out.append("|---|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---|")
    summary = {}
    for what, conns in keys:
        a = _merge(by[(what, conns, "ours")])
        b = _merge(by[(what, conns, "mvp")]) if by[(what, conns, "mvp")] else None
        summary[(what, conns)] = (a, b)
        if b:
            out.append(f"| {what} | {conns} | {a.rate:,.0f} | {b.rate:,.0f} | **{_ratio(a.rate, b.rate)}** | "
                       f"{a.p50:.1f}/{a.p95:.1f}/{a.p99:.1f} | {b.p50:.1f}/{b.p95:.1f}/{b.p99:.1f} | "
                       f"{a.web_ms():.2f} | {b.web_ms():.2f} | **{_ratio(a.web_ms(), b.web_ms())}** | "
                       f"{a.pg_ms():.2f} | {b.pg_ms():.2f} | {_ratio(a.pg_ms(), b.pg_ms())} | "
                       f"{_statuses(a)} · {_statuses(b)} |")
        else:
            out.append(f"| {what} | {conns} | {a.rate:,.0f} | — | — | {a.p50:.1f}/{a.p95:.1f}/{a.p99:.1f} | — | "
                       f"{a.web_ms():.2f} | — | — | {a.pg_ms():.2f} | — | — | {_statuses(a)} |")
    out.append("")
    out.append(f"Each row: the rounds of each side added up ({args.reps} per side for the API rows, A B A B: "
               "requests, time and CPU summed; the percentiles are wrk's per round, averaged weighted by requests).")
    out.append("")
    # goals of issue #9
    out.append("Against the goals of issue #9 (web CPU per booking ≤ 0.5× the MVP's; bookings/s ≥ 2× the MVP's at 8 "
               "and at 32 connections; 0 errors):")
    out.append("")
    for (what, conns), (a, b) in summary.items():
        if not what.startswith("POST") or not b:
            continue
        web, rate = a.web_ms() / b.web_ms() if b.web_ms() else float("nan"), a.rate / b.rate if b.rate else float("nan")
        ceiling = f"{a.rate / DB_CEILING[1] * 100:.0f}-{a.rate / DB_CEILING[0] * 100:.0f}%"
        out.append(f"- {conns} connections: web CPU {a.web_ms():.1f} vs {b.web_ms():.1f} ms = {web:.2f}× "
                   f"({'met' if web <= 0.5 else 'not met'}); rate {a.rate:,.0f} vs {b.rate:,.0f}/s = {rate:.2f}× "
                   f"({'met' if rate >= 2 else 'not met'}); non-2xx ours {a.non_2xx}, MVP {b.non_2xx}; ours reaches "
                   f"{ceiling} of the raw-SQL ceiling over 50 slots (~3,000-3,700/s, issue #9).")
    out.append("")
    out.append("<details><summary>Every round, in the order run</summary>")
    out.append("")
    out.append("| request | side | conns | req/s | p50/p95/p99 ms | statuses | web CPU ms/req | PG CPU ms/req | load |")
    out.append("|---|---|---:|---:|---|---|---:|---:|---:|")
    for r in rounds + pages:
        out.append(f"| {r.what} | {r.side} | {r.conns} | {r.rate:,.0f} | {r.p50:.1f}/{r.p95:.1f}/{r.p99:.1f} | "
                   f"{_statuses(r)}{' ran out of patients' if r.ran_out else ''}{' ' + r.errors if r.errors else ''} | "
                   f"{r.web_ms():.2f} | {r.pg_ms():.2f} | {r.load} |")
    out.append("")
    out.append("</details>")
    out.append("")
    if pages:
        out.append("Ours only, pages with a Manager's session cookie (the MVP has no pages): the desk (`/desk/`, "
                   "today's board of the doctors the bench made: one with 300 queued, one slot of 100) and the "
                   "doctor's page (`/doctor/<id>/`) of the doctor with 300 queued:")
        out.append("")
        out.append("| page | conns | req/s | p50/p95/p99 ms | statuses | web CPU ms/req | PG CPU ms/req |")
        out.append("|---|---:|---:|---|---|---:|---:|")
        page_by = defaultdict(list)
        for r in pages:
            page_by[(r.what, r.conns)].append(r)
        for (what, conns), rs in page_by.items():
            m = _merge(rs)
            out.append(f"| {what} | {conns} | {m.rate:,.0f} | {m.p50:.1f}/{m.p95:.1f}/{m.p99:.1f} | {_statuses(m)} | "
                       f"{m.web_ms():.2f} | {m.pg_ms():.2f} |")
        out.append("")
    out.append("### Where ours spends its Python CPU (py-spy, one web worker, 8-connection bookings)")
    out.append("")
    if profile and profile.get("samples"):
        s = profile["samples"]
        out.append(f"`{profile['argv']}` for {args.pyspy_seconds:g} s on the busiest worker (pid {profile['pid']}) "
                   f"while wrk ran the booking load at 8 connections over {SPREAD} slots; {s:,} samples of "
                   f"threads holding the GIL (`{args.pyspy_args}`: Python running, not waiting on sockets or locks), "
                   "aggregated by function (`--function`), from the raw collapsed stacks; the worker itself is "
                   "paused for each sample (py-spy's default), so its rate drops a little meanwhile.")
        out.append("")
        out.append("| function (self: the leaf of the sample) | self |")
        out.append("|---|---:|")
        for frame, n in profile["self"]:
            out.append(f"| `{frame}` | {n / s * 100:.1f}% |")
        out.append("")
        out.append("| function (total: anywhere on the stack; thread and process start-up frames left out) | total |")
        out.append("|---|---:|")
        for frame, n in profile["total"]:
            out.append(f"| `{frame}` | {n / s * 100:.1f}% |")
        out.append("")
        out.append("| part of the request path (anywhere on the stack) | share |")
        out.append("|---|---:|")
        for label, n in profile["landmarks"]:
            out.append(f"| {label} | {n / s * 100:.1f}% |")
        out.append("")
        out.append("Self samples by package: " + ", ".join(f"{p} {n / s * 100:.0f}%" for p, n in profile["packages"])
                   + ".")
    elif profile:
        out.append(f"py-spy could not record (exit {profile.get('returncode')}): `{profile.get('stderr', '')}`. "
                   "It was run as root on the worker's pid; ptrace may be blocked in this container "
                   "(kernel.yama.ptrace_scope, or no CAP_SYS_PTRACE).")
    else:
        out.append("Not run (--no-pyspy, or py-spy could not be installed).")
    out.append("")
    out.append("Recipe by hand: start the Procfile's web line, drive it (e.g. `BENCH_MODE=post BENCH_IDS=ids.txt "
               "BENCH_HEADERS='Authorization: Token …' BENCH_THREADS=2 wrk -t2 -c8 -d15s -s bench/book.lua "
               "http://127.0.0.1:$PORT/api/v1/tokens/`), then `.venv/bin/py-spy top --pid <worker>` to watch, or "
               "`.venv/bin/py-spy record --pid <worker> --duration 10 --format raw --function --gil -o "
               "stacks.txt` and sum the collapsed stacks (bench.mvp_compare.summarise_stacks), or `--format "
               "speedscope` to browse them at speedscope.app.")
    for note in notes:
        out.append("")
        out.append(note)
    return "\n".join(out)


# --- main --------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per measured round (default 5)")
    parser.add_argument("--conns", default="8,32", help="connection counts for the bookings (default 8,32)")
    parser.add_argument("--reps", type=int, default=2, help="rounds per side and case, A B A B (default 2)")
    parser.add_argument("--max-rate", type=int, default=2500,
                        help="patients made per round per second of round (default 2500; the Lua script reports "
                             "when it runs out)")
    parser.add_argument("--pyspy-seconds", type=float, default=10.0)
    parser.add_argument("--pyspy-args", default="--gil",
                        help="more py-spy record options (default --gil: only samples holding the GIL, i.e. "
                             "Python running, not threads waiting on sockets or locks)")
    parser.add_argument("--no-pyspy", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print, do not write docs/benchmarks.md")
    parser.add_argument("--web", default="", help="serve ours with this command instead of the Procfile's web: "
                        "line (to weigh another server; implies --no-write)")
    args = parser.parse_args(argv)
    conns_list = [int(c) for c in args.conns.split(",") if c.strip()]
    started = time.monotonic()

    wrk = ensure_wrk()
    mvp_freeze = ensure_mvp_venv()
    admin_url, source = common.find_server()
    ours_url = common.create_bench_database(admin_url, OURS_DB)
    mvp_url = common.create_bench_database(admin_url, MVP_DB)
    common.setup_django(ours_url, REDIS_URL=OURS_REDIS)
    from django.core.management import call_command
    from django.db import connections

    print(f"databases {OURS_DB}, {MVP_DB} on {source}; migrating ours", flush=True)
    call_command("migrate", verbosity=0, interactive=False)

    # the MVP's tree, migrated in its copy
    shutil.rmtree(MVP_TREE, ignore_errors=True)
    shutil.copytree(MVP_SOURCE, MVP_TREE, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".env", "migrations"))
    mvp_bin = MVP_VENV / "bin"
    mvp_env = {"PATH": f"{mvp_bin}:/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"),
               "LANG": "C.UTF-8", "DATABASE_URL": mvp_url, "REDIS_URL": MVP_REDIS, "DEBUG": "False",
               "SECRET_KEY": common.BENCH_ENV["SECRET_KEY"], "ALLOWED_HOSTS": "127.0.0.1",
               "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONDONTWRITEBYTECODE": "1"}
    for step in (["makemigrations", "tokens"], ["migrate", "--noinput"]):
        done = subprocess.run([str(mvp_bin / "python"), "manage.py", *step, "-v", "0"], cwd=MVP_TREE, env=mvp_env,
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"MVP {' '.join(step)} failed: {done.stderr[-1500:]}")

    info = common.machine(ours_url, source, "bench.mvp_compare")
    loads = [common.loadavg()]
    notes = []

    ours_cmd = args.web or procfile_web()
    args.no_write = args.no_write or bool(args.web)
    ours_env = dict(os.environ, **common.BENCH_ENV)
    ours_env.update(DATABASE_URL=ours_url, REDIS_URL=OURS_REDIS, ALLOWED_HOSTS="127.0.0.1",
                    PATH=f"{OUR_VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}", VIRTUAL_ENV=str(OUR_VENV_BIN.parent))
    ours_env.pop("DJANGO_SETTINGS_MODULE", None)
    ours_env.setdefault("WEB_CONCURRENCY", "2")
    ours = Server("ours", ours_cmd, ROOT, ours_env, "/healthz")
    mvp_cmd_tpl = "gunicorn config.wsgi:application --workers 2 --bind 127.0.0.1:{port}"
    mvp = Server("mvp", "", MVP_TREE, mvp_env, "/api/v1/")
    servers = [ours, mvp]
    rounds: list[Round] = []
    pages: list[Round] = []
    profile = None
    try:
        ours.port = free_port()
        ours.env["PORT"] = str(ours.port)
        mvp.port = free_port()
        mvp.command = mvp_cmd_tpl.format(port=mvp.port)
        print(f"starting ours: {ours_cmd} (PORT={ours.port})", flush=True)
        ours.start()
        print(f"starting the MVP: {mvp.command}", flush=True)
        mvp.start()

        token_key, cookie = ours_staff()
        auth = f"Authorization: Token {token_key}"
        mvp_conn = psycopg.connect(**common.conninfo(mvp_url), autocommit=True)

        # -- reads: a slot of 100 tokens (both); the desk and a doctor with 300 queued (ours) --
        ours_slot100 = ours_slots(1)[0]
        ours_fill(ours_slot100, 100)
        ours_doctor300 = ours_slots(1)[0]
        ours_fill(ours_doctor300, 300)
        mvp_slot100 = mvp_slots(mvp_conn, 1)[0]
        bad = Counter(post_json(mvp.url("/api/v1/tokens/"), {"slot_id": mvp_slot100, "patient_id": p,
                                                              "category": "WALKIN"})
                      for p in mvp_patients(mvp_conn, 100))
        if set(bad) != {201}:
            notes.append(f"Filling the MVP's slot of 100 answered {dict(bad)}.")
        connections.close_all()
        reads = [("GET /api/v1/slots/{id}/tokens/ (100)", f"/api/v1/slots/{ours_slot100.id}/tokens/", auth,
                  f"/api/v1/slots/{mvp_slot100}/tokens/")]
        page_reads = [("GET /desk/", "/desk/", f"Cookie: {cookie}"),
                      ("GET /doctor/<id>/ (300 queued)", f"/doctor/{ours_doctor300.doctor_id}/", f"Cookie: {cookie}")]
        for what, path, headers, mvp_path in reads:  # warm, then A B A B
            run_wrk(wrk, ours, what, "ours", 8, 1, mode="get", path=path, headers=headers)
            run_wrk(wrk, mvp, what, "mvp", 8, 1, mode="get", path=mvp_path)
            for _ in range(args.reps):
                for side, server, p, h in (("ours", ours, path, headers), ("mvp", mvp, mvp_path, "")):
                    r = run_wrk(wrk, server, what, side, 8, args.seconds, mode="get", path=p, headers=h)
                    show(r)
                    rounds.append(r)
        for what, path, headers in page_reads:
            run_wrk(wrk, ours, what, "ours", 8, 1, mode="get", path=path, headers=headers)
        for _ in range(args.reps):
            for what, path, headers in page_reads:
                r = run_wrk(wrk, ours, what, "ours", 8, args.seconds, mode="get", path=path, headers=headers)
                show(r)
                pages.append(r)

        # -- bookings --
        def ours_ids(seconds):
            ids = write_ids([str(s.id) for s in ours_slots(SPREAD)], ours_patients(int(seconds * args.max_rate) + 200))
            connections.close_all()
            return ids

        def mvp_ids(seconds):
            return write_ids(mvp_slots(mvp_conn, SPREAD), mvp_patients(mvp_conn, int(seconds * args.max_rate) + 200))

        what = "POST /api/v1/tokens/"
        run_wrk(wrk, ours, "warm-up", "ours", 8, 2, mode="post", path="/api/v1/tokens/", ids=ours_ids(2), headers=auth)
        run_wrk(wrk, mvp, "warm-up", "mvp", 8, 2, mode="post", path="/api/v1/tokens/", ids=mvp_ids(2))
        for conns in conns_list:
            for _ in range(args.reps):
                for side, server, make, headers in (("ours", ours, ours_ids, auth), ("mvp", mvp, mvp_ids, "")):
                    ids = make(args.seconds)
                    r = run_wrk(wrk, server, what, side, conns, args.seconds, mode="post", path="/api/v1/tokens/",
                                ids=ids, headers=headers)
                    show(r)
                    rounds.append(r)
        mvp_conn.close()

        if not args.no_pyspy:
            pyspy = ensure_pyspy()
            if pyspy:
                print("py-spy on one of our web workers", flush=True)
                profile = pyspy_profile(pyspy, wrk, ours, ours_ids(args.pyspy_seconds + 4), auth, args.pyspy_seconds,
                                        tuple(shlex.split(args.pyspy_args)))
                print(f"py-spy: {profile.get('samples', 0)} samples {profile.get('stderr', '')[:300]}", flush=True)
                for frame, n in profile.get("self", [])[:12]:
                    print(f"  {n / max(1, profile['samples']) * 100:5.1f}%  {frame}")
            else:
                notes.append("py-spy could not be installed with pip, so there is no profile.")
        for s in servers:
            if s.proc and s.proc.poll() is not None:
                notes.append(f"{s.name} stopped during the run: {s.tail(400)}")
    finally:
        for s in servers:
            s.stop()
        connections.close_all()
    loads.append(common.loadavg())
    text = render(info, args, rounds, pages, profile, notes, ours_cmd, mvp.command.replace(str(mvp.port), "$PORT"),
                  mvp_freeze, wrk_version(wrk), loads, time.monotonic() - started)
    common.publish("mvp-compare", text, write=not args.no_write)
    print(f"bench.mvp_compare took {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

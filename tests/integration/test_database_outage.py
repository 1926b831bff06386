"""PostgreSQL stopped under load, then started again: every request in the outage is answered
quickly with a 503 and Retry-After (JSON to the API, a page to staff), never a 500 or a hang;
nothing is half-written; bookings succeed again once the database is back.

The database is a private cluster started by this test (tests/private_postgres.py), never the
machine's shared server."""

import json
import threading
import time
import urllib.error
import urllib.request

import psycopg
import pytest

from tests.private_postgres import PrivatePostgres, manage
from tests.webserver import ROOT, free_port, start_web, stop_web, web_env

SETUP = """
import json, django
django.setup()
from datetime import timedelta
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from rest_framework.authtoken.models import Token
from scheduling.models import Doctor, Patient, Slot
from tests.staff import make_staff

doctor = Doctor.objects.create(name="Dr. Outage", room="1")
start = timezone.now() - timedelta(minutes=10)
slot = Slot.objects.create(doctor=doctor, start_time=start, end_time=start + timedelta(hours=2), max_capacity=500)
patients = [str(Patient.objects.create(name=f"Patient {n}", phone=f"98{n:08d}").pk) for n in range(400)]
desk = make_staff("desk", "Reception")
session = SessionStore()
session.update({SESSION_KEY: str(desk.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: desk.get_session_auth_hash()})
session.create()
print(json.dumps({"slot": str(slot.pk), "patients": patients, "key": Token.objects.create(user=desk).key,
                  "session": session.session_key}))
"""


class Load:
    """Bookings from three threads and a desk page from a fourth, until stopped; every answer
    is kept with when it was sent and how long it took."""

    def __init__(self, port, world):
        self.base, self.world = f"http://127.0.0.1:{port}", world
        self.answers, self.stop = [], threading.Event()
        self.patients = iter(world["patients"])
        self.lock = threading.Lock()

    def _send(self, kind, request):
        sent = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        with self.lock:
            self.answers.append({"kind": kind, "sent": sent, "took": time.monotonic() - sent, "status": status,
                                 "retry_after": headers.get("Retry-After"), "type": headers.get("Content-Type", ""),
                                 "body": body})

    def _book(self):
        while not self.stop.is_set():
            with self.lock:
                patient = next(self.patients)
            body = json.dumps({"slot_id": self.world["slot"], "patient_id": patient, "category": "WALKIN"}).encode()
            self._send("book", urllib.request.Request(
                f"{self.base}/api/v1/tokens/", data=body, method="POST",
                headers={"Content-Type": "application/json", "Authorization": f"Token {self.world['key']}"}))

    def _desk(self):
        while not self.stop.is_set():
            self._send("desk", urllib.request.Request(
                f"{self.base}/desk/", headers={"Cookie": f"sessionid={self.world['session']}"}))
            time.sleep(0.1)

    def __enter__(self):
        self.threads = [threading.Thread(target=t) for t in (self._book, self._book, self._book, self._desk)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(60)

    def since(self, moment):
        with self.lock:
            return [a for a in self.answers if a["sent"] >= moment]


def wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def private_postgres():
    server = PrivatePostgres()
    server.start()
    yield server
    server.remove()


def test_stopping_postgresql_under_load_gives_quick_503s_and_no_partial_writes(private_postgres):
    env = web_env(private_postgres.url, "")
    manage(env, "migrate", "--noinput")
    world = json.loads(manage(dict(env, PYTHONPATH=str(ROOT)), code=SETUP))
    port = free_port()
    web = start_web(port, env)
    try:
        with Load(port, world) as load:
            assert wait_for(lambda: any(a["status"] == 201 for a in load.answers), 30)
            stopped = time.monotonic()
            private_postgres.stop()
            time.sleep(4)
            restarted = time.monotonic()
            private_postgres.start()
            assert wait_for(lambda: any(a["status"] == 201 for a in load.since(restarted)), 60), "bookings never resumed"
    finally:
        stop_web([web])

    # Sent while the database was down: all refused, quickly, with a reason and a time to retry.
    down = [a for a in load.answers if stopped + 0.5 <= a["sent"] < restarted]
    assert {a["kind"] for a in down} == {"book", "desk"}
    assert {a["status"] for a in down} == {503}
    assert all(a["retry_after"] and int(a["retry_after"]) >= 1 for a in down)
    assert all(a["type"].startswith("application/json") for a in down if a["kind"] == "book")
    assert all(json.loads(a["body"])["code"] == "database_unavailable" for a in down if a["kind"] == "book")
    assert all(a["type"].startswith("text/html") and b"try again" in a["body"] for a in down if a["kind"] == "desk")
    assert max(a["took"] for a in down) < 6, "a request hung on the database instead of answering 503"
    # Never a 500, before, during or after the outage.
    unexpected = [(a["status"], a["kind"], a["body"][:300]) for a in load.answers if a["status"] not in (200, 201, 503)]
    assert unexpected == []

    # Nothing half-written: every token has its booking event and a number in an unbroken run that
    # the ledger agrees with; every booking answered 201 is there.
    with psycopg.connect(private_postgres.url.replace("postgres://", "postgresql://")) as db:
        tokens = dict(db.execute("SELECT id::text, token_number FROM queues_token").fetchall())
        booked = [row[0] for row in db.execute("SELECT token_id::text FROM queues_queueevent WHERE kind = 'BOOKED'")]
        (last,) = db.execute("SELECT last_token_number FROM queues_doctorday").fetchone()
    assert sorted(booked) == sorted(tokens)
    assert sorted(tokens.values()) == list(range(1, last + 1))
    confirmed = [json.loads(a["body"])["id"] for a in load.answers if a["status"] == 201]
    assert set(confirmed) <= set(tokens) and len(confirmed) == len(set(confirmed))

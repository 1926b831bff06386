"""The restore drill of docs/operations.md, for real: a day of bookings is dumped with pg_dump,
restored with pg_restore into a fresh database, the allocation invariants hold on the restored
data, and the app, started on the restored database, serves it."""

import json
import shutil
import subprocess
import sys
import urllib.request
import uuid

import psycopg
import pytest
from django.db import connection
from rest_framework.authtoken.models import Token as ApiToken

from queues import allocation
from tests.concurrency import invariants, workers
from tests.staff import make_staff
from tests.webserver import database_url_of_test_db, free_port, start_web, stop_web, web_env

pytestmark = pytest.mark.django_db(transaction=True)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        pytest.skip(f"{name} is not installed (apt-get install -y postgresql-client)")
    return path


def _admin(url: str):
    return psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True)


@pytest.fixture
def fresh_database():
    """The URL of a new, empty database beside the test database; dropped afterwards."""
    source = database_url_of_test_db()
    name = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    with _admin(source) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield source.rsplit("/", 1)[0] + "/" + name
    with _admin(source) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def a_busy_morning() -> dict:
    """One doctor's day through the services: bookings, a waiting list, a cancellation that
    promotes, an emergency over capacity, a consultation called and completed."""
    clinic = workers.open_clinic(capacities=[3], patients=6)
    slot, people = clinic["slots"][0], clinic["patients"]
    booked = [allocation.book_token(slot_id=slot, patient_id=p, category=c).token
              for p, c in zip(people[:3], ["WALKIN", "ONLINE", "WALKIN"])]
    allocation.book_token(slot_id=slot, patient_id=people[3], category="WALKIN")  # waiting list
    allocation.book_token(slot_id=slot, patient_id=people[4], category="ONLINE")  # waiting list
    allocation.cancel_token(token_id=booked[1].pk, reason="Left")  # promotes the first waiting
    allocation.insert_emergency(slot_id=slot, patient_id=people[5])  # over capacity
    called = allocation.call_next(slot_id=slot)
    allocation.complete_token(token_id=called.pk)
    return clinic


def facts_in(database_url: str, doctor: str) -> dict:
    """workers.day_facts read by a process of the app on another database."""
    code = ("import json, os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup(); "
            "from tests.concurrency.workers import day_facts; "
            f"print(json.dumps(day_facts(doctor={doctor!r})))")
    env = web_env(database_url, "")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_dump_restores_into_a_fresh_database_whose_queue_is_intact_and_served(fresh_database, tmp_path):
    pg_dump, pg_restore = _tool("pg_dump"), _tool("pg_restore")
    clinic = a_busy_morning()
    api_key = ApiToken.objects.create(user=make_staff("desk", "Reception")).key
    before = json.loads(json.dumps(workers.day_facts(doctor=clinic["doctor"])))

    # The backup and the restore, as docs/operations.md gives them.
    dump = tmp_path / "opdq.dump"
    subprocess.run([pg_dump, "--format=custom", "--no-owner", "--file", str(dump), database_url_of_test_db()],
                   check=True, timeout=120)
    subprocess.run([pg_restore, "--no-owner", "--exit-on-error", "--dbname", fresh_database, str(dump)],
                   check=True, timeout=120)

    after = facts_in(fresh_database, clinic["doctor"])
    assert after == before
    assert {t["status"] for t in after["tokens"]} >= {"COMPLETED", "CANCELLED", "ARRIVED"}  # the day had all of it
    invariants.assert_numbers_unique_and_never_reused(after)
    invariants.assert_waiting_numbers_unique_and_never_reused(after)
    invariants.assert_one_event_per_outcome(after)
    invariants.assert_one_active_booking_per_patient(after)
    slot_events = [e for e in after["events"] if e["kind"] in {"BOOKED", "WAITLISTED", "EMERGENCY", "CANCELLED", "PROMOTED"}]
    held, waiting, promotions = invariants.replay(slot_events, after["tokens"], capacity=3)
    assert (held, waiting, promotions) == (4, 1, [1])  # 3 booked, one cancelled and one promoted, the emergency; one still waiting

    # The app on the restored database: healthy, and its API lists the same queue.
    port = free_port()
    web = start_web(port, web_env(fresh_database, ""))
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            assert json.load(response) == {"status": "ok"}
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/slots/{clinic['slots'][0]}/tokens/",
                                         headers={"Authorization": f"Token {api_key}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            served = json.load(response)
    finally:
        stop_web([web])
    rows = served["results"] if isinstance(served, dict) else served
    in_queue = [t["number"] for t in before["tokens"] if t["status"] in invariants.ACTIVE]
    assert in_queue and sorted(t["token_number"] for t in rows) == sorted(in_queue)

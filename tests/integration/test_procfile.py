"""The Procfile as a platform runs it: its `release:` line migrates a new database and its `web:`
line serves the whole app (pages, static files, the API and websockets) on $PORT, with DEBUG=0.
The lines are read from the Procfile itself, so a changed server command is what gets tested."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
import websockets
from django.db import connection
from rest_framework.authtoken.models import Token as ApiToken

from queues.models import Display
from tests.staff import make_staff
from tests.webserver import ROOT, database_url_of_test_db, free_port, wait_for_port

pytestmark = pytest.mark.django_db(transaction=True)


def procfile_line(kind: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{kind}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"the Procfile has no {kind}: line")


def production_env(database: str, redis_url: str, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}"  # the platform's python: ours
    env.update(DATABASE_URL=database_url_of_test_db(database), REDIS_URL=redis_url, PORT=str(port), DEBUG="0",
               SECRET_KEY="procfile-test-" + "x" * 40, ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="0",
               WEB_CONCURRENCY="1", LOG_LEVEL="WARNING")
    return env


@pytest.fixture
def web(redis_url, transactional_db):
    """The web: line on a free port, on the test database; yields the port."""
    port = free_port()
    proc = subprocess.Popen(["sh", "-c", procfile_line("web")], cwd=ROOT, start_new_session=True,
                            env=production_env(connection.settings_dict["NAME"], redis_url, port),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc, "the Procfile's web: line", timeout=90)  # collectstatic runs first
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def get(port: int, path: str, headers: dict | None = None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    with urllib.request.urlopen(request, timeout=15) as response:
        return response.status, response.headers, response.read()  # headers: case-insensitive


def test_the_release_line_migrates_a_new_database(redis_url):
    name = f"opdq_release_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(database_url_of_test_db(connection.settings_dict["NAME"]), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        done = subprocess.run(["sh", "-c", procfile_line("release")], cwd=ROOT, capture_output=True, text=True,
                              env=production_env(name, redis_url, free_port()), timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        with psycopg.connect(database_url_of_test_db(name)) as db:
            assert db.execute("SELECT count(*) FROM django_migrations").fetchone()[0] > 0
            assert db.execute("SELECT to_regclass('queues_token')").fetchone()[0] == "queues_token"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_the_web_line_serves_pages_static_files_the_api_and_websockets_with_debug_off(web, doctor, slot, patient):
    status, _, body = get(web, "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}

    status, headers, body = get(web, "/static/js/live.js")
    assert status == 200 and b"websocket" in body.lower()
    assert "javascript" in headers["Content-Type"]

    status, _, body = get(web, "/accounts/login/")
    assert status == 200 and b'name="password"' in body

    display = Display.objects.create(name="Hall")
    display.doctors.add(doctor)
    key = ApiToken.objects.create(user=make_staff("desk", "Reception")).key

    async def scenario():
        board = await websockets.connect(f"ws://127.0.0.1:{web}/ws/board/{display.key}/",
                                         origin=f"http://127.0.0.1:{web}", open_timeout=30)
        assert 'id="board-rows"' in await asyncio.wait_for(board.recv(), 15)

        def book():
            request = urllib.request.Request(
                f"http://127.0.0.1:{web}/api/v1/tokens/", method="POST",
                data=json.dumps({"slot_id": str(slot.pk), "patient_id": str(patient.pk), "category": "WALKIN"}).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Token {key}"})
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, json.load(response)

        status, token = await asyncio.get_running_loop().run_in_executor(None, book)
        pushed = await asyncio.wait_for(board.recv(), 15)
        await board.close()
        return status, token, pushed

    status, token, pushed = asyncio.run(scenario())
    assert status == 201
    assert f'<span class="num">{token["token_label"]}</span>' in pushed

"""Real web processes for the integration tests and the benchmarks: uvicorn serving config.asgi on
127.0.0.1, its environment, a free port, and a websocket to it.

The benches import this module (bench may use tests' helpers); tests never import bench."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, what: str, *, timeout: float = 30) -> None:
    """Return once something listens on 127.0.0.1:port; fail if proc exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{what} did not listen on {port}")


def raise_fd_limit() -> None:
    """Sockets are file descriptors: hundreds of boards need more than a 1024 soft limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, 65536), hard))


def web_env(database_url: str, redis_url: str) -> dict:
    """The environment of a web process on these services (DEBUG on: static files from the source)."""
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url, DJANGO_SETTINGS_MODULE="config.settings",
               DEBUG="1", ALLOWED_HOSTS="127.0.0.1,localhost", LOG_LEVEL="WARNING",
               API_THROTTLE_RATE="off")
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the test runner's, not a server's
    return env


def start_web(port: int, env: dict, *, uvicorn_args: tuple[str, ...] = ()) -> subprocess.Popen:
    """Serve config.asgi with uvicorn on 127.0.0.1:port; returns once it accepts connections."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--lifespan", "off", *uvicorn_args],
        cwd=ROOT, env=env, preexec_fn=raise_fd_limit,
    )
    wait_for_port(port, proc, f"uvicorn on port {port}")
    return proc


def start_wsgi(port: int, env: dict) -> subprocess.Popen:
    """Serve config.wsgi (HTTP only) with granian's WSGI interface on 127.0.0.1:port, as the split
    deployment does (docs/deploy.md)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--log-level", "warning", "config.wsgi:application"],
        cwd=ROOT, env=env,
    )
    wait_for_port(port, proc, f"granian on port {port}")
    return proc


def stop_web(procs) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def open_socket(port: int, path: str, headers: dict | None = None):
    import websockets

    return await websockets.connect(
        f"ws://127.0.0.1:{port}{path}", origin=f"http://127.0.0.1:{port}", additional_headers=headers,
        max_size=2**22, open_timeout=60,
    )


def database_url_of_test_db(name: str | None = None) -> str:
    """The URL of the database this test process uses (or of another database `name` on the same
    server), for a web process to serve."""
    from urllib.parse import quote

    from django.db import connection

    s = connection.settings_dict
    host = quote(s["HOST"] or "", safe="")
    auth = s["USER"] + (f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else "")
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgres://{auth}@{host}{port}/{name or s['NAME']}"

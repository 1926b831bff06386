"""A PostgreSQL cluster of the test's own, in a temp dir, on a free TCP port: for tests that stop
and start the database (never the shared server other people's tests use). The server binaries
are the machine's own PostgreSQL when it has one (with its contrib extensions: pg_trgm), else
those of the pgserver package (requirements/dev.txt), which has no pg_trgm; `pgserver_binaries=True`
takes pgserver's anyway, to test what a machine without PostgreSQL runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pgserver
from pgserver.utils import ensure_user_exists

from tests.webserver import ROOT, free_port

INSTALL = Path(pgserver.__file__).parent / "pginstall"
SYSTEM_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)), None)
# PostgreSQL refuses to run as root: then it runs as pgserver's own system user, as pgserver does.
SYSTEM_USER = "pgserver" if os.geteuid() == 0 else None


def manage(env, *args, code=None) -> str:
    """The app's manage.py (or a script, `code`) in a process of its own, with `env` (its
    DATABASE_URL the private cluster's): what it printed."""
    command = [sys.executable, "-c", code] if code else [sys.executable, "manage.py", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr  # a failed migrate shows its traceback
    return done.stdout


class PrivatePostgres:
    def __init__(self, *, pgserver_binaries: bool = False):
        self.directory = Path(tempfile.mkdtemp(prefix="opdq-private-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self.port = free_port()
        system_bin = None if pgserver_binaries else SYSTEM_BIN
        self.bin = system_bin.parent if system_bin else INSTALL / "bin"
        if SYSTEM_USER:
            ensure_user_exists(SYSTEM_USER)
            shutil.chown(self.directory, SYSTEM_USER)
        if SYSTEM_USER and not system_bin:
            # That user may not enter the virtualenv (a CI clone can be a 0700 directory): the
            # server runs from a copy of the binaries in its own directory.
            # The binaries find their libraries at ../../../pgserver.libs: keep that layout.
            copy = self.directory / "site-packages"
            shutil.copytree(INSTALL, copy / "pgserver" / "pginstall", symlinks=True)
            shutil.copytree(INSTALL.parent.parent / "pgserver.libs", copy / "pgserver.libs", symlinks=True)
            self.bin = copy / "pgserver" / "pginstall" / "bin"
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _run(self, program, *args) -> int:
        done = subprocess.run([self.bin / program, *args], capture_output=True, user=SYSTEM_USER, cwd=self.directory,
                              env=dict(os.environ, LC_ALL="C"))
        if program != "pg_ctl" or args[-1] != "status":
            assert done.returncode == 0, done.stderr.decode()
        return done.returncode

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", self.data, "status") == 0

    def remove(self) -> None:
        if self.running():
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

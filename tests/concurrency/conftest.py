import pytest
from django.db import connection

from tests.concurrency.workers import Workers, database_url


@pytest.fixture(scope="session")
def pg_workers(django_db_setup, django_db_blocker):
    """Eight worker processes on the test database. Data a test gives them must be committed:
    their tests use django_db(transaction=True)."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.fail("the race tests run on PostgreSQL (tests/settings.py provides it)")
        url = database_url(connection.settings_dict)
    workers = Workers(url)
    yield workers
    workers.close()


@pytest.fixture(scope="module")
def sqlite_workers(tmp_path_factory):
    """Eight worker processes on a fresh, migrated SQLite file; the test process stays on
    PostgreSQL, so the first worker sets up the data and reads the results back."""
    path = tmp_path_factory.mktemp("sqlite-race") / "db.sqlite3"
    workers = Workers(f"sqlite:///{path}")
    workers.call("migrate")
    yield workers
    workers.close()

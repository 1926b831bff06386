import pytest
from django.db import connection

from tests.concurrency.workers import database_url


@pytest.fixture
def test_database_url(transactional_db):
    """DATABASE_URL of the test database, for worker processes. Data the test creates must be
    committed for them to see it: hence transactional_db."""
    if connection.vendor != "postgresql":
        pytest.fail("the race tests run on PostgreSQL (tests/settings.py provides it)")
    return database_url(connection.settings_dict)

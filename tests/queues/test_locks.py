"""queues/locks.py: the allocation service's locks, and the switch the race tests' control uses
to turn them off (the races themselves are tests/concurrency)."""

import re

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from queues import locks
from queues.errors import SlotNotFound
from queues.models import DoctorDay


@pytest.fixture
def pauses(monkeypatch):
    slept = []
    monkeypatch.setattr(locks.time, "sleep", slept.append)
    return slept


@pytest.mark.django_db
def test_it_locks_the_slot_row_and_never_pauses(slot, pauses):
    with CaptureQueriesContext(connection) as queries, locks.slot_and_day_locked(slot.pk) as (locked, _, number):
        locks.after_check()
    assert locked == slot and number == 1
    if connection.vendor == "postgresql":
        # the last one is the commit; NO KEY: see queues/sql._slot_lock_clause
        assert "FOR NO KEY UPDATE" in queries.captured_queries[-2]["sql"]
    assert pauses == []


@pytest.mark.django_db
def test_an_unknown_slot_is_slot_not_found():
    with pytest.raises(SlotNotFound), locks.slot_locked("not-a-slot"):
        pass


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_disabled_the_locks_are_plain_reads_whose_numbers_commit_at_once(slot, pauses):
    if connection.vendor != "postgresql":
        pytest.skip("the control runs on PostgreSQL")
    with locks.disabled(widen=0.05):
        with CaptureQueriesContext(connection) as queries, locks.slot_and_day_locked(slot.pk) as (locked, ledger, number):
            locks.after_check()
            other = connections.create_connection("default")  # sees only what is committed
            try:
                with other.cursor() as cursor:
                    cursor.execute(f"SELECT last_token_number FROM {DoctorDay._meta.db_table} WHERE id = %s", [ledger])
                    assert cursor.fetchone() == (number,)
            finally:
                other.close()
    assert locked == slot and number == 1
    assert not any(re.search(r"FOR (NO KEY )?UPDATE", q["sql"]) for q in queries.captured_queries)
    assert pauses == [0.05]
    with locks.slot_and_day_locked(slot.pk) as (_, _, number):  # switched back on
        assert number == 2
    assert pauses == [0.05]

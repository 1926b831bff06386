"""Migration 0007 and the patient search on a fresh PostgreSQL with pg_trgm (the machine's own
binaries) and without it (pgserver's, what `make test` starts on a machine without PostgreSQL):
both migrate, reverse and migrate again, and both find "Raju Prasad" from "Raju Parsad"; only
the one with pg_trgm takes the trigram road.

Each database is a private cluster of this test (tests/private_postgres.py), migrated by
manage.py in a process of its own, so the search there asks a database it has not seen before."""

import json

import pytest

from tests.private_postgres import SYSTEM_BIN, PrivatePostgres, manage
from tests.webserver import ROOT, web_env

SEARCH = """
import json, django
django.setup()
from django.db import connection
from scheduling.models import Patient
from scheduling.patient_search import has_trigram, search_patients

with connection.cursor() as cursor:
    cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')")
    available = cursor.fetchone()[0]
    cursor.execute("SELECT indexname FROM pg_indexes WHERE right(indexname, 5) = '_trgm' ORDER BY 1")
    indexes = [row[0] for row in cursor.fetchall()]
Patient.objects.all().delete()
Patient.objects.create(name="Raju Prasad", phone="9812345678", guardian_name="Ram Prasad", locality="Rampur")
Patient.objects.create(name="Geeta Kumari", phone="9600000002", guardian_name="Suresh Yadav", locality="Sitapur")
found = search_patients(Patient.objects.all(), "Raju Parsad")
print(json.dumps({"available": available, "indexes": indexes, "trigram": has_trigram("default"),
                  "by_trigram": "<<->" in str(found.query), "found": [p.name for p in found]}))
"""
TRIGRAM_INDEXES = ["scheduling_patient_phone_trgm", "scheduling_patient_search_text_trgm"]


@pytest.fixture(params=["pgserver", "machine"])
def fresh_postgres(request):
    if request.param == "machine" and not SYSTEM_BIN:
        pytest.skip("no PostgreSQL binaries of the machine's own (/usr/lib/postgresql)")
    server = PrivatePostgres(pgserver_binaries=request.param == "pgserver")
    server.start()
    yield request.param, server
    server.remove()


def test_migrations_and_a_misspelt_name_work_with_and_without_pg_trgm(fresh_postgres):
    binaries, server = fresh_postgres
    env = web_env(server.url, "")
    script = dict(env, PYTHONPATH=str(ROOT))
    manage(env, "migrate", "--noinput")
    first = json.loads(manage(script, code=SEARCH))
    manage(env, "migrate", "scheduling", "0006", "--noinput")  # back before 0007 (and what needs it)
    manage(env, "migrate", "--noinput")
    again = json.loads(manage(script, code=SEARCH))

    with_trgm = binaries == "machine"
    assert first == again
    assert first["available"] is with_trgm  # pgserver's PostgreSQL ships no pg_trgm
    assert first["indexes"] == (TRIGRAM_INDEXES if with_trgm else [])
    assert (first["trigram"], first["by_trigram"]) == (with_trgm, with_trgm)
    assert first["found"] == ["Raju Prasad"]

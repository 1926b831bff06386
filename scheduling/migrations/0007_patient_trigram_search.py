"""Spelling-tolerant patient search on PostgreSQL (scheduling.patient_search): the pg_trgm
extension, a GiST trigram index on search_text (name, father's/husband's name and village in one
generated column), which filters by word similarity and hands rows out nearest first, so the
desk's top eight cost a few index pages whatever the registry's size; and a GIN trigram index on
the phone, for part of a number while its digits are still being typed. Nothing on other
databases, nor on a PostgreSQL that does not ship pg_trgm (pgserver's embedded one, used by
`make test` on a machine without PostgreSQL): patient_search then takes its simpler fallback.

Why GiST for the words: a GIN index finds the candidates but cannot order them, so every
candidate of a common name ("Raju ...": thousands in a big registry) was re-checked and ranked
(over 100 ms on 100,000 patients, docs/benchmarks.md); GiST's nearest-first scan stops after eight.
A 128-byte signature (the default is 12) makes the index's bounds tight enough that a common,
misspelt name visits far fewer rows (measured: about 40 ms instead of 66 ms at p50; 256 was no better).
"""

from django.db import migrations

INDEXES = {
    "scheduling_patient_search_text_trgm": "gist (search_text gist_trgm_ops(siglen=128))",
    "scheduling_patient_phone_trgm": "gin (phone gin_trgm_ops)",
}


def pg_trgm_available(connection) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')")
        return cursor.fetchone()[0]


def create_trigram_search(apps, schema_editor):
    if not pg_trgm_available(schema_editor.connection):
        return  # CREATE EXTENSION would fail the whole migrate; the search works without it
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, method in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON scheduling_patient USING {method}")


def drop_trigram_search(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP EXTENSION IF EXISTS pg_trgm")  # as TrigramExtension's reverse did


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0006_patient_identity")]

    operations = [migrations.RunPython(create_trigram_search, drop_trigram_search)]

"""Spelling-tolerant patient search on PostgreSQL: the pg_trgm extension and GIN trigram indexes
on the fields scheduling.patient_search compares (name, father's/husband's name, village).
Nothing on other databases (SQLite uses the simpler fallback)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

FIELDS = ["name", "guardian_name", "locality"]


def _index(field):
    return f"scheduling_patient_{field}_trgm"


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for field in FIELDS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_index(field)} ON scheduling_patient USING gin ({field} gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for field in FIELDS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_index(field)}")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0004_patient_identity")]

    operations = [
        TrigramExtension(),  # a no-op on other databases
        migrations.RunPython(create_indexes, drop_indexes),
    ]

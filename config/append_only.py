"""Append-only tables, enforced by the database: a trigger refuses every UPDATE and DELETE, so
not even a shell, the admin or a bug can rewrite the audit trail. Used by the migrations that
make QueueEvent and PatientRecordEvent append-only (PostgreSQL and SQLite)."""

from django.db import migrations

MESSAGE = "is append-only: its rows are never changed or deleted"


def _statements(vendor: str, table: str) -> tuple[list[str], list[str]]:
    if vendor == "postgresql":
        function = f"{table}_append_only"
        return [
            f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION '{table} {MESSAGE}' USING ERRCODE = 'restrict_violation';
                END $$ LANGUAGE plpgsql""",
            f"""CREATE TRIGGER {function} BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {function}()""",
        ], [f"DROP TRIGGER IF EXISTS {function} ON {table}", f"DROP FUNCTION IF EXISTS {function}()"]
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} {MESSAGE}'); END"
            for verb in ("UPDATE", "DELETE")
        ], [f"DROP TRIGGER IF EXISTS {table}_no_{verb}" for verb in ("update", "delete")]
    return [], []


def make_append_only(table: str) -> migrations.RunPython:
    """A migration operation adding (and, reversed, dropping) the table's triggers."""

    def run(index):
        def apply(apps, schema_editor):
            for sql in _statements(schema_editor.connection.vendor, table)[index]:
                schema_editor.execute(sql)
        return apply

    return migrations.RunPython(run(0), run(1))

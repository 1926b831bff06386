"""SQLite for the suite's SQLite pass (`make test-sqlite`): Django's backend, except for the test
runner's own clean-up. Between transactional tests Django empties every table with DELETE, which
the append-only triggers (config/append_only.py) refuse; on PostgreSQL it uses TRUNCATE, which
row triggers never see. Here the flush lifts those triggers for its DELETEs and puts them back
in the same transaction, so every other statement still meets them."""

from django.db.backends.sqlite3 import base, operations

from config import append_only


class DatabaseOperations(operations.DatabaseOperations):
    def execute_sql_flush(self, sql_list):
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE %s",
                           [f"%{append_only.MESSAGE}%"])
            triggers = cursor.fetchall()
        lift = [f"DROP TRIGGER {self.quote_name(name)}" for name, _ in triggers]
        super().execute_sql_flush([*lift, *sql_list, *(sql for _, sql in triggers)])


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

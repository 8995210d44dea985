"""Database-level guarantee that leaves, nodes and signed tree heads are append-only, on SQLite
and PostgreSQL, the same way as the audit trail (audit migration 0002).

SQLite cannot tell a test-suite flush from tampering. The test harness lifts the audit trail's
delete trigger (`audit_no_delete`) for the flush of transactional tests (tests/conftest.py); our
delete triggers stand exactly while that one stands, so one switch covers both and any test of
any area may write to the log. In production the audit trigger is always there, so are ours.
PostgreSQL flushes by TRUNCATE, which row triggers do not see.
"""

from django.db import migrations

TABLES = ("transparency_logleaf", "transparency_lognode", "transparency_treehead")


WHILE_AUDIT_GUARDED = (
    "WHEN EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_no_delete')"
)


def _sqlite(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} {WHILE_AUDIT_GUARDED} "
        "BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;",
    ]


POSTGRES_FUNCTION = """CREATE OR REPLACE FUNCTION transparency_refuse_change() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'the transparency log is append-only' USING ERRCODE = '23000'; END; $$
LANGUAGE plpgsql;"""


def _postgres(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION transparency_refuse_change();"
    ]


def forwards(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(POSTGRES_FUNCTION)
    for table in TABLES:
        for sql in _postgres(table) if postgres else _sqlite(table):
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for table in TABLES:
        if postgres:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table};")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete;")


class Migration(migrations.Migration):
    dependencies = [("transparency", "0001_initial"), ("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]

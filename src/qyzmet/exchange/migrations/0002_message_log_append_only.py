"""Database-level guarantee that the message log is append-only, on SQLite and PostgreSQL.

UPDATE is always refused. DELETE is refused unless an archive record covers the row: that is
how `archive_message_log` moves old entries out (after writing them to a signed file). The
archive records themselves can be neither changed nor removed.

SQLite cannot tell a test-suite flush from tampering, so tests that must empty these tables
drop the delete triggers for their teardown and put them back (tests/exchange/conftest.py)."""

from django.db import migrations

SQLITE_DELETE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS exchange_log_no_delete BEFORE DELETE ON "
    "exchange_messagelogentry WHEN NOT EXISTS (SELECT 1 FROM exchange_messagelogarchive a "
    "WHERE OLD.id BETWEEN a.first_id AND a.last_id) "
    "BEGIN SELECT RAISE(ABORT, 'message log entries are append-only'); END;",
    "CREATE TRIGGER IF NOT EXISTS exchange_archive_no_delete BEFORE DELETE ON "
    "exchange_messagelogarchive "
    "BEGIN SELECT RAISE(ABORT, 'message log archives are append-only'); END;",
]
SQLITE_DROP_DELETE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS exchange_log_no_delete",
    "DROP TRIGGER IF EXISTS exchange_archive_no_delete",
]
SQLITE = [
    "CREATE TRIGGER exchange_log_no_update BEFORE UPDATE ON exchange_messagelogentry "
    "BEGIN SELECT RAISE(ABORT, 'message log entries are append-only'); END;",
    "CREATE TRIGGER exchange_archive_no_update BEFORE UPDATE ON exchange_messagelogarchive "
    "BEGIN SELECT RAISE(ABORT, 'message log archives are append-only'); END;",
    *SQLITE_DELETE_TRIGGERS,
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION exchange_log_refuse_change() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM exchange_messagelogarchive a
                                     WHERE OLD.id BETWEEN a.first_id AND a.last_id) THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'message log entries are append-only' USING ERRCODE = '23000';
    END; $$ LANGUAGE plpgsql;""",
    "CREATE TRIGGER exchange_log_no_change BEFORE UPDATE OR DELETE ON exchange_messagelogentry "
    "FOR EACH ROW EXECUTE FUNCTION exchange_log_refuse_change();",
    """CREATE OR REPLACE FUNCTION exchange_archive_refuse_change() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'message log archives are append-only' USING ERRCODE = '23000';
    END; $$ LANGUAGE plpgsql;""",
    "CREATE TRIGGER exchange_archive_no_change BEFORE UPDATE OR DELETE ON "
    "exchange_messagelogarchive FOR EACH ROW EXECUTE FUNCTION exchange_archive_refuse_change();",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS exchange_log_no_change ON exchange_messagelogentry;")
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS exchange_archive_no_change ON exchange_messagelogarchive;")
    else:
        for name in ("exchange_log_no_update", "exchange_archive_no_update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};")
        for sql in SQLITE_DROP_DELETE_TRIGGERS:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

"""The rows behind version-2 audit anchors, and append-only triggers that stand on their own.

Migration 0002 armed the SQLite delete triggers of the log only `WHEN EXISTS audit_no_delete`,
so dropping the audit trail's trigger also disarmed the log's: an insider could then delete the
anchors and the newer tree heads. Here every table of the log refuses UPDATE and DELETE by its
own triggers, whatever exists elsewhere (tests/conftest.py lifts all delete triggers for the
flush of transactional tests and puts them back). On PostgreSQL row triggers do not see
TRUNCATE, so each table also gets a statement trigger that refuses it.
"""

from django.db import migrations, models

TABLES = (
    "transparency_logleaf",
    "transparency_lognode",
    "transparency_treehead",
    "transparency_auditanchorrows",
)
MESSAGE = "the transparency log is append-only"


def _sqlite(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update",
        f"DROP TRIGGER IF EXISTS {table}_no_delete",
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    ]


def _postgres(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_change ON {table};",
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION transparency_refuse_change();",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION transparency_refuse_change();",
    ]


POSTGRES_FUNCTION = f"""CREATE OR REPLACE FUNCTION transparency_refuse_change() RETURNS trigger
AS $$ BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23000'; END; $$ LANGUAGE plpgsql;"""


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
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
            if table == "transparency_auditanchorrows":
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table};")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete;")


class Migration(migrations.Migration):
    dependencies = [("transparency", "0002_append_only_triggers")]

    operations = [
        migrations.CreateModel(
            name="AuditAnchorRows",
            fields=[
                ("leaf_index", models.BigIntegerField(primary_key=True, serialize=False)),
                ("rows", models.BinaryField()),
            ],
            options={"abstract": False},
        ),
        migrations.RunPython(forwards, backwards),
    ]

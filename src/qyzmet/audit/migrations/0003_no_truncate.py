"""PostgreSQL row triggers do not see TRUNCATE: refuse it by a statement trigger, so emptying
the audit trail takes dropping a trigger first, as every other change does. (SQLite has no
TRUNCATE; its DELETE runs the row trigger of migration 0002.)"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_auditentry "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_no_truncate ON audit_auditentry;")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]

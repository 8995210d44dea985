"""The consent tables and the schema-described registries' tables leave this app's state for
their own apps (`consent`, `govstack`): state only, no table is dropped or renamed, so no row
is lost; those apps' 0001 migrations take the models over under the same table names."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("criminal_records", "0002_schema_registries"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ConsentRecord"),
                migrations.DeleteModel(name="ConsentAgreement"),
                migrations.DeleteModel(name="SchemaRecord"),
                migrations.DeleteModel(name="SchemaRegistry"),
            ],
            database_operations=[],
        ),
    ]

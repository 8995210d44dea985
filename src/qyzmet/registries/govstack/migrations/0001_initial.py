"""The schema-described registries' tables, moved here from the `criminal_records` app: state
only, the tables (and their rows) stay where they are, under their old names (`db_table`)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("criminal_records", "0003_consent_and_govstack_moved_out"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SchemaRegistry",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.SlugField(max_length=40)),
                        ("version", models.CharField(max_length=20)),
                        ("title", models.CharField(blank=True, default="", max_length=200)),
                        ("database_id", models.CharField(blank=True, default="", max_length=40)),
                        (
                            "key",
                            models.CharField(help_text="the field that identifies a record", max_length=64),
                        ),
                        ("person_field", models.CharField(blank=True, default="", max_length=64)),
                        (
                            "description",
                            models.JSONField(help_text="the validated registry description, as loaded"),
                        ),
                        (
                            "public_test",
                            models.BooleanField(
                                default=False,
                                help_text="synthetic conformance-test data: may be opened to direct calls by the deployment's verifier (never the built-in registries)",
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "db_table": "criminal_records_schemaregistry",
                        "indexes": [models.Index(fields=["database_id"], name="schema_registry_dbid")],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("name", "version"), name="schema_registry_version"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="SchemaRecord",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=200)),
                        ("person", models.CharField(blank=True, db_index=True, default="", max_length=64)),
                        ("data", models.JSONField(default=dict)),
                        (
                            "registry",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="govstack.schemaregistry",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "criminal_records_schemarecord",
                        "constraints": [
                            models.UniqueConstraint(fields=("registry", "key"), name="schema_record_key")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

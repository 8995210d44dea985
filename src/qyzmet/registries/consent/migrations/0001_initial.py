"""The consent tables, moved here from the `criminal_records` app: state only, the tables (and
their rows) stay where they are, under their old names (`db_table`)."""

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
                    name="ConsentAgreement",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("code", models.SlugField(max_length=80)),
                        ("version", models.PositiveIntegerField()),
                        ("registry", models.CharField(max_length=40)),
                        ("category", models.CharField(help_text="a fact name or 'record'", max_length=60)),
                        ("service_code", models.CharField(blank=True, default="", max_length=100)),
                        ("clients", models.JSONField(blank=True, default=list)),
                        ("title", models.JSONField(default=dict, help_text="{kk, ru, en}")),
                        ("text", models.JSONField(default=dict, help_text="{kk, ru, en}")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "db_table": "criminal_records_consentagreement",
                        "indexes": [
                            models.Index(fields=["registry", "category"], name="consent_agreement_cat")
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("code", "version"), name="consent_agreement_version"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ConsentRecord",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("code", models.SlugField(max_length=80)),
                        ("subject_iin", models.CharField(max_length=12)),
                        ("revision", models.PositiveIntegerField()),
                        (
                            "state",
                            models.CharField(
                                choices=[("given", "given"), ("withdrawn", "withdrawn")], max_length=10
                            ),
                        ),
                        ("at", models.DateTimeField(auto_now_add=True)),
                        ("actor_label", models.CharField(blank=True, default="", max_length=200)),
                        (
                            "agreement",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="consent.consentagreement",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "criminal_records_consentrecord",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("subject_iin", "code", "revision"), name="consent_record_revision"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

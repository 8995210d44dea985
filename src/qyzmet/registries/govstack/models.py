"""Schema-described registries: a registry defined by data rather than by a Django app.

A `SchemaRegistry` row says what the registry is (name, version, title, key field, the JSON
Schema of one record, which field names the person the record is about); its records are JSON
rows of one generic table, `SchemaRecord`. The Data API serves them through the same views and
the same `Registry` descriptor interface as the built-in registries (see `schema_registries.py`).

An installed app of its own (label `govstack`). Its tables keep the names they had when they
lived in the `criminal_records` app (`db_table`), so moving them lost no data: the move was
state-only (`SeparateDatabaseAndState` in both apps' migrations).
"""

from __future__ import annotations

from django.db import models


class SchemaRegistry(models.Model):
    name = models.SlugField(max_length=40)
    version = models.CharField(max_length=20)
    title = models.CharField(max_length=200, blank=True, default="")
    # The GovStack "database ID" (acronym) that myPersonalDataUsage names, e.g. "MCTS".
    database_id = models.CharField(max_length=40, blank=True, default="")
    key = models.CharField(max_length=64, help_text="the field that identifies a record")
    person_field = models.CharField(max_length=64, blank=True, default="")
    description = models.JSONField(help_text="the validated registry description, as loaded")
    public_test = models.BooleanField(
        default=False,
        help_text="synthetic conformance-test data: may be opened to direct calls by the "
        "deployment's verifier (never the built-in registries)",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "criminal_records_schemaregistry"
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="schema_registry_version")
        ]
        indexes = [models.Index(fields=["database_id"], name="schema_registry_dbid")]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class SchemaRecord(models.Model):
    registry = models.ForeignKey(SchemaRegistry, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    # The person the record is about (the registry's person field), for the data tracker.
    person = models.CharField(max_length=64, blank=True, default="", db_index=True)
    data = models.JSONField(default=dict)

    class Meta:
        db_table = "criminal_records_schemarecord"
        constraints = [
            models.UniqueConstraint(fields=["registry", "key"], name="schema_record_key")
        ]

    def __str__(self) -> str:
        return self.key

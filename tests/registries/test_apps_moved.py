"""The consent tables and the schema-described registries' tables moved out of the
`criminal_records` app into apps of their own (`consent`, `govstack`) with state-only
migrations: rows written before the move are read through the new apps' models after it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from qyzmet.registries.consent.models import ConsentAgreement
from qyzmet.registries.govstack.models import SchemaRegistry

BEFORE = [
    ("criminal_records", "0002_schema_registries"),
    ("consent", None),
    ("govstack", None),
]


def _leaves(executor: MigrationExecutor) -> list[tuple[str, str]]:
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_kept():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE[0]).apps
        agreement = old.get_model("criminal_records", "ConsentAgreement").objects.create(
            code="before-move", version=1, registry="criminal_records",
            category="criminal_record_status", title={"en": "t"}, text={"en": "t"},
        )  # fmt: skip
        old.get_model("criminal_records", "ConsentRecord").objects.create(
            agreement_id=agreement.pk, code="before-move", subject_iin="870412300416",
            revision=1, state="given",
        )  # fmt: skip
        old.get_model("criminal_records", "SchemaRegistry").objects.create(
            name="before-move", version="1.0", key="id", description={}
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(_leaves(executor))

    moved = ConsentAgreement.objects.get(code="before-move")
    assert moved.pk == agreement.pk
    assert moved._meta.app_label == "consent"
    assert moved._meta.db_table == "criminal_records_consentagreement"
    assert SchemaRegistry.objects.filter(name="before-move").exists()
    assert SchemaRegistry._meta.app_label == "govstack"

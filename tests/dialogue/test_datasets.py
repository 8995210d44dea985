"""The open dataset: registered, rows match its schema, no count under k, no text or person."""

from __future__ import annotations

import pytest

from qyzmet.core.open_datasets import K_ANONYMITY, publishers
from qyzmet.dialogue import services
from tests.dialogue.conftest import ORG
from tests.dialogue.factories import answered

pytestmark = pytest.mark.django_db


def test_monthly_dataset(people):
    publisher = next(p for p in publishers() if p.name == "dialogue-questions-monthly")
    names = [f["name"] for f in publisher.schema["fields"]]
    for rating in (5, 4, 3):
        q = answered(people["author"], ORG, people["head"])
        services.question_rate(actor=people["author"], question_id=q.pk, rating=rating)
    rows = list(publisher.rows())
    assert len(rows) == 1 and list(rows[0]) == names
    row = rows[0]
    assert row["organisation"] == ORG and row["median_working_days_to_answer"] == 0
    assert row["ratings"] is None and row["mean_rating"] is None  # 3 ratings < k
    assert row["questions_received"] is None  # 3 < k
    for _ in range(2):
        q = answered(people["author"], ORG, people["head"])
        services.question_rate(actor=people["author"], question_id=q.pk, rating=5)
    row = next(iter(publisher.rows()))
    assert row["ratings"] == 5 and row["mean_rating"] == 4.4
    for value in row.values():
        if isinstance(value, int) and value:
            assert value >= K_ANONYMITY
    text = repr(row)
    assert people["author"].iin not in text and "школ" not in text.lower()

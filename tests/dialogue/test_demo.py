"""The demo questions: made through the services, across four agencies, some answered and
rated, one overdue; loading again adds nothing."""

from __future__ import annotations

import pytest

from qyzmet.dialogue import demo, selectors
from qyzmet.dialogue.models import Question
from tests.dialogue.factories import agency, member
from tests.identity.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_demo_questions(db):
    for code in demo.POSITIONS:
        agency(code)
        member(code, "head")
        member(code, "officer")
    authors = [UserFactory(), UserFactory()]
    assert demo.demo_ensure(author_iins=[a.iin for a in authors]) == {"questions": 12}
    assert demo.demo_ensure(author_iins=[a.iin for a in authors]) == {"questions": 0}
    assert Question.objects.values("organisation_code").distinct().count() == 4
    assert Question.objects.filter(status="answered", rating__isnull=False).count() >= 5
    assert len(selectors.public_list(status="overdue").items) == 1
    assert Question.objects.filter(status="moderation").count() == 1
    assert Question.objects.filter(status="rejected").count() == 1
    from qyzmet.dialogue import datasets

    rows = list(datasets.rows())
    assert rows and all(r["ratings"] is None or r["ratings"] == 0 or r["ratings"] >= 5
                        for r in rows)

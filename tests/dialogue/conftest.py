from __future__ import annotations

import pytest

from tests.dialogue.factories import agency, member
from tests.identity.factories import UserFactory

ORG, OTHER = "dlg-edu", "dlg-health"


@pytest.fixture
def people(db):
    agency(ORG)
    agency(OTHER)
    return {
        "author": UserFactory(full_name="Нұрланова Айгерім Серікқызы"),
        "reader": UserFactory(),
        "head": member(ORG, "head"),
        "officer": member(ORG, "officer"),
        "moderator": member(ORG, "dialogue_moderator"),
        "other_officer": member(OTHER, "officer"),
    }

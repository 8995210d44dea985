"""Open dialogue: every page × anonymous, the asker, another citizen, the agency's head, its
officer, its moderator and an officer of another agency, with the status each must get.

Public pages answer everyone; asking and marking need a session (302 to sign in); a question
in moderation is the asker's alone (404 for others); rating is the asker's alone (404); back
office pages need a role in some agency (403), another agency's question is 404."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from qyzmet.dialogue import services
from tests.dialogue.factories import agency, answered, asked, member, published
from tests.identity.factories import UserFactory
from tests.security import matrix

ORG, OTHER = "dlg-edu", "dlg-health"
ACTORS = ("anonymous", "asker", "citizen", "head", "officer", "moderator", "officer_other")
ALL = (200, 200, 200, 200, 200, 200, 200)


@dataclass
class World:
    users: dict
    ids: dict


@pytest.fixture
def world(db) -> World:
    agency(ORG)
    agency(OTHER)
    users = {"asker": UserFactory(), "citizen": UserFactory(), "head": member(ORG, "head"),
             "officer": member(ORG, "officer"), "moderator": member(ORG, "dialogue_moderator"),
             "officer_other": member(OTHER, "officer")}  # fmt: skip
    waiting = asked(users["asker"], ORG)
    public = published(users["asker"], ORG, users["moderator"])
    done = answered(users["asker"], ORG, users["head"])
    to_answer = published(users["asker"], ORG, users["moderator"])
    rated = answered(users["asker"], ORG, users["head"])
    services.question_rate(actor=users["asker"], question_id=rated.pk, rating=4)
    return World(users=users, ids={"waiting": waiting.pk, "public": public.pk,
                                   "done": done.pk, "to_answer": to_answer.pk, "org": ORG})


def _expect(*statuses, order=ACTORS):
    return matrix.expect(ACTORS, statuses, order)


ASKER_LAST = ("anonymous", "citizen", "head", "officer", "moderator", "officer_other", "asker")
B = "/backoffice/open/dialogue"
ASK = {"organisation": ORG, "topic": "education", "title": "Когда откроют новую школу?",
       "text": "Школу строят уже третий год, когда её откроют для детей района?"}

MATRIX = [
    # --- public pages ---------------------------------------------------------------------
    ("page", "get", "/dialogue/", None, _expect(*ALL)),
    ("page", "get", "/dialogue/rules/", None, _expect(*ALL)),
    ("page", "get", "/dialogue/agencies/{org}/", None, _expect(*ALL)),
    ("page", "get", "/dialogue/questions/{public}/", None, _expect(*ALL)),
    ("page", "get", "/dialogue/questions/{waiting}/", None,
     _expect(404, 200, 404, 404, 404, 404, 404)),
    # --- signed-in people -----------------------------------------------------------------
    ("page", "get", "/dialogue/ask/", None, _expect(302, 200, 200, 200, 200, 200, 200)),
    ("page", "post", "/dialogue/ask/", ASK, _expect(302, 302, 302, 302, 302, 302, 302)),
    ("page", "get", "/dialogue/my/", None, _expect(302, 200, 200, 200, 200, 200, 200)),
    # The asker marking their own question is refused with a message (a redirect back).
    ("page", "post", "/dialogue/questions/{public}/same/", None,
     _expect(302, 302, 302, 302, 302, 302, 302)),
    ("page", "post", "/dialogue/questions/{waiting}/same/", None,
     _expect(302, 404, 404, 404, 404, 404, 404)),
    ("page", "post", "/dialogue/questions/{done}/rate/", {"rating": "5"},
     _expect(302, 302, 404, 404, 404, 404, 404, order=ASKER_LAST)),
    # --- back office ----------------------------------------------------------------------
    ("page", "get", f"{B}/", None, _expect(302, 403, 403, 200, 200, 200, 200)),
    ("page", "get", f"{B}/moderation/", None, _expect(302, 403, 403, 200, 200, 200, 200)),
    ("page", "get", f"{B}/{{waiting}}/", None, _expect(302, 403, 403, 200, 200, 200, 404)),
    # Once the moderator has published it, the head and the officer find it done (302).
    ("page", "post", f"{B}/{{waiting}}/moderate/", {"decision": "publish"},
     _expect(302, 403, 403, 302, 302, 302, 404,
             order=("anonymous", "asker", "citizen", "officer_other", "moderator", "head",
                    "officer"))),
    # The moderator may not sign an answer (403); the head does (302); then the officer finds
    # it answered already (a message, 302).
    ("page", "post", f"{B}/{{to_answer}}/answer/", {"answer": "Ответ ведомства на вопрос."},
     _expect(302, 403, 403, 302, 302, 403, 404,
             order=("anonymous", "asker", "citizen", "officer_other", "moderator", "head",
                    "officer"))),
]


@pytest.mark.parametrize("row", MATRIX, ids=matrix.row_ids(MATRIX))
def test_authorization(world, row):
    got, expected = matrix.statuses(world.users, world.ids, row)
    assert got == expected

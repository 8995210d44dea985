"""Open legal acts: every page × anonymous, a citizen, an officer and a head of the publishing
agency, and an officer of another agency, with the status each must get.

Public pages answer everyone; a draft not yet published is 404 to the public. The agency pages
answer 403 to people who work for no agency, 404 for another agency's draft; publishing the
draft and its summary are for heads (an officer gets 403 via the service's check, shown as the
back office's forbidden page)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from qyzmet.participation import services
from tests.participation.factories import NOTE, TEXT, TITLE, draft, published, world_make
from tests.security import matrix

ACTORS = ("anonymous", "citizen", "officer", "head", "officer_other")
HEAD_LAST = ("anonymous", "citizen", "officer_other", "officer", "head")
OFFICER_LAST = ("anonymous", "citizen", "officer_other", "head", "officer")


@dataclass
class World:
    users: dict
    ids: dict


@pytest.fixture
def world(db) -> World:
    w = world_make()
    open_act = published(w)
    comment = services.comment_submit(actor=w.citizen, act_id=open_act.pk, text="Хорошо")
    answered = services.comment_submit(actor=w.citizen_b, act_id=open_act.pk, text="Ещё")
    services.comment_moderate(actor=w.officer, act_id=open_act.pk, comment_id=answered.pk,
                              decision="accept")
    services.legal_act_edit(actor=w.officer, act_id=open_act.pk, title=TITLE,
                            text={**TEXT, "ru": TEXT["ru"] + "\n\n4. Ещё."}, note=NOTE)
    unpublished = draft(w)
    due = published(w, opened=timezone.localdate() - dt.timedelta(days=11))
    services.legal_acts_close_due()
    return World(
        users={"citizen": w.citizen, "officer": w.officer, "head": w.head,
               "officer_other": w.other_officer},
        ids={"open": open_act.pk, "draft": unpublished.pk, "due": due.pk,
             "comment": comment.pk, "answered": answered.pk},
    )


def _expect(anonymous, citizen, officer, head, officer_other, *, order=ACTORS):
    return matrix.expect(ACTORS, (anonymous, citizen, officer, head, officer_other), order)


P, B = "/legal-acts", "/backoffice/open/legal-acts"
ALL = (200, 200, 200, 200, 200)
EDIT = {"title_kk": "Атауы", "title_ru": "Название", "text_kk": "Мәтін жаңа",
        "text_ru": "Текст новый", "note_kk": "Жазба", "note_ru": "Записка"}
NEW = {**EDIT, "kind": "order", "comment_days": "10"}

MATRIX = [
    # --- public ---------------------------------------------------------------------------
    ("page", "get", f"{P}/", None, _expect(*ALL)),
    ("page", "get", f"{P}/moderation-policy/", None, _expect(*ALL)),
    ("page", "get", f"{P}/{{open}}/", None, _expect(*ALL)),
    ("page", "get", f"{P}/{{draft}}/", None, _expect(404, 404, 404, 404, 404)),
    ("page", "get", f"{P}/{{open}}/diff/", None, _expect(*ALL)),
    ("page", "get", f"{P}/{{open}}/summary.pdf", None, _expect(404, 404, 404, 404, 404)),
    ("page", "post", f"{P}/{{open}}/", {"text": "Мнение"}, _expect(302, 302, 302, 302, 302)),
    ("page", "post", f"{P}/{{due}}/", {"text": "Поздно"}, _expect(302, 409, 409, 409, 409)),
    # --- the agency ----------------------------------------------------------------------
    ("page", "get", f"{B}/", None, _expect(302, 403, 200, 200, 200)),
    ("page", "get", f"{B}/new/", None, _expect(302, 403, 200, 200, 200)),
    ("page", "post", f"{B}/new/", NEW, _expect(302, 403, 302, 302, 302)),
    ("page", "get", f"{B}/{{open}}/", None, _expect(302, 403, 200, 200, 404)),
    ("page", "get", f"{B}/{{open}}/edit/", None, _expect(302, 403, 200, 200, 404)),
    ("page", "post", f"{B}/{{draft}}/edit/", NEW, _expect(302, 403, 302, 302, 404)),
    ("page", "post", f"{B}/{{draft}}/publish/", None,
     _expect(302, 403, 403, 302, 404, order=HEAD_LAST)),
    ("page", "post", f"{B}/{{open}}/comments/{{comment}}/moderate/", {"decision": "accept"},
     _expect(302, 403, 302, 302, 404, order=OFFICER_LAST)),
    ("page", "post", f"{B}/{{open}}/comments/{{answered}}/answer/",
     {"position": "partly", "answer": "Частично"}, _expect(302, 403, 302, 302, 404)),
    ("page", "post", f"{B}/{{due}}/summary/", None,
     _expect(302, 403, 403, 302, 404, order=HEAD_LAST)),
]


@pytest.mark.parametrize("row", MATRIX, ids=matrix.row_ids(MATRIX))
def test_authorization(world, row):
    got, expected = matrix.statuses(world.users, world.ids, row)
    assert got == expected


def test_an_officer_publishing_changes_nothing(world):
    from qyzmet.participation.models import LegalAct

    client = matrix.client_for(world.users, "officer", "page")
    client.post(f"{B}/{world.ids['draft']}/publish/")
    assert LegalAct.objects.get(pk=world.ids["draft"]).status == "draft"

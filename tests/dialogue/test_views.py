"""Open dialogue pages over real HTTP: asking (errors name the field), the public list with
search and filters, the question page (rating, same question), the agency page's figures, the
back office inbox by deadline, moderation and the answer form; nothing shows an IIN, a full
name or an internal code."""

from __future__ import annotations

import pytest
from django.test import Client

from qyzmet.dialogue import services
from qyzmet.dialogue.models import Question
from tests.dialogue.conftest import ORG
from tests.dialogue.factories import answered, asked, published

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def test_ask_names_the_fields_then_creates(people):
    client = _client(people["author"])
    response = client.post("/dialogue/ask/", {"organisation": "", "topic": "", "title": "x",
                                              "text": "y"})
    assert response.status_code == 422
    body = response.content.decode()
    for label in ("Agency:", "Topic:", "Title:", "Your question:"):
        assert label in body
    assert 'href="#organisation"' in body
    response = client.post("/dialogue/ask/", {
        "organisation": ORG, "topic": "education", "title": "Когда откроют новую школу?",
        "text": "Школу строят уже третий год, когда её откроют для детей района?",
        "show_initials": "1"})
    question = Question.objects.get()
    assert response.status_code == 302 and response.url == f"/dialogue/questions/{question.pk}/"
    assert question.author_initials == "А. Н."
    page = client.get(response.url).content.decode()
    assert "Being checked before publication" in page
    assert _client().get(response.url).status_code == 404  # not public yet


def test_public_list_search_filters_and_no_personal_data(people):
    q = answered(people["author"], ORG, people["head"])
    published(people["author"], ORG, people["moderator"], title="Про дороги в микрорайоне",
              topic="transport")
    body = _client().get("/dialogue/").content.decode()
    assert q.title in body and "Про дороги" in body
    found = _client().get("/dialogue/", {"q": "1200 МЕСТ"}).content.decode()
    assert q.title in found and "Про дороги" not in found
    filtered = _client().get("/dialogue/", {"status": "answered", "agency": ORG}).content
    assert "Про дороги" not in filtered.decode()
    assert _client().get("/dialogue/", {"cursor": "garbage", "status": "bogus"}).status_code \
        == 200
    detail = _client().get(f"/dialogue/questions/{q.pk}/").content.decode()
    author = people["author"]
    assert author.iin not in detail and author.full_name not in detail
    assert "A citizen" in detail and ORG not in detail.replace(f"/agencies/{ORG}/", "")


def test_rate_and_same_question_through_the_page(people):
    q = answered(people["author"], ORG, people["head"])
    reader = _client(people["reader"])
    assert reader.post(f"/dialogue/questions/{q.pk}/same/").status_code == 302
    assert reader.post(f"/dialogue/questions/{q.pk}/same/").status_code == 302  # told, once
    assert reader.post(f"/dialogue/questions/{q.pk}/rate/", {"rating": "5"}).status_code == 404
    author = _client(people["author"])
    assert author.post(f"/dialogue/questions/{q.pk}/rate/", {"rating": "abc"}).status_code == 302
    assert author.post(f"/dialogue/questions/{q.pk}/rate/",
                       {"rating": "4", "not_answered": "1"}).status_code == 302
    q.refresh_from_db()
    assert (q.rating, q.not_answered, q.same_count) == (4, True, 1)
    page = _client().get(f"/dialogue/questions/{q.pk}/").content.decode()
    assert "Rated 4 of 5." in page and "1 person has the same question." in page


def test_agency_page_shows_figures(people):
    q = answered(people["author"], ORG, people["head"])
    services.question_rate(actor=people["author"], question_id=q.pk, rating=5)
    body = _client().get(f"/dialogue/agencies/{ORG}/").content.decode()
    assert "Answered in time" in body and "5.0 of 5 (1 rating)" in body
    assert _client().get("/dialogue/agencies/nope/").status_code == 404


def test_back_office_moderate_and_answer(people):
    q = asked(people["author"], ORG)
    moderator = _client(people["moderator"])
    assert q.title in moderator.get("/backoffice/open/dialogue/moderation/").content.decode()
    response = moderator.post(f"/backoffice/open/dialogue/{q.pk}/moderate/",
                              {"decision": "publish"})
    assert response.status_code == 302
    head = _client(people["head"])
    inbox = head.get("/backoffice/open/dialogue/").content.decode()
    assert q.title in inbox
    response = head.post(f"/backoffice/open/dialogue/{q.pk}/answer/", {"answer": "коротко"})
    assert response.status_code == 422
    assert "Answer text:" in response.content.decode()
    response = head.post(f"/backoffice/open/dialogue/{q.pk}/answer/",
                         {"answer": "Школа откроется в сентябре, набор уже идёт."})
    assert response.status_code == 302
    q.refresh_from_db()
    assert q.status == "answered"
    other = _client(people["other_officer"])
    assert other.get(f"/backoffice/open/dialogue/{q.pk}/").status_code == 404
    assert _client(people["reader"]).get("/backoffice/open/dialogue/").status_code == 403


def test_inbox_sorted_by_deadline_and_overdue_shown(people):
    first = published(people["author"], ORG, people["moderator"])
    second = published(people["author"], ORG, people["moderator"],
                       title="Почему не отвечают на письма о ремонте?")
    Question.objects.filter(pk=second.pk).update(due_date=first.due_date.replace(year=2020))
    body = _client(people["head"]).get("/backoffice/open/dialogue/").content.decode()
    assert body.index(second.title) < body.index(first.title)
    assert body.count("Overdue") >= 1
    public = _client().get(f"/dialogue/questions/{second.pk}/").content.decode()
    assert "Overdue" in public

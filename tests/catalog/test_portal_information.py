"""Information services on the catalogue pages, and a search started from a life event."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from qyzmet.catalog.selectors import service_current, service_search
from qyzmet.catalog.services import catalog_sync

from .factories import KZ_SERVICES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loaded():
    catalog_sync(dirs=[KZ_SERVICES])


def _get(lang: str, path: str, **params: str) -> str:
    client = Client()
    client.cookies["django_language"] = lang
    response = client.get(path, params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("kk", ["Қалай алуға болады", "Қажетті құжаттар", "Кім ала алады", "egov.kz порталы"]),
        ("ru", ["Как получить", "Какие документы нужны", "Кто может получить", "Портал egov.kz"]),
        ("en", ["How to get it", "Documents to bring", "Who can get it", "The egov.kz portal"]),
    ],
)
def test_an_information_service_says_how_to_get_it_without_an_apply_button(lang, words):
    html = _get(lang, "/services/kz.residence-registration/")
    for word in words:
        assert word in html, word
    assert "/apply/" not in html
    text = re.sub(r"<[^>]*>", " ", html)  # what a person reads, without tags and attributes
    assert "kz-mvd" not in text and "kz.residence-registration" not in text


def test_an_online_service_keeps_its_apply_button():
    html = _get("en", "/services/kz.address-certificate/")
    assert "/services/kz.address-certificate/apply/" in html
    assert "How to get it" not in html


def test_cards_tell_online_from_information_services():
    html = _get("en", "/services/", q="прописка")
    assert "Registering your address" in html
    assert "Get it elsewhere: see how" in html


def test_information_services_never_reach_code_that_applies():
    assert service_current(code="kz.residence-registration") is None
    assert service_current(code="kz.residence-registration", any_kind=True) is not None
    assert all(s.package.is_online for s in service_search())
    assert not all(s.package.is_online for s in service_search(any_kind=True))


def test_a_search_from_a_life_event_says_so_and_shows_the_rest():
    html = _get("en", "/services/", q="passport", life_event="birth-of-child")
    assert "in “Birth of a child”" in html
    assert "Search all services instead" in html
    assert "Other services that match" in html
    assert "passport of a citizen" in html  # found outside the life event, not hidden


def test_a_search_without_a_life_event_ranks_the_best_first():
    html = _get("ru", "/services/", q="прописка")
    first = html.index("Регистрация по месту жительства")
    assert first < html.index("Регистрация по месту временного пребывания")
    assert "Другие подходящие услуги" not in html

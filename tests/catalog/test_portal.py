"""The catalogue pages render in each language."""

from __future__ import annotations

import pytest
from django.test import Client

from qyzmet.catalog.services import catalog_sync

from .factories import KZ_SERVICES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loaded():
    catalog_sync(dirs=[KZ_SERVICES])


def _client(lang: str) -> Client:
    client = Client()
    client.cookies["django_language"] = lang
    return client


@pytest.mark.parametrize(
    ("lang", "title", "chrome"),
    [
        ("kk", "Тұрғылықты жері туралы анықтама", "Өмірлік жағдайлар"),
        ("ru", "Адресная справка с места жительства", "Жизненные ситуации"),
        ("en", "Certificate of registered address", "Life events"),
    ],
)
def test_home_renders_in_each_language(lang, title, chrome):
    response = _client(lang).get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert title in html and chrome in html


@pytest.mark.parametrize(
    ("lang", "query", "expected"),
    [
        ("kk", "балабақша", "Мектепке дейінгі жастағы балаларды"),
        ("ru", "судимост", "Справка о наличии либо отсутствии судимости"),
        ("en", "entrepreneur", "Registering as an individual entrepreneur"),
    ],
)
def test_search_page(lang, query, expected):
    response = _client(lang).get("/services/", {"q": query})
    assert response.status_code == 200
    assert expected in response.content.decode()


def test_life_event_filter():
    response = _client("en").get("/services/", {"life_event": "starting-business"})
    html = response.content.decode()
    assert "Registering as an individual entrepreneur" in html
    assert "Certificate of registered address" not in html


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("kk", ["Өтінім беруді бастау", "жұмыс күні", "Тегін"]),
        ("ru", ["Начать подачу заявки", "рабочих дней", "Бесплатно"]),
        ("en", ["Start application", "5 working days", "Free"]),
    ],
)
def test_detail_page(lang, words):
    response = _client(lang).get("/services/kz.criminal-record-certificate/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/services/kz.criminal-record-certificate/apply/"' in html
    for word in words:
        assert word in html


def test_unknown_service_page_is_404():
    assert _client("en").get("/services/kz.unicorn-licence/").status_code == 404

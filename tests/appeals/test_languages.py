"""Validation errors in the person's language: the API by Accept-Language, Open311 by its `lang`
parameter or Accept-Language (in Open311's own error format), the portal form in the active
language, each naming the field. Every message the checks can raise has kk and ru."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import polib
import pytest
from django.test import Client
from django.utils import translation

from qyzmet.appeals import services, validation
from qyzmet.appeals.models import Appeal
from qyzmet.core.problem import Problem
from qyzmet.identity.services import api_token_issue

from .conftest import SPB

KEY = "test-open311-key"
EMPTY_TEXT = {
    "en": "Write what the problem is: the text of the appeal is empty.",
    "ru": "Напишите, в чём проблема: текст обращения пуст.",
    "kk": "Мәселенің не екенін жазыңыз: өтініш мәтіні бос.",
}


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_api_problem_in_the_accept_language(citizen, lang):
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=citizen)}", HTTP_ACCEPT_LANGUAGE=lang
    )
    response = client.post(
        "/api/v1/appeals",
        {"text": "", "lat": SPB[0], "lon": SPB[1]},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "text_empty"  # codes and pointers never change
    assert body["errors"] == [{"pointer": "/text", "detail": EMPTY_TEXT[lang]}]
    assert body["detail"] == EMPTY_TEXT[lang]


@pytest.mark.django_db
def test_api_russian_outside_the_jurisdiction_names_the_point(citizen):
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=citizen)}",
        HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9",
    )
    response = client.post(
        "/api/v1/appeals",
        {"text": "Яма", "lat": 48.8566, "lon": 2.3522},
        content_type="application/json",
    )
    body = response.json()
    assert body["title"] == "Вне юрисдикции" and body["errors"][0]["pointer"] == "/lat"
    assert body["detail"].startswith("Точка 48.85660, 2.35220 находится за пределами")


@pytest.fixture
def endpoint(live_server, orgs):
    services.open311_key_issue(name="tests", raw=KEY)
    return f"{live_server.url}/open311/v2"


def _post(endpoint, fmt="json", headers=None, **data):
    return httpx.post(f"{endpoint}/requests.{fmt}", data=data, headers=headers or {}, timeout=20)


@pytest.mark.django_db(transaction=True)
def test_open311_errors_follow_lang_then_accept_language(endpoint):
    good = {"api_key": KEY, "service_code": "improvement", "lat": "59.93", "long": "30.33"}
    by_param = _post(endpoint, **good, description="", lang="ru")
    assert by_param.status_code == 400 and by_param.headers["Content-Language"] == "ru"
    assert by_param.json() == [{"code": 400, "description": "description: " + EMPTY_TEXT["ru"]}]
    by_header = _post(endpoint, headers={"Accept-Language": "ru"}, **good, description="")
    assert by_header.json()[0]["description"] == "description: " + EMPTY_TEXT["ru"]
    # The parameter wins over the header.
    both = _post(endpoint, headers={"Accept-Language": "ru"}, **good, description="", lang="kk")
    assert both.json()[0]["description"] == "description: " + EMPTY_TEXT["kk"]
    xml = _post(
        endpoint,
        fmt="xml",
        headers={"Accept-Language": "ru"},
        service_code="improvement",
        description="Яма",
        lat="59.93",
        long="30.33",
    )
    assert xml.status_code == 403
    root = ET.fromstring(xml.content)  # noqa: S314 (our own server)
    assert root.find("error/description").text == "api_key не указан или недействителен"
    unknown = _post(endpoint, **{**good, "service_code": "nope"}, description="Яма", lang="ru")
    assert unknown.json()[0]["description"] == "service_code nope не найден"
    outside = _post(
        endpoint, **{**good, "lat": "48.85", "long": "2.35"}, description="Яма", lang="ru"
    )
    assert outside.json()[0]["description"].startswith("lat: Точка 48.85000, 2.35000")
    assert Appeal.objects.count() == 0
    # Reads follow the language too.
    services_ru = httpx.get(f"{endpoint}/services.json", params={"lang": "ru"}, timeout=20)
    assert "Благоустройство" in [s["service_name"] for s in services_ru.json()]


@pytest.mark.django_db
def test_portal_form_names_the_field_in_russian(citizen):
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(citizen)
    response = client.post("/appeals/new/", {"text": "", "lat": str(SPB[0]), "lon": str(SPB[1])})
    assert response.status_code == 422
    page = response.content.decode()
    assert f'<a href="#text">В чём проблема?: {EMPTY_TEXT["ru"]}</a>' in page
    assert 'id="text-error"' in page and 'aria-invalid="true"' in page
    bad_lat = client.post("/appeals/new/", {"text": "Яма", "lat": "север", "lon": "30"})
    assert '<a href="#lat">Широта: Широта и долгота должны быть числами.</a>' in (
        bad_lat.content.decode()
    )
    assert Appeal.objects.count() == 0


CASES = [
    (validation.text_validate, {"text": ""}),
    (validation.text_validate, {"text": "я" * 10000}),
    (validation.text_validate, {"text": "12345"}),
    (validation.text_validate, {"text": "路灯坏了很黑"}),
    (validation.place_validate, {"lat": 1.0, "lon": None, "address": ""}),
    (validation.place_validate, {"lat": None, "lon": None, "address": ""}),
    (validation.place_validate, {"lat": 95.0, "lon": 1.0, "address": ""}),
    (validation.place_validate, {"lat": 48.8, "lon": 2.3, "address": ""}),
    (validation.place_validate, {"lat": None, "lon": None, "address": "д" * 301}),
    (validation.category_validate, {"category": "nope"}),
    (validation.photos_validate, {"photos": [b""]}),
    (validation.photos_validate, {"photos": [b"%PDF-1.4"]}),
    (validation.photos_validate, {"photos": [b"\xff\xd8\xff" + b"\x00" * (6 * 1024 * 1024)]}),
    (validation.photos_validate, {"photos": [b"x"] * 6}),
    (validation.media_url_validate, {"url": "ftp://example.org/a.png"}),
]


def _problem(check, kwargs) -> Problem:
    with pytest.raises(Problem) as raised:
        check(**kwargs)
    return raised.value


@pytest.mark.parametrize(("check", "kwargs"), CASES)
def test_every_validation_message_is_translated(check, kwargs):
    with translation.override("en"):
        english = _problem(check, kwargs)
    for lang in ("ru", "kk"):
        with translation.override(lang):
            problem = _problem(check, kwargs)
        assert (problem.code, problem.errors[0].pointer) == (
            english.code,
            english.errors[0].pointer,
        )
        assert problem.title != english.title, (lang, english.title)
        assert problem.errors[0].detail != english.errors[0].detail, (lang, english.detail)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_appeals_catalogues_are_complete(lang):
    from pathlib import Path

    import qyzmet.appeals

    po = polib.pofile(
        str(Path(qyzmet.appeals.__file__).parent / "locale" / lang / "LC_MESSAGES" / "django.po")
    )
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []

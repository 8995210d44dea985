"""What people read on the appeal pages is words, never our codes: the triage queue (the model's
suggestion as "organisation — 83 %", a chooser with nothing preselected and the organisations
near the place first), the citizen's appeal page (where it went, the category, photos for the
owner only, one success message, labelled ratings) and the appeals inbox, in kk/ru/en."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from qyzmet.appeals import services
from qyzmet.appeals.models import Appeal, AppealEvent, RoutingSuggestion
from tests.portal.factories import citizen as make_citizen

from .conftest import PNG, SPB

LANGS = ["kk", "ru", "en"]
SUGGESTIONS = "/backoffice/ai/suggestions/"
# Lowercase words joined by "-" or "_" (in_work, spb-kb, street-infrastructure, appeal-org-…)
CODE = re.compile(r"\b[a-z]+(?:[-_][a-z0-9]+)+\b")
CODE_FREE = re.compile(r"<(script|style)\b.*?</\1>|<[^>]*>", re.S)


def visible_text(html: str) -> str:
    """The page as a person reads it: text between tags (attribute values such as form field
    names, URLs and ids are not read), plus the labels of optgroups and image alts."""
    extra = " ".join(re.findall(r'(?:label|alt|title|aria-label)="([^"]*)"', html))
    text = CODE_FREE.sub(" ", html)
    return text + " " + extra


def codes_in(html: str) -> list[str]:
    """Code-shaped tokens in the page's main content (the shared header and footer are
    another team's, and English prose such as "e-government" is theirs to word)."""
    main = re.search(r"<main\b.*?</main>", html, re.S)
    assert main, "the page has a <main>"
    return sorted(set(CODE.findall(visible_text(main.group(0)))))


def client_for(user, lang: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client


@pytest.fixture
def routed_spb(orgs, citizen, officer, triager):
    """A St Petersburg appeal routed to the pack's organisation, in work, with a photo."""
    appeal = services.appeal_submit(actor=citizen, text="Яма во дворе, машины не проезжают.",
                                    lat=SPB[0], lon=SPB[1], address="Невский проспект, 28",
                                    category="improvement", photos=[PNG], language="ru",
                                    source="portal")
    Appeal.objects.filter(pk=appeal.pk).update(district="Центральный")
    services.appeal_route(actor=triager, appeal_id=appeal.pk, organisation_code="spb-kb")
    services.appeal_take(actor=officer, appeal_id=appeal.pk)
    return Appeal.objects.get(pk=appeal.pk)


@pytest.fixture
def waiting(orgs, citizen, routed_spb):
    """An appeal in triage at the same district, with a model suggestion."""
    appeal = services.appeal_submit(actor=citizen, text="Во дворе не убран мусор.",
                                    lat=SPB[0] + 0.001, lon=SPB[1], address="",
                                    language="ru", source="portal")
    Appeal.objects.filter(pk=appeal.pk).update(district="Центральный",
                                               organisation_code=None, status="registered")
    RoutingSuggestion.objects.filter(appeal=appeal).delete()
    RoutingSuggestion.objects.create(
        appeal=appeal, model_version="2026.12", category="improvement",
        category_label="Благоустройство", category_confidence=0.9,
        reason="Мусор во дворе", organisation_code="spb-kb",
        responsible_org_label='СПб ГКУ "Центр комплексного благоустройства"',
        responsible_org_confidence=0.834, threshold=0.95)
    return Appeal.objects.get(pk=appeal.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_triage_reads_in_words_with_a_percent(triager, waiting, lang):
    html = client_for(triager, lang).get("/backoffice/appeals/triage/").content.decode()
    assert codes_in(html) == []
    name = {"kk": "Абаттандыру кешенді орталығы",
            "ru": "СПб ГКУ «Центр комплексного благоустройства»",
            "en": "Centre for Urban Improvement"}[lang]
    pct = "83%" if lang == "en" else "83\u00a0%"
    assert f"{name} — {pct}" in html.replace("&nbsp;", "\u00a0")
    assert "Мусор во дворе" in html


@pytest.mark.django_db
def test_the_chooser_preselects_nothing_and_puts_the_place_first(triager, waiting):
    html = client_for(triager, "en").get("/backoffice/appeals/triage/").content.decode()
    select = re.search(rf'<select id="org-{waiting.pk}".*?</select>', html, re.S).group(0)
    assert "selected" not in select and " required" in select
    first_group = re.search(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S)
    assert first_group.group(1) == "Near this place"
    assert 'value="spb-kb"' in first_group.group(2)
    assert select.count('value="spb-kb"') == 1  # each organisation once


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_routing_without_a_choice_names_the_field(triager, waiting, lang):
    client = client_for(triager, lang)
    response = client.post(f"/backoffice/appeals/{waiting.pk}/act/",
                           {"action": "route", "next": "triage", "organisation_code": ""},
                           follow=True)
    words = {"kk": "Ұйым: өтініш жіберілетін ұйымды таңдаңыз.",
             "ru": "Организация: выберите организацию, в которую направляется обращение.",
             "en": "Organisation: choose the organisation the appeal is sent to."}[lang]
    assert words in response.content.decode()
    assert Appeal.objects.get(pk=waiting.pk).organisation_code is None


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_inbox_and_case_show_words(officer, routed_spb, lang):
    client = client_for(officer, lang)
    inbox = client.get("/backoffice/appeals/").content.decode()
    assert routed_spb.number in inbox
    assert codes_in(inbox) == []
    case = client.get(f"/backoffice/appeals/{routed_spb.pk}/").content.decode()
    assert codes_in(case) == [], codes_in(case)
    assert "selected" not in re.search(r'<select id="org".*?</select>', case, re.S).group(0)


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_citizen_page_says_where_it_went(citizen, routed_spb, lang):
    client = client_for(citizen, lang)
    html = client.get(f"/my/appeals/{routed_spb.pk}/").content.decode()
    assert codes_in(html) == [], codes_in(html)
    words = {"kk": ("Абаттандыру кешенді орталығы", "Абаттандыру", "Жұмысқа алынды"),
             "ru": ("СПб ГКУ «Центр комплексного благоустройства»", "Благоустройство",
                    "Взято в работу"),
             "en": ("Centre for Urban Improvement", "Public spaces and improvement",
                    "Taken into work")}[lang]
    for word in words:
        assert word in html
    photo = re.search(r'<img src="([^"]+)"', html).group(1)
    answer = client.get(photo)
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert "no-store" in answer["Cache-Control"]


@pytest.mark.django_db
def test_a_photo_is_for_its_owner_only(citizen, routed_spb):
    html = client_for(citizen, "en").get(f"/my/appeals/{routed_spb.pk}/").content.decode()
    photo = re.search(r'<img src="([^"]+)"', html).group(1)
    stranger = client_for(make_citizen(), "en")
    assert stranger.get(photo).status_code == 404
    anonymous = Client().get(photo)
    assert anonymous.status_code == 302


@pytest.mark.django_db
def test_the_success_message_appears_once(citizen, orgs):
    client = client_for(citizen, "en")
    response = client.post("/appeals/new/", {"text": "Не горит фонарь у подъезда.",
                                             "lat": SPB[0], "lon": SPB[1]}, follow=True)
    html = response.content.decode()
    assert html.count("Your appeal is registered as No.") == 1


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_ratings_are_labelled(citizen, officer, routed_spb, lang):
    services.appeal_answer(actor=officer, appeal_id=routed_spb.pk, text="Яма заделана.")
    html = client_for(citizen, lang).get(f"/my/appeals/{routed_spb.pk}/").content.decode()
    for value in range(1, 6):
        label = re.search(rf'<label for="rating-{value}"><input type="radio" '
                          rf'id="rating-{value}"[^>]*> ([^<]+)</label>', html)
        assert label and len(label.group(1).strip()) > 3
    very_good = {"kk": "5 — өте жақсы", "ru": "5 — отлично", "en": "5 — very good"}[lang]
    assert very_good in html
    assert codes_in(html) == []


@pytest.mark.django_db
def test_history_events_are_words(citizen, routed_spb):
    assert set(AppealEvent.objects.filter(appeal=routed_spb).values_list("action", flat=True)
               ) >= {"registered", "taken"}
    html = client_for(citizen, "en").get(f"/my/appeals/{routed_spb.pk}/").content.decode()
    assert "Appeal registered" in html and "Taken into work" in html


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_the_suggestion_log_reads_in_words(ai_admin, triager, waiting, lang):
    services.appeal_route(actor=triager, appeal_id=waiting.pk, organisation_code="spb-kb",
                          category="improvement")
    html = client_for(ai_admin, lang).get(SUGGESTIONS).content.decode()
    assert codes_in(html) == [], codes_in(html)
    assert ("83%" if lang == "en" else "83\u00a0%") in html.replace("&nbsp;", "\u00a0")


@pytest.mark.django_db
def test_triage_queries_do_not_grow_with_the_queue(citizen, triager, waiting):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(triager, "en")
    client.get("/backoffice/appeals/triage/")  # warm up sessions and caches
    with CaptureQueriesContext(connection) as first:
        client.get("/backoffice/appeals/triage/")
    for i in range(5):
        more = services.appeal_submit(actor=citizen, text=f"Проблема {i} во дворе", lat=SPB[0],
                                      lon=SPB[1] + 0.01 * (i + 1), language="ru")
        Appeal.objects.filter(pk=more.pk).update(organisation_code=None, status="registered")
    with CaptureQueriesContext(connection) as second:
        html = client.get("/backoffice/appeals/triage/").content.decode()
    assert html.count('<select id="org-') == 6
    assert len(second) == len(first)

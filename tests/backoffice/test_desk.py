"""The officer's desk as a person sees it: the inbox marks deadlines in words, the case page has
one action area with the usual next step first, a decided case links to its document, the back
office's front door links to every area the person may use (and only those), and no page shows
an agency code or a workflow's internal action code in any language."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from qyzmet.applications import selectors as app_selectors
from qyzmet.applications import services as app_services
from qyzmet.applications.models import Application
from qyzmet.core.calendar import calendar_default
from tests.applications.signing import decide, texted
from tests.identity.factories import MembershipFactory
from tests.portal.factories import agency, catalog_loaded, citizen, officer, submitted

pytestmark = pytest.mark.django_db

HOME = reverse("bo-inbox")
LANGS = ("kk", "ru", "en")


@pytest.fixture(autouse=True)
def _catalog():
    catalog_loaded()


def _page(client, url: str, lang: str = "en") -> str:
    client.cookies["django_language"] = lang
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _due_on(application, day: dt.date) -> None:
    Application.objects.filter(pk=application.pk).update(due_date=day)


def _row(html: str, number: str) -> str:
    return next(r for r in html.split("<tr>") if number in r)


def _buttons(html: str) -> list[tuple[str, str]]:
    """(action, class) of each submit button of the action area, in page order."""
    area = html.split('class="action-area"')[1].split("</section>")[0]
    return re.findall(r'<button type="submit" name="action" value="([a-z_]+)"'
                      r'(?: class="([a-z]+)")?>', area)


# --- the inbox: deadlines in words ---------------------------------------------------------


def test_inbox_marks_overdue_and_due_soon_in_words(client):
    today = timezone.localdate()
    late, soon, later = submitted(citizen()), submitted(citizen()), submitted(citizen())
    _due_on(late, today - dt.timedelta(days=1))
    _due_on(soon, calendar_default().add_working_days(today, 2))
    _due_on(later, calendar_default().add_working_days(today, 3))
    client.force_login(officer())
    words = {"en": ("Overdue", "Due soon"), "ru": ("Просрочено", "Срок истекает"),
             "kk": ("Мерзімі өтті", "Мерзімі жақын")}
    for lang, (overdue_word, soon_word) in words.items():
        html = _page(client, HOME, lang)
        assert overdue_word in _row(html, late.number)
        assert soon_word in _row(html, soon.number) and overdue_word not in _row(html, soon.number)
        assert soon_word not in _row(html, later.number)
        assert overdue_word not in _row(html, later.number)


def test_a_paused_case_is_neither_overdue_nor_due_soon(client):
    clerk = officer()
    paused = submitted(citizen())
    app_services.application_act(actor=clerk, application_id=paused.pk, action="take")
    app_services.application_act(actor=clerk, application_id=paused.pk, action="request_info",
                                 reason="Which bank?")
    _due_on(paused, timezone.localdate() - dt.timedelta(days=2))
    client.force_login(clerk)
    row = _row(_page(client, HOME), paused.number)
    assert "Paused" in row and "Overdue" not in row and "Due soon" not in row


def test_due_soon_counts_working_days():
    friday = dt.date(2026, 12, 4)  # a Friday: two working days on is Tuesday, not Sunday
    assert app_selectors.deadline_soon_limit(today=friday) == dt.date(2026, 12, 8)


def test_inbox_with_marks_keeps_its_query_budget(client, django_assert_max_num_queries):
    today = timezone.localdate()
    for i in range(25):
        _due_on(submitted(citizen()), today + dt.timedelta(days=i - 5))
    client.force_login(officer())
    with django_assert_max_num_queries(12):
        html = client.get(HOME).content.decode()
    assert html.count('class="tag overdue"') == 5
    assert html.count('class="tag due-soon"') >= 1


# --- the case page: one action area, the usual next step first ------------------------------


def test_one_action_area_with_the_next_step_primary(client):
    application = submitted(citizen())
    clerk = officer()
    client.force_login(clerk)
    html = _page(client, reverse("bo-case", args=[application.pk]))
    assert _buttons(html) == [("take", "")]
    app_services.application_act(actor=clerk, application_id=application.pk, action="take")
    html = _page(client, reverse("bo-case", args=[application.pk]))
    assert html.count('class="action-area"') == 1
    assert html.count(f'action="{reverse("bo-act", args=[application.pk])}"') == 1
    assert _buttons(html) == [
        ("approve", ""), ("request_info", "secondary"), ("refuse", "warning"),
    ]
    assert html.count('<textarea id="reason"') == 1


def test_request_info_from_the_one_area_still_needs_a_reason(client):
    application = submitted(citizen())
    clerk = officer()
    app_services.application_act(actor=clerk, application_id=application.pk, action="take")
    client.force_login(clerk)
    client.cookies["django_language"] = "en"
    act = reverse("bo-act", args=[application.pk])
    html = client.post(act, {"action": "request_info", "reason": ""}).content.decode()
    assert 'href="#reason"' in html and 'aria-invalid="true"' in html
    response = client.post(act, {"action": "request_info", "reason": "Which bank?"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == "info_requested"


# --- after the decision: the issued document -------------------------------------------------


def test_an_approved_case_links_to_the_issued_document(client):
    application = submitted(citizen())
    clerk = officer()
    app_services.application_act(actor=clerk, application_id=application.pk, action="take")
    client.force_login(clerk)
    html = _page(client, reverse("bo-case", args=[application.pk]))
    assert 'data-document="issued"' not in html
    texted(lambda: decide(clerk, application_id=application.pk, action="approve"))
    html = _page(client, reverse("bo-case", args=[application.pk]))
    link = re.search(r'<a href="(/verify/[^"]+/)">Open the issued document</a>', html)
    assert link, "no link to the issued document"
    assert client.get(link.group(1)).status_code == 200


def test_a_refused_case_has_no_document_link(client):
    application = submitted(citizen())
    clerk = officer()
    app_services.application_act(actor=clerk, application_id=application.pk, action="take")
    decide(clerk, application_id=application.pk, action="refuse", reason="Not registered.")
    client.force_login(clerk)
    assert 'data-document="issued"' not in _page(client, reverse("bo-case", args=[application.pk]))


# --- the front door: every area the person may use, and only those ---------------------------


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="(/backoffice/[^"]*)"', html)) - {HOME}


def test_an_officer_who_also_handles_appeals_and_models_sees_every_area(client):
    clerk = officer()
    MembershipFactory(user=clerk, organisation=agency(), role="ai_admin")
    MembershipFactory(user=clerk, organisation=agency(), role="exchange_admin")
    client.force_login(clerk)
    links = _links(_page(client, HOME))
    assert {reverse("bo-appeals-inbox"), reverse("bo-ai"),
            reverse("bo-exchange-rights")} <= links
    assert reverse("bo-appeals-triage") not in links  # not a triager
    for url in links - {HOME}:
        if url.count("/") == 3 or url in (reverse("bo-appeals-inbox"), reverse("bo-ai")):
            assert client.get(url).status_code == 200, url


def test_someone_without_cases_gets_a_home_with_only_their_areas(client):
    analyst = MembershipFactory(organisation=agency(), role="ai_admin").user
    client.force_login(analyst)
    html = _page(client, HOME)
    assert _links(html) == {reverse("bo-ai")}
    assert client.get(reverse("bo-ai")).status_code == 200
    triager = MembershipFactory(organisation=agency("kz-qala"), role="appeals_triage").user
    client.force_login(triager)
    links = _links(_page(client, HOME))
    assert links == {reverse("bo-appeals-inbox"), reverse("bo-appeals-triage")}
    for url in links:
        assert client.get(url).status_code == 200, url


def test_a_plain_officer_sees_cases_and_appeals_and_nothing_they_may_not_use(client):
    client.force_login(officer())
    html = _page(client, HOME)
    assert "class=\"areas\"" in html
    links = _links(html)
    assert reverse("bo-appeals-inbox") in links
    assert not links & {reverse("bo-ai"), reverse("bo-exchange-rights"),
                        reverse("bo-appeals-triage")}


# --- no internal codes on the officer's pages -------------------------------------------------

# An agency code (kz-mvd), or a workflow's action/state code (request_info, in_review, take).
CODE_SHAPED = re.compile(
    r"\bkz-[a-z-]+\b|\b[a-z]+_[a-z_]+\b|\b(?:take|approve|refuse|submit)\b"
)


def _visible_text(html: str) -> str:
    """The words a person reads: no tags, no attribute values, no <head>."""
    body = html.split("<body", 1)[1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize("lang", LANGS)
def test_officer_pages_show_no_code_shaped_token(client, lang):
    clerk = officer()
    open_case, info_case, decided = (submitted(citizen()) for _ in range(3))
    _due_on(open_case, timezone.localdate() - dt.timedelta(days=1))
    for application in (info_case, decided):
        app_services.application_act(actor=clerk, application_id=application.pk, action="take")
    app_services.application_act(actor=clerk, application_id=info_case.pk,
                                 action="request_info", reason="Which bank?")
    texted(lambda: decide(clerk, application_id=decided.pk, action="approve"))
    client.force_login(clerk)
    pages = [HOME, reverse("bo-inbox") + "?status=all"] + [
        reverse("bo-case", args=[a.pk]) for a in (open_case, info_case, decided)
    ]
    for url in pages:
        text = _visible_text(_page(client, url, lang))
        found = CODE_SHAPED.findall(text)
        assert not found, f"{url} in {lang} shows {found}"


def test_the_code_check_can_fail():
    assert CODE_SHAPED.findall(_visible_text("<body><p>kz-mvd · request_info · take</p>"))


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "Decision on application {number}: Approve"),
    ("ru", "Решение по заявке {number}: Одобрить"),
    ("kk", "№{number} өтінім бойынша шешім: "),
])
def test_the_signing_page_names_the_decision_and_the_agency_in_words(client, lang, words):
    from tests.applications.signing import texted as send

    application = submitted(citizen())
    clerk = officer()
    app_services.application_act(actor=clerk, application_id=application.pk, action="take")
    client.force_login(clerk)
    client.cookies["django_language"] = lang
    sign_url = send(lambda: client.post(reverse("bo-act", args=[application.pk]),
                                        {"action": "approve"}))["Location"]
    html = client.get(sign_url).content.decode()
    facts = html.split("data-what>")[1].split("</dl>")[0]
    assert words.format(number=application.number) in facts
    assert "kz-mvd" not in facts and "approve" not in facts
    assert not CODE_SHAPED.findall(_visible_text("<body>" + facts))

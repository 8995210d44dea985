"""The officer's back office: who gets in, the inbox (own agency only, by deadline, filters,
pages, no N+1), the case page and its actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from qyzmet.applications import services as app_services
from qyzmet.applications.models import Application, ApplicationEvent
from tests.portal.factories import catalog_loaded, citizen, officer, submitted

pytestmark = pytest.mark.django_db

INBOX = reverse("bo-inbox")


@pytest.fixture(autouse=True)
def _catalog():
    catalog_loaded()


def _case(application, name="bo-case"):
    return reverse(name, kwargs={"application_id": application.pk})


def _due(application, days_from_today: int):
    """Move a case's deadline (test setup: the real one is a working day away for everyone)."""
    Application.objects.filter(pk=application.pk).update(
        due_date=timezone.localdate() + dt.timedelta(days=days_from_today)
    )


def test_anonymous_is_sent_to_login(client):
    response = client.get(INBOX)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={INBOX}"


def test_citizen_gets_403(client):
    client.force_login(citizen())
    client.cookies["django_language"] = "en"
    response = client.get(INBOX)
    assert response.status_code == 403
    assert "Access denied" in response.content.decode()
    application = submitted(citizen())
    assert client.get(_case(application)).status_code == 403


def test_inbox_shows_only_own_agency_cases_by_deadline(client):
    mine_late, mine_soon = submitted(citizen()), submitted(citizen())
    _due(mine_late, 10)
    _due(mine_soon, 2)
    other_agency = submitted(citizen())
    Application.objects.filter(pk=other_agency.pk).update(agency_code="kz-minjust")
    client.force_login(officer())
    html = client.get(INBOX).content.decode()
    assert mine_late.number in html and mine_soon.number in html
    assert other_agency.number not in html
    assert html.index(mine_soon.number) < html.index(mine_late.number)


def test_overdue_and_paused_tags(client):
    late = submitted(citizen())
    _due(late, -3)
    paused = submitted(citizen())
    clerk = officer()
    app_services.application_act(actor=clerk, application_id=paused.pk, action="take")
    app_services.application_act(actor=clerk, application_id=paused.pk, action="request_info",
                                 reason="Which bank?")
    client.force_login(clerk)
    client.cookies["django_language"] = "en"
    html = client.get(INBOX).content.decode()
    rows = {row.split("</td>")[0]: row for row in html.split("<tr>")[2:]}
    late_row = next(r for r in rows.values() if late.number in r)
    paused_row = next(r for r in rows.values() if paused.number in r)
    assert 'class="tag overdue"' in late_row
    assert 'class="tag paused"' in paused_row and "Paused" in paused_row
    assert "overdue" not in paused_row


def test_filters(client):
    late = submitted(citizen())
    _due(late, -1)
    fresh = submitted(citizen())
    clerk = officer()
    app_services.application_act(actor=clerk, application_id=fresh.pk, action="take")
    client.force_login(clerk)
    html = client.get(INBOX, {"overdue": "yes"}).content.decode()
    assert late.number in html and fresh.number not in html
    html = client.get(INBOX, {"state": "in_review"}).content.decode()
    assert fresh.number in html and late.number not in html
    app_services.application_act(actor=clerk, application_id=fresh.pk, action="approve")
    html = client.get(INBOX, {"status": "closed"}).content.decode()
    assert fresh.number in html and late.number not in html
    html = client.get(INBOX).content.decode()
    assert fresh.number not in html


def test_inbox_pages_with_a_cursor_and_keeps_filters(client):
    made = [submitted(citizen()) for _ in range(27)]
    for i, application in enumerate(made):
        _due(application, i + 1)
    client.force_login(officer())
    first = client.get(INBOX, {"status": "open"}).content.decode()
    assert made[24].number in first and made[25].number not in first
    next_url = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert "status=open" in next_url and "cursor=" in next_url
    second = client.get(INBOX + next_url.replace("&amp;", "&")).content.decode()
    assert made[25].number in second and made[26].number in second
    assert made[0].number not in second


def test_inbox_has_no_n_plus_one(client, django_assert_max_num_queries):
    for _ in range(25):
        submitted(citizen())
    client.force_login(officer())
    with django_assert_max_num_queries(12):
        response = client.get(INBOX)
    assert response.content.decode().count('class="tag overdue"') == 0
    assert response.content.decode().count("/backoffice/cases/") == 25


def test_officer_of_another_agency_gets_404(client):
    application = submitted(citizen())
    client.force_login(officer("kz-minjust"))
    assert client.get(_case(application)).status_code == 404
    assert client.post(_case(application, "bo-act"), {"action": "take"}).status_code == 404
    application.refresh_from_db()
    assert application.state == "submitted"


def test_case_page_shows_data_evidence_history_and_actions(client):
    person = citizen(last_name="Жұмабаев", first_name="Асқар")
    application = submitted(person, data={"purpose": "school", "comment": "5 сынып"})
    client.force_login(officer())
    client.cookies["django_language"] = "en"
    html = client.get(_case(application)).content.decode()
    assert "What the certificate is for" in html and "For a school" in html
    assert "Жұмабаев Асқар" in html
    assert "Application submitted" in html
    assert 'name="action" value="take"' in html
    assert 'name="action" value="approve"' not in html  # not from "submitted"


def test_case_page_is_translated(client):
    application = submitted(citizen())
    client.force_login(officer())
    client.cookies["django_language"] = "ru"
    html = client.get(_case(application)).content.decode()
    assert "Взять на рассмотрение" in html and "Сведения из реестров" in html
    client.cookies["django_language"] = "kk"
    html = client.get(_case(application)).content.decode()
    assert "Қарауға алу" in html and "Тізілімдерден алынған мәліметтер" in html


def test_refuse_without_reason_names_the_field_and_changes_nothing(client):
    application = submitted(citizen())
    clerk = officer()
    app_services.application_act(actor=clerk, application_id=application.pk, action="take")
    client.force_login(clerk)
    client.cookies["django_language"] = "en"
    events = ApplicationEvent.objects.count()
    response = client.post(_case(application, "bo-act"), {"action": "refuse", "reason": " "})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="#reason"' in html
    assert 'id="reason-error"' in html and 'aria-invalid="true"' in html
    application.refresh_from_db()
    assert application.state == "in_review"
    assert ApplicationEvent.objects.count() == events


def test_refuse_asks_for_a_ground_of_the_service_in_the_officers_language(client):
    application = submitted(citizen())
    clerk = officer()
    app_services.application_act(actor=clerk, application_id=application.pk, action="take")
    client.force_login(clerk)
    client.cookies["django_language"] = "ru"
    page = client.get(_case(application)).content.decode()
    assert '<select id="ground" name="ground"' in page and 'for="ground"' in page
    assert 'value="no_registered_address"' in page
    assert "У заявителя нет зарегистрированного места жительства" in page
    events = ApplicationEvent.objects.count()
    # Neither ground nor reason: both fields are named at once.
    html = client.post(_case(application, "bo-act"), {"action": "refuse", "reason": ""}
                       ).content.decode()
    assert 'href="#ground"' in html and 'href="#reason"' in html
    assert 'id="ground-error"' in html and 'id="reason-error"' in html
    # A reason but a ground the service does not have: the ground is named, the text kept.
    html = client.post(_case(application, "bo-act"),
                       {"action": "refuse", "reason": "Нет адреса.", "ground": "whim"}
                       ).content.decode()
    assert 'href="#ground"' in html and 'href="#reason"' not in html
    assert "Выберите основание отказа." in html and "Нет адреса." in html
    application.refresh_from_db()
    assert application.state == "in_review" and ApplicationEvent.objects.count() == events


def test_conflicting_action_shows_a_message_and_changes_nothing(client):
    application = submitted(citizen())
    client.force_login(officer())
    client.cookies["django_language"] = "en"
    response = client.post(_case(application, "bo-act"), {"action": "approve"}, follow=True)
    assert "could not be taken" in response.content.decode()
    application.refresh_from_db()
    assert application.state == "submitted"


def test_take_then_refuse_with_reason(client):
    from qyzmet.signatures.services import pki_init
    from tests.applications.signing import sms_code, texted

    pki_init()
    application = submitted(citizen())
    head = officer(role="head")
    client.force_login(head)
    act = _case(application, "bo-act")
    assert client.post(act, {"action": "take"}).status_code == 302
    # A refusal is a decision: it is signed first, and applied on the return from signing.
    response = texted(lambda: client.post(
        act, {"action": "refuse", "reason": "Not registered here.",
              "ground": "no_registered_address"}
    ))
    assert response.status_code == 302
    sign_url = response["Location"]
    assert sign_url.startswith("/sign/")
    application.refresh_from_db()
    assert application.state == "in_review"
    confirmed = client.post(sign_url, {"code": sms_code(head)})
    assert confirmed.status_code == 302
    assert client.get(confirmed["Location"]).status_code == 302
    application.refresh_from_db()
    assert application.state == "refused"
    assert application.decision_reason == "Not registered here."
    assert application.decision_ground == "no_registered_address"


def test_attachment_of_another_case_is_404(client):
    from tests.portal.factories import PDF_BYTES

    person = citizen()
    first, second = submitted(person), submitted(person)
    clerk = officer()
    for application in (first, second):
        app_services.application_act(actor=clerk, application_id=application.pk, action="take")
        app_services.application_act(actor=clerk, application_id=application.pk,
                                     action="request_info", reason="scan")
    attachment = app_services.attachment_add(
        actor=person, application_id=first.pk, filename="a.pdf", content=PDF_BYTES
    )
    client.force_login(clerk)
    ok = reverse("bo-attachment", kwargs={"application_id": first.pk,
                                          "attachment_id": attachment.pk})
    wrong = reverse("bo-attachment", kwargs={"application_id": second.pk,
                                             "attachment_id": attachment.pk})
    assert client.get(ok).status_code == 200
    assert client.get(wrong).status_code == 404
    client.force_login(officer("kz-minjust"))
    assert client.get(ok).status_code == 404

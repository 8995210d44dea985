"""The application journey in GOV.UK patterns, through the Django client on a real database:
form → check your answers → sign → confirmation, and the officer's decision → signing →
confirmation. What a person reads is checked in Kazakh: labels and choices in words, dates
written out, a Change link that returns to its question with the answers kept, no JSON or hash
outside the "Technical details" disclosure, an SMS that names the service, and a confirmation only
its owner can open."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from qyzmet.applications import services as app_services
from qyzmet.applications.models import Application
from qyzmet.catalog.selectors import service_current
from qyzmet.core.formats import date_long
from qyzmet.identity.selectors import organisation_names
from qyzmet.notifications.selectors import sms_demo_messages
from tests.applications.signing import sms_code, texted
from tests.portal.factories import SERVICE, catalog_loaded, citizen, officer, submitted
from tests.registries.factories import PersonFactory

pytestmark = pytest.mark.django_db

KINDERGARTEN = "kz.kindergarten-queue"
APPLY = reverse("apply", kwargs={"code": KINDERGARTEN})
CHECK = reverse("apply-check", kwargs={"code": KINDERGARTEN})


@pytest.fixture(autouse=True)
def _catalog():
    catalog_loaded()


@pytest.fixture
def me(client):
    user = citizen(last_name="Сейітова", first_name="Әсем")
    client.force_login(user)
    client.cookies["django_language"] = "kk"
    return user


@pytest.fixture
def child():
    return PersonFactory(last_name="Сейітов", first_name="Ерлан", birth_date=dt.date(2022, 3, 4))


def _answers(child, **changed) -> dict[str, str]:
    return {
        "intent": "check",
        "idempotency_key": str(uuid.uuid4()),
        "child_iin": child.iin,
        "district": "medeu",
        "language": "kk",
        "desired_start": "2027-09-01",
        **changed,
    }


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _main(page: str) -> str:
    """The page's own content (the header's language switch carries the URL as a hidden field)."""
    main = page.split('<main id="main"')[1].split("</main>")[0]
    return re.sub(r'<input type="hidden"[^>]*>', "", main)


def _outside_details(page: str) -> str:
    return re.sub(r'<details class="technical".*?</details>', "", _main(page), flags=re.S)


def _details(page: str) -> str:
    return page.split('<details class="technical"')[1].split("</details>")[0]


def test_continue_leads_to_check_your_answers_in_words(client, me, child):
    response = client.post(APPLY, _answers(child))
    assert response.status_code == 302 and response["Location"] == CHECK
    assert not sms_demo_messages(phone=me.phone, limit=1)  # nothing is signed yet
    page = _text(client.get(CHECK))
    assert "Қол қоймас бұрын жауаптарыңызды тексеріңіз" in page
    answers = page.split("data-answers>")[1].split("</dl>")[0]
    assert "Аудан" in answers and "Медеу ауданы" in answers and ">medeu<" not in answers
    assert "Тәрбие тілі" in answers and "Қазақ тілі" in answers
    assert "2027 жылғы 1 қыркүйек" in answers and "2027-09-01" not in answers
    # The registry facts the application will carry, by their labels.
    facts = page.split("data-facts>")[1].split("</dl>")[0]
    assert "Сейітов Ерлан" in facts and "04.03.2022" in facts
    # One Change link per answer, to its question.
    for name in ("child_iin", "district", "language", "desired_start"):
        assert f'href="{APPLY}?change={name}#field-{name}"' in page
    assert f'href="{APPLY}?change="' in page  # the Back link keeps the answers too


def test_change_returns_to_the_question_with_every_answer_kept(client, me, child):
    client.post(APPLY, _answers(child))
    form = _text(client.get(f"{APPLY}?change=desired_start"))
    assert re.search(
        r'<input autofocus id="field-desired_start" name="desired_start" '
        r'value="2027-09-01"',
        form,
    )
    assert '<option value="medeu" selected>' in form
    assert f'value="{child.iin}"' in form
    assert form.count("autofocus") == 1
    # A changed answer is what check-your-answers then shows.
    client.post(APPLY, _answers(child, district="almaly"))
    page = _text(client.get(CHECK))
    assert "Алмалы ауданы" in page and "Медеу ауданы" not in page


def test_the_form_has_a_back_link_and_a_focused_error_summary(client, me, child):
    page = _text(client.get(APPLY))
    service = reverse("service-detail", kwargs={"code": KINDERGARTEN})
    assert f'<a class="back-link" href="{service}">Артқа</a>' in page.split('<main id="main"')[0]
    wrong = _text(client.post(APPLY, _answers(child, child_iin="123", district="")))
    summary = wrong.split('class="error-summary"')[1].split("</div>")[0]
    assert "autofocus" in summary and 'tabindex="-1"' in summary
    assert 'href="#field-child_iin"' in summary and 'href="#field-district"' in summary
    assert "«Аудан» тізімнен таңдаңыз." in summary  # what to do, naming the question


def test_check_without_answers_shows_the_form(client, me):
    response = client.get(CHECK)
    assert response.status_code == 302 and response["Location"] == APPLY


def test_the_signing_page_shows_words_and_keeps_json_and_hash_in_details(client, me, child):
    client.post(APPLY, _answers(child))
    sign_url = texted(lambda: client.post(CHECK, {}))["Location"]
    assert sign_url.startswith("/sign/")
    page = _text(client.get(sign_url))
    title = service_current(code=KINDERGARTEN).title("kk")
    assert f"<title>Электрондық қол қою — {title}" in page or title in page.split("</title>")[0]
    visible = _outside_details(page)
    assert "Медеу ауданы" in visible and "2027 жылғы 1 қыркүйек" in visible
    assert "Сейітов Ерлан" in visible
    assert '"kind"' not in visible and "qyzmet.application" not in visible
    assert "data-sha256" not in visible
    assert KINDERGARTEN not in visible
    assert not re.search(r"\b[0-9a-f]{64}\b", visible)
    details = _details(page)
    assert '"kind": "qyzmet.application.submission/1"' in details
    assert re.search(r"<code data-sha256>[0-9a-f]{64}</code>", details)


def test_the_sms_names_the_service_in_kazakh(client, me, child):
    client.post(APPLY, _answers(child))
    texted(lambda: client.post(CHECK, {}))
    sms = sms_demo_messages(phone=me.phone, limit=1)[0].text
    title = service_current(code=KINDERGARTEN).title("kk")
    assert f"Өтінім: {title}"[:40] in sms
    assert KINDERGARTEN not in sms and "Application" not in sms


def test_the_sms_purpose_is_cut_at_a_word():
    from qyzmet.signatures.services import SMS_PURPOSE_MAX, _sms_purpose

    long = "Өтінім: " + " ".join(["мемлекеттік"] * 12)
    short = _sms_purpose(long)
    assert len(short) <= SMS_PURPOSE_MAX and short.endswith("мемлекеттік…")
    assert _sms_purpose("Өтінім: Мекенжай анықтамасы") == "Өтінім: Мекенжай анықтамасы"


def _submit(client, user, child) -> Application:
    client.post(APPLY, _answers(child))
    sign_url = texted(lambda: client.post(CHECK, {}))["Location"]
    done = client.post(sign_url, {"code": sms_code(user)})["Location"]
    landed = client.get(done)
    application = Application.objects.get(applicant=user)
    assert landed["Location"] == reverse("my-application-submitted", args=[application.pk])
    return application


def test_the_confirmation_page_is_a_panel_reachable_again_by_its_owner_only(client, me, child):
    application = _submit(client, me, child)
    url = reverse("my-application-submitted", args=[application.pk])
    for _ in range(2):  # a reload shows it again
        page = _text(client.get(url))
        panel = page.split('class="panel"')[1].split("</div>")[0]
        assert "Өтінім берілді" in panel and application.number in panel
        assert f"<strong data-due>{date_long(application.due_date, 'kk')}</strong>" in page
        assert "Әрі қарай не болады" in page
        assert reverse("my-application", args=[application.pk]) in page
    # The answers wait no more: a new form starts empty.
    assert 'medeu" selected' not in _text(client.get(f"{APPLY}?change="))

    stranger = Client()
    stranger.force_login(citizen())
    assert stranger.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to sign in


def test_a_draft_has_no_confirmation(client, me):
    draft = app_services.application_draft_save(
        actor=me, service_code=SERVICE, data={"purpose": "bank"}
    )
    url = reverse("my-application-submitted", args=[draft.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(("lang", "words"), [("kk", "Мақұлдау — «"), ("en", "Approve — issue “")])
def test_the_officer_signs_a_decision_in_words_and_then_opens_the_document(
    client, lang, words, django_capture_on_commit_callbacks
):
    application = submitted(citizen())
    clerk = officer()
    app_services.application_act(actor=clerk, application_id=application.pk, action="take")
    client.force_login(clerk)
    client.cookies["django_language"] = lang
    act = reverse("bo-act", args=[application.pk])
    sign_url = texted(lambda: client.post(act, {"action": "approve"}))["Location"]
    page = _text(client.get(sign_url))
    visible = _outside_details(page)
    decision = visible.split("data-decision>")[1].split("</dl>")[0]
    assert words in decision and application.number in decision
    agency = organisation_names(codes=["kz-mvd"])["kz-mvd"][lang]
    assert agency and agency in decision
    assert "kz-mvd" not in visible and '"approve"' not in visible and ">approve<" not in visible
    assert '"agency": "kz-mvd"' in _details(page)  # the signed bytes, in the disclosure
    sms = sms_demo_messages(phone=clerk.phone, limit=1)[0].text
    assert application.number in sms and "approve" not in sms
    done = client.post(sign_url, {"code": sms_code(clerk)})["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        landed = client.get(done)
    assert landed.status_code == 302
    confirmation = _text(client.get(landed["Location"]))
    assert 'data-panel="decided"' in confirmation and words in confirmation
    assert 'data-document="issued"' in confirmation
    assert re.search(r'href="/verify/[^"]+"', confirmation)
    assert agency in confirmation


def test_the_decision_confirmation_is_only_for_the_officer_who_signed(client):
    application = submitted(citizen())
    clerk = officer()
    app_services.application_act(actor=clerk, application_id=application.pk, action="take")
    client.force_login(clerk)
    sign_url = texted(
        lambda: client.post(reverse("bo-act", args=[application.pk]), {"action": "approve"})
    )["Location"]
    done = client.post(sign_url, {"code": sms_code(clerk)})["Location"]
    url = client.get(done)["Location"]
    assert client.get(url).status_code == 200
    colleague = Client()
    colleague.force_login(officer())
    assert colleague.get(url).status_code == 404
    other_agency = Client()
    other_agency.force_login(officer("kz-minjust"))
    assert other_agency.get(url).status_code == 404

"""The apply page: generated form, read-only registry facts, validation, idempotent submit,
drafts."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse

from qyzmet.applications.models import Application
from qyzmet.audit.selectors import audit_reads_of_subject
from tests.applications.signing import sms_code, texted
from tests.portal.factories import SERVICE, catalog_loaded, citizen

pytestmark = pytest.mark.django_db

APPLY = reverse("apply", kwargs={"code": SERVICE})


@pytest.fixture(autouse=True)
def _catalog():
    catalog_loaded()


@pytest.fixture
def person_user(client):
    user = citizen(last_name="Сейітов", first_name="Нұрлан", patronymic="Әбенұлы")
    client.force_login(user)
    return user


def _signed(client, response, user):
    """Follow "Sign and submit": the signing page, the code from the SMS, the return address.
    Returns the response of the return address (a redirect to the application)."""
    assert response.status_code == 302, response.content.decode()[:500]
    sign_url = response["Location"]
    assert sign_url.startswith("/sign/")
    confirmed = client.post(sign_url, {"code": sms_code(user)})
    assert confirmed.status_code == 302, confirmed.content.decode()[:500]
    return client.get(confirmed["Location"])


def _key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', html).group(1)


def test_anonymous_is_sent_to_login(client):
    response = client.get(APPLY)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_form_shows_prefilled_registry_facts_read_only(client, person_user):
    response = client.get(APPLY, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    facts = html.split('<dl class="readonly-facts">')[1].split("</dl>")[0]
    assert "Сейітов Нұрлан Әбенұлы" in facts
    assert "17.05.1990" in facts  # the registry's birth date, shown not typed
    # The facts are text, never inputs the citizen could change.
    assert "<input" not in facts
    assert 'name="full_name"' not in html
    # The form from the schema, in ui_order: purpose (enum → select), comment (500 → textarea).
    assert '<select id="field-purpose" name="purpose"' in html
    assert '<textarea id="field-comment" name="comment"' in html
    assert html.index('id="field-purpose"') < html.index('id="field-comment"')
    assert uuid.UUID(_key(html))
    assert 'value="draft"' in html and 'value="check"' in html  # Continue: check your answers


def test_labels_and_options_follow_the_language(client, person_user):
    client.cookies["django_language"] = "ru"
    html = client.get(APPLY).content.decode()
    assert "Для чего нужна справка" in html
    assert ">Работодателю<" in html
    client.cookies["django_language"] = "kk"
    html = client.get(APPLY).content.decode()
    assert "Анықтама не үшін керек" in html
    assert ">Жұмыс берушіге<" in html


def test_the_prefill_read_is_audited_with_its_purpose(client, person_user):
    client.get(APPLY)
    purposes = [r.purpose for r in audit_reads_of_subject(subject_iin=person_user.iin)]
    assert f"showing prefilled data for service {SERVICE}" in purposes


def test_invalid_submit_shows_every_error_and_saves_nothing(client, person_user):
    key = _key(client.get(APPLY).content.decode())
    before = Application.objects.count()
    response = client.post(APPLY, {
        "intent": "submit", "idempotency_key": key, "purpose": "", "comment": "x" * 501,
    }, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert Application.objects.count() == before
    summary = html.split('<div class="error-summary"')[1].split("</div>")[0]
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary
    assert 'href="#field-purpose"' in summary
    assert 'href="#field-comment"' in summary
    assert "500" in summary  # the length limit is named
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="field-comment-error"' in html
    assert 'id="field-purpose-error"' in html
    # What was typed is kept.
    assert "x" * 501 in html
    # The same key is kept so a corrected submit is still one application.
    assert _key(html) == key


def test_unknown_option_is_rejected(client, person_user):
    response = client.post(APPLY, {
        "intent": "submit", "idempotency_key": str(uuid.uuid4()), "purpose": "casino",
    })
    assert response.status_code == 200
    assert 'href="#field-purpose"' in response.content.decode()
    assert not Application.objects.exists()


def test_valid_submit_redirects_to_the_application(client, person_user):
    response = texted(lambda: client.post(APPLY, {
        "intent": "submit", "idempotency_key": str(uuid.uuid4()), "purpose": "bank",
        "comment": "",
    }))
    assert not Application.objects.exists()  # nothing counts before it is signed
    response = _signed(client, response, person_user)
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "my-application-submitted", kwargs={"application_id": application.pk}
    )
    assert application.applicant == person_user
    assert application.state == "submitted"
    # Empty optional fields are absent, not "".
    assert application.data == {"purpose": "bank"}
    assert application.evidence["person"]["iin"] == person_user.iin
    page = client.get(response["Location"])
    assert application.number in page.content.decode()


def test_double_submit_with_the_same_key_makes_one_application(client, person_user):
    key = _key(client.get(APPLY).content.decode())
    form = {"intent": "submit", "idempotency_key": key, "purpose": "employer"}
    first = _signed(client, texted(lambda: client.post(APPLY, form)), person_user)
    second = _signed(client, texted(lambda: client.post(APPLY, form)), person_user)
    assert Application.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_draft_save_and_continue(client, person_user):
    response = client.post(APPLY, {
        "intent": "draft", "idempotency_key": str(uuid.uuid4()), "purpose": "school",
        "comment": "для школы №5",
    })
    draft = Application.objects.get()
    assert draft.state == "draft"
    assert draft.data == {"purpose": "school", "comment": "для школы №5"}
    assert response["Location"] == reverse("my-application", kwargs={"application_id": draft.pk})

    page = client.get(response["Location"]).content.decode()
    continue_url = f"{APPLY}?draft={draft.pk}"
    assert f'href="{continue_url}"' in page

    html = client.get(continue_url).content.decode()
    assert '<option value="school" selected>' in html
    assert "для школы №5" in html
    assert f'name="draft" value="{draft.pk}"' in html

    response = texted(lambda: client.post(continue_url, {
        "intent": "submit", "idempotency_key": _key(html), "draft": draft.pk,
        "purpose": "school", "comment": "для школы №5",
    }))
    draft.refresh_from_db()
    assert draft.state == "draft"  # drafts stay unsigned until they are submitted
    response = _signed(client, response, person_user)
    assert response.status_code == 302
    assert Application.objects.count() == 1
    draft.refresh_from_db()
    assert draft.state == "submitted"


def test_someone_elses_draft_cannot_be_continued(client, person_user):
    other = citizen()
    client.force_login(other)
    client.post(APPLY, {"intent": "draft", "idempotency_key": str(uuid.uuid4()),
                        "purpose": "bank"})
    draft = Application.objects.get()
    client.force_login(person_user)
    assert client.get(f"{APPLY}?draft={draft.pk}").status_code == 404


def test_unknown_service_is_404(client, person_user):
    assert client.get(reverse("apply", kwargs={"code": "kz.nope"})).status_code == 404


def test_child_iin_with_wrong_check_digit_is_explained_in_the_citizens_language(
    client, person_user
):
    from tests.identity.factories import next_iin

    good = next_iin()
    bad = good[:11] + str((int(good[11]) + 1) % 10)
    url = reverse("apply", args=["kz.kindergarten-queue"])
    key = _key(client.get(url).content.decode())
    before = Application.objects.count()
    response = client.post(
        url,
        {"intent": "submit", "idempotency_key": key, "child_iin": bad,
         "preferred_district": "Алмалы", "desired_start_date": "2027-09-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert Application.objects.count() == before
    assert "its last (check) digit is wrong" in html
    assert 'href="#field-child_iin"' in html

"""Evidence read once: one application — the form, check your answers, signing, the submission —
is one read per registry item in the citizen's data log, through the portal and through the API.
A fact that changed in the registry before the citizen signed is shown (as it was, as it is, in
words) and the citizen confirms again; nothing is signed or submitted silently."""

from __future__ import annotations

import datetime as dt
import html
import json
import uuid
from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse

from qyzmet.applications.models import Application
from qyzmet.audit.models import AuditEntry
from qyzmet.identity.services import api_token_issue
from qyzmet.registries.population.models import Person
from tests.applications.signing import sms_code, texted
from tests.portal.factories import catalog_loaded, citizen
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
    client.cookies["django_language"] = "en"
    return user


@pytest.fixture
def child():
    return PersonFactory(last_name="Сейітов", first_name="Ерлан", birth_date=dt.date(2022, 3, 4))


def _answers(child) -> dict[str, str]:
    return {
        "intent": "check",
        "idempotency_key": str(uuid.uuid4()),
        "child_iin": child.iin,
        "district": "medeu",
        "language": "kk",
        "desired_start": "2027-09-01",
    }


def _registry_reads(*iins: str) -> Counter:
    """The registry reads in the data log of these people, by what was read and about whom."""
    rows = AuditEntry.objects.filter(
        kind=AuditEntry.Kind.READ, subject_iin__in=iins, action__startswith="read:population."
    )
    return Counter((row.action, row.subject_iin) for row in rows)


def _sign_and_submit(client: Client, user, response) -> object:
    """The signing page, the code from the SMS, the return address (which submits)."""
    assert response.status_code == 302, response.content.decode()[:500]
    assert response["Location"].startswith("/sign/")
    confirmed = client.post(response["Location"], {"code": sms_code(user)})
    assert confirmed.status_code == 302, confirmed.content.decode()[:500]
    return client.get(confirmed["Location"])


def test_one_portal_application_reads_each_registry_item_once(client, me, child):
    assert client.get(APPLY).status_code == 200  # the form shows the applicant's facts
    assert client.post(APPLY, _answers(child)).status_code == 302
    assert client.get(CHECK).status_code == 200  # and the child's, on check your answers
    assert client.get(APPLY + "?change=district").status_code == 200  # back to a question
    assert client.get(CHECK).status_code == 200
    done = _sign_and_submit(client, me, texted(lambda: client.post(CHECK)))
    assert done.status_code == 302, done.content.decode()[:500]
    application = Application.objects.get()
    assert application.evidence["child"]["iin"] == child.iin
    assert _registry_reads(me.iin, child.iin) == {
        ("read:population.children", me.iin): 1,
        ("read:population.person", child.iin): 1,
    }


def test_one_api_application_reads_each_registry_item_once(me, child):
    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=me)}")
    body = {"service_code": KINDERGARTEN, "data": {
        "child_iin": child.iin, "district": "medeu", "language": "kk",
        "desired_start": "2027-09-01",
    }}  # fmt: skip

    def post(url: str, payload: dict):
        return api.post(url, json.dumps(payload), content_type="application/json")

    made = texted(lambda: post("/api/v1/applications/sign", body))
    assert made.status_code == 201, made.content
    made = made.json()
    assert post(made["confirm_url"], {"code": sms_code(me)}).status_code == 201
    submitted = post(
        "/api/v1/applications", {**body, "signature_request_id": made["signature_request_id"]}
    )
    assert submitted.status_code == 201, submitted.content
    assert _registry_reads(me.iin, child.iin) == {
        ("read:population.children", me.iin): 1,
        ("read:population.person", child.iin): 1,
    }


def test_a_fact_changed_before_signing_is_shown_and_signed_only_when_confirmed_again(
    client, me, child, settings
):
    assert client.post(APPLY, _answers(child)).status_code == 302
    page = html.unescape(client.get(CHECK).content.decode())
    assert "Сейітов Ерлан" in page
    # The registry changes the child's name; the facts shown are older than they may be.
    Person.objects.filter(iin=child.iin).update(last_name="Жаңаев")
    settings.QYZMET_EVIDENCE_MAX_AGE_SECONDS = 0
    response = texted(lambda: client.post(CHECK))
    assert response.status_code == 302 and response["Location"] == CHECK  # nothing signed
    page = html.unescape(client.get(CHECK).content.decode())
    changes = page.split("data-facts-changed>")[1].split("</dl>")[0]
    assert "was: Сейітов Ерлан" in changes and "now: Жаңаев Ерлан" in changes
    assert "child_iin" not in changes and "last_name" not in changes  # words, no field codes
    facts = page.split("data-facts>")[1].split("</dl>")[0]
    assert "Жаңаев Ерлан" in facts
    # Confirmed again: what is signed and submitted is the registry's current answer.
    done = _sign_and_submit(client, me, texted(lambda: client.post(CHECK)))
    assert done.status_code == 302
    assert Application.objects.get().evidence["child"]["last_name"] == "Жаңаев"
    assert "data-facts-changed" not in client.get(CHECK).content.decode()


def test_a_fact_changed_after_an_old_signature_is_shown_and_nothing_is_submitted(
    client, me, child, settings
):
    assert client.post(APPLY, _answers(child)).status_code == 302
    assert client.get(CHECK).status_code == 200
    signing = texted(lambda: client.post(CHECK))
    Person.objects.filter(iin=child.iin).update(first_name="Ержан")
    settings.QYZMET_EVIDENCE_MAX_AGE_SECONDS = 0  # the signature is older than its facts may be
    returned = _sign_and_submit(client, me, signing)
    assert returned.status_code == 302 and returned["Location"] == CHECK
    assert not Application.objects.exists()
    client.cookies["django_language"] = "kk"
    page = html.unescape(client.get(CHECK).content.decode())
    changes = page.split("data-facts-changed>")[1].split("</dl>")[0]
    assert "Мемлекеттік тізілімдердегі деректеріңіз өзгерді" in changes
    assert "бұрын: Сейітов Ерлан" in changes and "қазір: Сейітов Ержан" in changes

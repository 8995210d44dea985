"""Applying while a state registry is down: the citizen signs what could be read, the
application is kept, and the confirmation and the application's pages say — in kk, ru and en —
that the registry's data will be fetched automatically. Officers see the case only once its
evidence is in."""

from __future__ import annotations

import datetime as dt
import html
import json
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from qyzmet.applications.models import Application
from qyzmet.applications.services import evidence_retry_due
from qyzmet.signatures.models import SignatureRequest
from tests.applications.registry_stub import STUB, RegistryDownClient
from tests.applications.signing import sms_code, texted
from tests.portal.factories import SERVICE, catalog_loaded, citizen, officer

pytestmark = pytest.mark.django_db

APPLY = reverse("apply", kwargs={"code": SERVICE})
MY = reverse("my-applications")


@pytest.fixture(autouse=True)
def _population_down(settings):
    settings.QYZMET_REGISTRY_CLIENT = STUB
    catalog_loaded()
    RegistryDownClient.reset("population")
    yield
    RegistryDownClient.reset()


@pytest.fixture
def me(client):
    user = citizen()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return user


def _sign_and_submit(client, user) -> tuple[str, object]:
    """Fill in the form, sign with the texted code; returns the return address and the page
    the citizen lands on."""
    form = {"intent": "submit", "idempotency_key": str(uuid.uuid4()), "purpose": "bank"}
    sign_url = texted(lambda: client.post(APPLY, form))["Location"]
    signing_page = html.unescape(client.get(sign_url).content.decode())
    assert '"evidence_pending": [' in signing_page and '"person"' in signing_page
    done = client.post(sign_url, {"code": sms_code(user)})["Location"]
    return done, client.get(done, follow=True)


def test_the_form_says_the_registry_is_not_answering_but_lets_me_apply(client, me):
    page = client.get(APPLY).content.decode()
    assert "The state registry is not answering right now" in page
    assert "submit it" in page


def test_submitted_while_down_is_kept_and_the_confirmation_says_so(client, me):
    done, landed = _sign_and_submit(client, me)
    application = Application.objects.get()
    assert landed.redirect_chain[-1][0] == reverse(
        "my-application-submitted", args=[application.pk]
    )
    page = html.unescape(landed.content.decode())
    assert "Application received" in page and application.number in page
    assert "The data from the state registry (population register) could not be fetched" in page
    assert "We will retry automatically" in page
    detail = html.unescape(client.get(reverse("my-application", args=[application.pk]))
                           .content.decode())
    assert 'data-state="awaiting_evidence"' in detail and "Next automatic attempt:" in detail
    assert "Waiting for registry data" in detail
    # Saved with the signature and what was signed: the form data, no evidence, "person" pending.
    assert application.state == Application.AWAITING_EVIDENCE
    assert application.data == {"purpose": "bank"}
    signed = SignatureRequest.objects.get(pk=application.submission_signature_id)
    payload = json.loads(bytes(signed.canonical))
    assert payload["data"] == {"purpose": "bank"} and payload["evidence"] == {}
    assert payload["evidence_pending"] == ["person"]
    # Coming back to the return address finds the same application.
    again = client.get(done)
    assert again["Location"] == reverse("my-application-submitted", args=[application.pk])
    assert Application.objects.count() == 1

    listing = html.unescape(client.get(MY).content.decode())
    assert application.number in listing and "Waiting for registry data" in listing


@pytest.mark.parametrize(
    ("lang", "status", "notice"),
    [
        ("kk", "Тізілім деректері күтілуде", "Мемлекеттік тізілімнен (жеке тұлғалар дерекқоры)"),
        ("ru", "Ожидаются данные из реестра", "государственного реестра (база данных физических"),
        ("en", "Waiting for registry data", "state registry (population register) could not"),
    ],
)
def test_the_waiting_state_is_told_in_each_language(client, me, lang, status, notice):
    client.cookies["django_language"] = lang
    _sign_and_submit(client, me)
    application = Application.objects.get()
    page = html.unescape(
        client.get(reverse("my-application", args=[application.pk])).content.decode()
    )
    assert status in page and notice in page
    assert status in html.unescape(client.get(MY).content.decode())


def test_officers_see_it_only_once_the_registry_answered(client, me):
    _sign_and_submit(client, me)
    application = Application.objects.get()
    client.force_login(officer())
    assert application.number not in client.get(reverse("bo-inbox")).content.decode()
    assert client.get(reverse("bo-case", args=[application.pk])).status_code == 404

    RegistryDownClient.down.clear()
    assert evidence_retry_due(now=timezone.now() + dt.timedelta(minutes=1))["started"] == 1
    assert application.number in client.get(reverse("bo-inbox")).content.decode()
    assert client.get(reverse("bo-case", args=[application.pk])).status_code == 200

    client.force_login(me)
    page = html.unescape(
        client.get(reverse("my-application", args=[application.pk])).content.decode()
    )
    assert 'data-state="awaiting_evidence"' not in page
    assert "Registry data received; sent to the agency" in page and "Due date" in page

"""Decisions in the back office are signed: approve/refuse go through the signing page and are
applied only once the officer's code confirms the signature."""

from __future__ import annotations

import pytest
from django.urls import reverse

from qyzmet.applications import services as app_services
from qyzmet.applications.models import ApplicationEvent
from tests.applications.signing import sms_code, texted
from tests.portal.factories import catalog_loaded, citizen, officer, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _catalog():
    catalog_loaded()


@pytest.fixture
def taken(client):
    application = submitted(citizen())
    clerk = officer()
    app_services.application_act(actor=clerk, application_id=application.pk, action="take")
    client.force_login(clerk)
    client.cookies["django_language"] = "en"
    return application, clerk


def test_unconfirmed_decision_changes_nothing(client, taken):
    application, clerk = taken
    act = reverse("bo-act", args=[application.pk])
    sign_url = texted(lambda: client.post(act, {"action": "approve"}))["Location"]
    assert sign_url.startswith("/sign/")
    page = client.get(sign_url).content.decode()
    assert "qyzmet.application.decision/1" in page and application.number in page
    events = ApplicationEvent.objects.count()
    # Going to the return address without the code: nothing happens, back to signing.
    done = sign_url.split("next=")[1]
    from urllib.parse import unquote

    response = client.get(unquote(done))
    assert response.status_code == 302 and response["Location"].startswith("/sign/")
    # A wrong code: nothing happens either.
    wrong = f"{(int(sms_code(clerk)) + 1) % 1_000_000:06d}"
    assert client.post(sign_url, {"code": wrong}).status_code == 400
    application.refresh_from_db()
    assert application.state == "in_review"
    assert ApplicationEvent.objects.count() == events


def test_signed_decision_is_applied_once_and_shown(client, taken):
    application, clerk = taken
    act = reverse("bo-act", args=[application.pk])
    sign_url = texted(lambda: client.post(act, {"action": "approve"}))["Location"]
    done = client.post(sign_url, {"code": sms_code(clerk)})["Location"]
    confirmation = reverse("bo-decided", args=[application.pk, done.rstrip("/").split("/")[-1]])
    assert client.get(done)["Location"] == confirmation
    assert client.get(done)["Location"] == confirmation  # idempotent: applied once
    application.refresh_from_db()
    assert application.state == "approved"
    event = ApplicationEvent.objects.get(application=application, action="approve")
    assert event.signature_id
    html = client.get(reverse("bo-case", args=[application.pk])).content.decode()
    assert f"(IIN {clerk.iin})" in html
    assert reverse("bo-case-signature", args=[application.pk, event.signature_id,
                                              "signature.p7s"]) in html


def test_other_agency_cannot_use_the_return_address(client, taken):
    application, clerk = taken
    act = reverse("bo-act", args=[application.pk])
    sign_url = texted(lambda: client.post(act, {"action": "approve"}))["Location"]
    done = client.post(sign_url, {"code": sms_code(clerk)})["Location"]
    client.force_login(officer("kz-minjust"))
    assert client.get(done).status_code == 404
    application.refresh_from_db()
    assert application.state == "in_review"

"""The API's refusal ground: the catalogue lists a service's grounds, the decision endpoints take
`ground` (422 problem+json naming `/ground` when missing or unknown), the signed payload carries
it, and the application representation returns it in the request's language."""

from __future__ import annotations

import json

import pytest

from qyzmet.applications.models import ApplicationEvent
from tests.applications.signing import sms_code, texted
from tests.applications.test_api_bad_input import api, post
from tests.identity.factories import MembershipFactory
from tests.portal.factories import SERVICE, agency, catalog_loaded, citizen, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    catalog_loaded()
    a = citizen()
    mvd = citizen()
    MembershipFactory(user=mvd, organisation=agency("kz-mvd"), role="officer")
    return a, mvd


def test_the_catalogue_lists_the_grounds_in_the_language_asked(client):
    catalog_loaded()
    body = client.get(f"/api/v1/catalog/services/{SERVICE}", {"lang": "ru"}).json()
    codes = [g["code"] for g in body["refusal_grounds"]]
    assert "documents_false" in codes and 3 <= len(codes) <= 6
    first = body["refusal_grounds"][0]
    assert first["label"].startswith("Установлена") and "19-1" in first["legal_basis"]


def test_refusal_without_or_with_an_unknown_ground_is_422_naming_the_field(world):
    a, mvd = world
    application = submitted(a)
    client = api(mvd)
    post(client, f"/api/v1/inbox/{application.pk}/actions/take", {})
    for body in ({"reason": "Нет."}, {"reason": "Нет.", "ground": "mood"}):
        response = post(client, f"/api/v1/inbox/{application.pk}/actions/refuse", body)
        assert response.status_code == 422
        assert response["Content-Type"] == "application/problem+json"
        assert [e["pointer"] for e in response.json()["errors"]] == ["/ground"]
        signing = post(client, f"/api/v1/inbox/{application.pk}/actions/refuse/sign", body)
        assert signing.status_code == 422
        assert [e["pointer"] for e in signing.json()["errors"]] == ["/ground"]
    application.refresh_from_db()
    assert application.state == "in_review"


def test_a_refusal_on_a_ground_is_returned_with_its_words(world):
    a, mvd = world
    application = submitted(a)
    client = api(mvd)
    post(client, f"/api/v1/inbox/{application.pk}/actions/take", {})
    response = post(client, f"/api/v1/inbox/{application.pk}/actions/refuse",
                    {"reason": "Адрес не найден.", "ground": "no_registered_address"},
                    HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    ground = response.json()["decision_ground"]
    assert ground["code"] == "no_registered_address"
    assert ground["label"] == "The applicant has no registered address in the state population " \
                              "database"
    citizen_view = api(a).get(f"/api/v1/applications/{application.pk}",
                              HTTP_ACCEPT_LANGUAGE="ru").json()
    assert citizen_view["decision_reason"] == "Адрес не найден."
    assert citizen_view["decision_ground"]["label"].startswith("У заявителя нет")
    history = api(a).get(f"/api/v1/applications/{application.pk}/history").json()
    assert history[-1]["ground"] == "no_registered_address"


def test_an_approval_has_no_ground_and_the_signed_payload_carries_the_refusals(world):
    a, mvd = world
    application = submitted(a)
    client = api(mvd)
    post(client, f"/api/v1/inbox/{application.pk}/actions/take", {})
    signing = texted(lambda: post(
        client, f"/api/v1/inbox/{application.pk}/actions/refuse/sign",
        {"reason": "Нет.", "ground": "registry_contradicts"},
    ))
    assert signing.status_code == 201
    signed = json.loads(signing.json()["canonical"])
    assert signed["ground"] == "registry_contradicts" and signed["action"] == "refuse"
    confirm = post(client, signing.json()["confirm_url"], {"code": sms_code(mvd)})
    assert confirm.status_code == 201, confirm.content
    done = post(client, f"/api/v1/inbox/{application.pk}/actions/refuse",
                {"reason": "Нет.", "ground": "registry_contradicts",
                 "signature_request_id": signing.json()["signature_request_id"]})
    assert done.status_code == 200, done.content
    event = ApplicationEvent.objects.filter(application=application).latest("pk")
    assert event.signature_id and event.ground == "registry_contradicts"
    other = submitted(a, key="approve")
    post(client, f"/api/v1/inbox/{other.pk}/actions/take", {})
    approved = post(client, f"/api/v1/inbox/{other.pk}/actions/approve", {})
    assert approved.status_code == 200 and approved.json()["decision_ground"] is None

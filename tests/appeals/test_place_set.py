"""A person puts an appeal on the map when the gazetteer could not place its address: the point
and its district are kept, the history and audit say who did it, the next appeal from the same
house is placed by itself, and bad input gets a problem naming the field."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from qyzmet.appeals import services
from qyzmet.appeals.models import Appeal, AppealEvent
from qyzmet.appeals.routing import district_for
from qyzmet.audit.models import AuditEntry
from qyzmet.core.problem import Problem
from qyzmet.identity.services import api_token_issue

from .conftest import ORG

ADDRESS = "ул. Абая, 1"  # no appeal has placed this house yet
POINT = {"lat": 59.9343, "lon": 30.3351}  # in St Petersburg, the demo jurisdiction


def _api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}",
                  HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip


def _unresolved(citizen) -> Appeal:
    appeal = services.appeal_submit(actor=citizen, text="Яма на дороге", address=ADDRESS,
                                    language="ru")  # fmt: skip
    assert appeal.place_status == Appeal.PLACE_UNRESOLVED and appeal.lat is None
    return appeal


def test_a_triage_operator_places_an_unresolved_appeal_from_its_page(citizen, triager):
    appeal = _unresolved(citizen)
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(triager)
    page = web.get(f"/backoffice/appeals/{appeal.pk}/").content.decode()
    assert 'data-form="place"' in page and "The address could not be placed" in page

    done = web.post(f"/backoffice/appeals/{appeal.pk}/act/",
                    {"action": "place", **POINT}, follow=True)  # fmt: skip
    assert done.status_code == 200
    appeal.refresh_from_db()
    assert (appeal.place_status, appeal.lat, appeal.lon) == ("point", POINT["lat"], POINT["lon"])
    assert appeal.district == district_for(POINT["lat"], POINT["lon"])
    event = AppealEvent.objects.get(appeal=appeal, action="place_set")
    assert event.actor_id == triager.pk and "59.934300" in event.note
    audit = AuditEntry.objects.get(action="appeal.place_set", object_id=str(appeal.pk))
    assert audit.data["before"]["place_status"] == "unresolved"
    assert "The address could not be placed" not in web.get(
        f"/backoffice/appeals/{appeal.pk}/").content.decode()

    # The gazetteer learnt the house: the next appeal from it is placed without a person.
    again = services.appeal_submit(actor=citizen, text="Опять яма", address=ADDRESS)
    assert again.place_status == Appeal.PLACE_STREET
    assert (round(again.lat, 4), round(again.lon, 4)) == (POINT["lat"], POINT["lon"])


def test_bad_input_is_named_and_changes_nothing(citizen, triager):
    appeal = _unresolved(citizen)
    client = _api(triager)
    url = f"/api/v1/appeals/{appeal.pk}/place"

    def post(body: dict):
        return client.post(url, json.dumps(body), content_type="application/json")

    missing = post({"lat": POINT["lat"]})
    assert missing.status_code == 422
    assert missing["Content-Type"].startswith("application/problem+json")
    assert [e["pointer"] for e in missing.json()["errors"]] == ["/lon"]
    outside = post({"lat": 48.8566, "lon": 2.3522})  # Paris: not this service's area
    assert outside.status_code == 422 and outside.json()["code"] == "outside_jurisdiction"
    assert [e["pointer"] for e in outside.json()["errors"]] == ["/lat"]
    appeal.refresh_from_db()
    assert appeal.place_status == Appeal.PLACE_UNRESOLVED and appeal.lat is None

    placed = post(POINT)
    assert placed.status_code == 200, placed.content
    assert placed.json()["place_status"] == "point"


def test_another_organisation_cannot_and_a_closed_appeal_is_not_moved(
    citizen, triager, officer, other_officer
):
    appeal = _unresolved(citizen)
    services.appeal_route(actor=triager, appeal_id=appeal.pk, organisation_code=ORG)
    with pytest.raises(Problem) as caught:
        services.appeal_place_set(actor=other_officer, appeal_id=appeal.pk, **POINT)
    assert caught.value.status == 404  # its existence is not revealed
    services.appeal_place_set(actor=officer, appeal_id=appeal.pk, **POINT)  # the handler may
    services.appeal_answer(actor=officer, appeal_id=appeal.pk, text="Яму заделали")
    services.appeal_rate(actor=citizen, appeal_id=appeal.pk, rating=5)  # closes it
    with pytest.raises(Problem) as caught:
        services.appeal_place_set(actor=triager, appeal_id=appeal.pk, lat=59.95, lon=30.31)
    assert caught.value.status == 409
    appeal.refresh_from_db()
    assert (appeal.lat, appeal.lon) == (POINT["lat"], POINT["lon"])

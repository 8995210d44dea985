"""The citizen's journey over the HTTP API: submit → (model unavailable) triage → route → take →
answer → rate → reopen; and the automatic route when a trained model is confident."""

from __future__ import annotations

import pytest
from django.test import Client

from qyzmet.ai import selectors as ai_selectors
from qyzmet.appeals.models import Appeal, RoutingCorrection, RoutingSuggestion
from qyzmet.identity.services import api_token_issue
from qyzmet.notifications.selectors import notification_list_for_user

from .conftest import ORG, OTHER_ORG, PNG, SPB, b64

pytestmark = pytest.mark.django_db


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}")


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def submit(client, capture, **extra):
    body = {"text": "Во дворе огромная яма, машины не проезжают", "lat": SPB[0], "lon": SPB[1],
            "address": "Невский проспект, 28", "photos": [b64(PNG)], "language": "ru", **extra}
    with capture(execute=True):
        response = post(client, "/api/v1/appeals", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_journey_through_triage_when_the_model_cannot_load(
    citizen, officer, triager, broken_model, django_capture_on_commit_callbacks
):
    me = api(citizen)
    created = submit(me, django_capture_on_commit_callbacks)
    assert created["number"].startswith("A-")
    assert created["status"] == "registered" and created["photos"] == 1
    appeal_id = created["id"]
    # The model failed: the appeal waits in triage, the failure is logged and visible.
    suggestion = RoutingSuggestion.objects.get(appeal_id=appeal_id)
    assert suggestion.error and suggestion.model_version == "broken-1"
    assert ai_selectors.model_active().last_load_error
    queue = api(triager).get("/api/v1/appeals/triage").json()
    assert [item["appeal"]["id"] for item in queue] == [appeal_id]
    # A person routes it; the decision is written onto the suggestion and kept as a correction.
    with django_capture_on_commit_callbacks(execute=True):
        routed = post(api(triager), f"/api/v1/appeals/{appeal_id}/route",
                      {"organisation_code": ORG, "category": "improvement"})
    assert routed.status_code == 200 and routed.json()["status"] == "routed"
    suggestion.refresh_from_db()
    assert (suggestion.final_organisation_code, suggestion.final_category) == (ORG, "improvement")
    assert suggestion.decided_by_id == triager.pk
    assert RoutingCorrection.objects.filter(appeal_id=appeal_id, to_organisation_code=ORG).exists()
    officer_client = api(officer)
    inbox = officer_client.get("/api/v1/appeals/inbox").json()
    assert [a["id"] for a in inbox["items"]] == [appeal_id]
    assert post(officer_client, f"/api/v1/appeals/{appeal_id}/take").json()["status"] == "in_work"
    with django_capture_on_commit_callbacks(execute=True):
        answered = post(officer_client, f"/api/v1/appeals/{appeal_id}/answer",
                        {"text": "Яма заделана."})
    assert answered.json()["status"] == "answered"
    rated = post(me, f"/api/v1/appeals/{appeal_id}/rate", {"rating": 2})
    assert rated.json()["status"] == "closed" and rated.json()["rating"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        reopened = post(me, f"/api/v1/appeals/{appeal_id}/reopen", {"reason": "Яма снова есть"})
    assert reopened.json()["status"] == "reopened" and reopened.json()["is_open"]
    assert me.get(f"/api/v1/appeals/{appeal_id}").json()["status"] == "reopened"
    subjects = " ".join(n.body for n in notification_list_for_user(user_id=citizen.pk, limit=50))
    assert created["number"] in subjects


def test_rating_out_of_range_and_other_peoples_appeals(
    citizen, officer, other_officer, broken_model, django_capture_on_commit_callbacks
):
    created = submit(api(citizen), django_capture_on_commit_callbacks)
    stranger = api(other_officer)
    assert stranger.get(f"/api/v1/appeals/{created['id']}").status_code == 404
    assert post(stranger, f"/api/v1/appeals/{created['id']}/answer",
                {"text": "x"}).status_code == 404
    response = post(api(citizen), f"/api/v1/appeals/{created['id']}/rate", {"rating": 6})
    assert response.status_code == 422


def test_extension_once_with_notice(citizen, officer, triager, broken_model,
                                    django_capture_on_commit_callbacks):
    created = submit(api(citizen), django_capture_on_commit_callbacks)
    post(api(triager), f"/api/v1/appeals/{created['id']}/route", {"organisation_code": ORG})
    with django_capture_on_commit_callbacks(execute=True):
        first = post(api(officer), f"/api/v1/appeals/{created['id']}/extend",
                     {"reason": "Нужна проверка на месте"})
    assert first.status_code == 200 and first.json()["due_date"] > created["due_date"]
    again = post(api(officer), f"/api/v1/appeals/{created['id']}/extend", {"reason": "ещё"})
    assert again.status_code == 409 and again.json()["code"] == "already_extended"
    bodies = [n.body for n in notification_list_for_user(user_id=citizen.pk, limit=50)]
    assert any("Нужна проверка на месте" in b for b in bodies)


def test_no_active_model_still_accepts(citizen, orgs, django_capture_on_commit_callbacks):
    created = submit(api(citizen), django_capture_on_commit_callbacks)
    appeal = Appeal.objects.get(pk=created["id"])
    assert appeal.organisation_code is None and appeal.district is None
    assert RoutingSuggestion.objects.get(appeal=appeal).error == "No routing model is active."


def test_reroute_by_officer_is_a_correction(citizen, officer, triager, broken_model,
                                            django_capture_on_commit_callbacks):
    created = submit(api(citizen), django_capture_on_commit_callbacks)
    post(api(triager), f"/api/v1/appeals/{created['id']}/route", {"organisation_code": ORG})
    response = post(api(officer), f"/api/v1/appeals/{created['id']}/route",
                    {"organisation_code": OTHER_ORG})
    assert response.status_code == 200
    assert RoutingCorrection.objects.filter(
        appeal_id=created["id"], from_organisation_code=ORG, to_organisation_code=OTHER_ORG
    ).exists()
    # Sent elsewhere, it has left this officer's inbox.
    assert api(officer).get("/api/v1/appeals/inbox").json()["items"] == []


def test_auto_route_with_a_confident_model(citizen, officer, tiny_model, ai_admin,
                                           django_capture_on_commit_callbacks):
    """Thresholds at 0 make every prediction confident: the appeal is routed by the model to the
    organisation it predicts, and the suggestion says so."""
    from qyzmet.appeals import services
    from qyzmet.appeals.demo import _model_org_labels, organisations_ensure

    assert tiny_model.thresholds  # the model's own per-category thresholds are read
    organisations_ensure(extra_labels=_model_org_labels(tiny_model.metadata))
    assert Client().get("/algorithms/confusion-matrix.png").content.startswith(b"\x89PNG")
    for code in services.appeals_pack().categories:
        services.threshold_set(actor=ai_admin, category=code, threshold=0.0)
    created = submit(api(citizen), django_capture_on_commit_callbacks)
    suggestion = RoutingSuggestion.objects.get(appeal_id=created["id"])
    assert suggestion.model_version == "tiny-1" and not suggestion.error
    assert 0 <= suggestion.category_confidence <= 1
    appeal = Appeal.objects.get(pk=created["id"])
    assert appeal.district  # derived from the point by the model
    if suggestion.organisation_code and suggestion.category:
        assert suggestion.auto_routed and appeal.status == "routed"
        assert appeal.organisation_code == suggestion.organisation_code
    else:  # the model predicted "no organisation": a person must decide
        assert not suggestion.auto_routed and appeal.status == "registered"


def test_high_threshold_sends_to_triage(citizen, tiny_model, ai_admin,
                                        django_capture_on_commit_callbacks):
    from qyzmet.appeals import services

    for code in services.appeals_pack().categories:
        services.threshold_set(actor=ai_admin, category=code, threshold=1.0)
    created = submit(api(citizen), django_capture_on_commit_callbacks)
    suggestion = RoutingSuggestion.objects.get(appeal_id=created["id"])
    assert not suggestion.auto_routed and suggestion.threshold == 1.0
    assert Appeal.objects.get(pk=created["id"]).status == "registered"


def test_api_inbox_query_count_does_not_grow(citizen, officer, triager, orgs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qyzmet.appeals import services

    def add(n):
        for i in range(n):
            a = services.appeal_submit(actor=citizen, text=f"Проблема {i}", address=f"ул. {i}")
            services.appeal_route(actor=triager, appeal_id=a.pk, organisation_code=ORG)

    client = api(officer)
    add(2)
    client.get("/api/v1/appeals/inbox")
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/appeals/inbox")
    add(8)
    with CaptureQueriesContext(connection) as large:
        assert len(client.get("/api/v1/appeals/inbox").json()["items"]) == 10
    assert len(large) == len(small)

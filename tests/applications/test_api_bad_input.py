"""Bad input through the API: every failing field named with a JSON pointer, nothing saved
half-way, the right status and problem+json."""

from __future__ import annotations

import pytest
from django.test import Client

from qyzmet.applications.models import Application, Attachment
from qyzmet.audit.models import AuditEntry
from qyzmet.core.models import OutboxEvent
from qyzmet.identity.services import api_token_issue
from tests.identity.factories import MembershipFactory
from tests.portal.factories import PDF_BYTES, SERVICE, agency, catalog_loaded, citizen, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    catalog_loaded()
    a = citizen()
    mvd = citizen()
    MembershipFactory(user=mvd, organisation=agency("kz-mvd"), role="officer")
    return a, mvd


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}")


def post(client, url, body, **headers):
    return client.post(url, body, content_type="application/json", **headers)


def _counts():
    return Application.objects.count(), AuditEntry.objects.count(), OutboxEvent.objects.count()


def test_invalid_form_names_every_field_and_saves_nothing(world):
    a, _ = world
    client = api(a)
    before = _counts()
    response = post(
        client,
        "/api/v1/applications",
        {"service_code": SERVICE, "data": {"purpose": "spaceship", "comment": "x" * 501, "x": 1}},
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    pointers = {e["pointer"] for e in body["errors"]}
    assert {"/purpose", "/comment"} <= pointers
    assert body["code"] == "validation_failed"
    assert _counts() == before


def test_missing_required_field_is_pointed_at(world):
    a, _ = world
    response = post(api(a), "/api/v1/applications", {"service_code": SERVICE, "data": {}})
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/purpose"]


def test_malformed_body_is_422_with_pointer(world):
    a, _ = world
    response = post(api(a), "/api/v1/applications", {"data": "not an object"})
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert "/service_code" in pointers


def test_unknown_service_is_404(world):
    a, _ = world
    client = api(a)
    before = _counts()
    response = post(client, "/api/v1/applications", {"service_code": "kz.nope", "data": {}})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert _counts() == before


def test_same_idempotency_key_gives_the_same_application(world):
    a, _ = world
    client = api(a)
    body = {"service_code": SERVICE, "data": {"purpose": "bank"}}
    first = post(client, "/api/v1/applications", body, HTTP_IDEMPOTENCY_KEY="k-1")
    second = post(client, "/api/v1/applications", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Application.objects.filter(applicant=a).count() == 1
    other = post(client, "/api/v1/applications", {**body, "data": {"purpose": "school"}},
                 HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert Application.objects.filter(applicant=a).count() == 1


def test_same_key_from_another_citizen_is_their_own(world):
    a, _ = world
    b = citizen()
    body = {"service_code": SERVICE, "data": {"purpose": "bank"}}
    ra = post(api(a), "/api/v1/applications", body, HTTP_IDEMPOTENCY_KEY="shared")
    rb = post(api(b), "/api/v1/applications", body, HTTP_IDEMPOTENCY_KEY="shared")
    assert ra.json()["id"] != rb.json()["id"]


def test_action_not_allowed_in_state_is_409_and_changes_nothing(world):
    a, mvd = world
    application = submitted(a)
    response = post(api(mvd), f"/api/v1/inbox/{application.pk}/actions/approve", {})
    assert response.status_code == 409
    assert response.json()["code"] == "action_not_allowed_in_state"
    application.refresh_from_db()
    assert application.state == "submitted"


def test_role_not_allowed_is_403_and_changes_nothing(world):
    a, mvd = world
    application = submitted(a)
    post(api(mvd), f"/api/v1/inbox/{application.pk}/actions/take", {})
    # The applicant may not approve their own application.
    response = post(api(a), f"/api/v1/applications/{application.pk}/actions/approve", {})
    assert response.status_code == 403
    assert response.json()["code"] == "role_not_allowed"
    application.refresh_from_db()
    assert application.state == "in_review"


def test_reason_is_required_for_refusal(world):
    a, mvd = world
    application = submitted(a)
    client = api(mvd)
    post(client, f"/api/v1/inbox/{application.pk}/actions/take", {})
    response = post(client, f"/api/v1/inbox/{application.pk}/actions/refuse", {"reason": "  "})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/reason"
    application.refresh_from_db()
    assert application.state == "in_review"


def test_unknown_action_is_404(world):
    a, mvd = world
    application = submitted(a)
    response = post(api(mvd), f"/api/v1/inbox/{application.pk}/actions/teleport", {})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"GIF89a" + b"\x00" * 10, 415, "upload_type_not_allowed"),
        (b"MZ\x90\x00 executable", 415, "upload_type_not_allowed"),
        (b"", 422, "upload_empty"),
    ],
)
def test_wrong_type_uploads_are_refused(world, content, status, code):
    from django.core.files.uploadedfile import SimpleUploadedFile

    a, _ = world
    application = submitted(a)
    response = api(a).post(
        f"/api/v1/applications/{application.pk}/attachments",
        {"file": SimpleUploadedFile("x.pdf", content, content_type="application/pdf")},
    )
    assert response.status_code == status
    assert response.json()["code"] == code
    assert Attachment.objects.count() == 0


def test_oversized_upload_names_the_limit(world, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.QYZMET_UPLOAD_MAX_BYTES = 1024 * 1024
    a, _ = world
    application = submitted(a)
    big = PDF_BYTES + b"0" * (1024 * 1024)
    response = api(a).post(
        f"/api/v1/applications/{application.pk}/attachments",
        {"file": SimpleUploadedFile("big.pdf", big, content_type="application/pdf")},
    )
    assert response.status_code == 413
    body = response.json()
    assert body["limit_bytes"] == 1024 * 1024
    assert "1 MB" in body["detail"]
    assert Attachment.objects.count() == 0


def test_invalid_cursor_is_400(world):
    a, _ = world
    response = api(a).get("/api/v1/applications?cursor=%%%")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_identifier_with_wrong_check_digit_is_rejected_with_the_reason(world):
    from tests.identity.factories import next_iin

    a, _ = world
    good = next_iin()
    bad = good[:11] + str((int(good[11]) + 1) % 10)
    client = api(a)
    before = _counts()
    response = post(
        client,
        "/api/v1/applications",
        {"service_code": "kz.kindergarten-queue",
         "data": {"child_iin": bad, "preferred_district": "x", "desired_start_date": "2027-09-01"}},
    )
    assert response.status_code == 422
    errors = {e["pointer"]: e["detail"] for e in response.json()["errors"]}
    assert errors["/child_iin"] == "IIN check digit is wrong"
    assert _counts() == before

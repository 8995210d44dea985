"""The signing API and portal pages, end to end through HTTP."""

from __future__ import annotations

import base64

import pytest
import rfc8785
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from qyzmet.identity.services import api_token_issue

from .factories import signer, sms_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pki")]

SIGN_URLS = "tests.signatures.urls_with_sign"


def _api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}")


def test_remote_signing_through_the_api(django_capture_on_commit_callbacks):
    user = signer()
    client = _api(user)
    payload = {"service": "kz.address-certificate", "data": {"purpose": "банк"}}
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/v1/signatures/requests",
            {"purpose": "application.submit", "payload": payload},
            content_type="application/json",
        )
    assert created.status_code == 201
    body = created.json()
    assert body["canonical"] == rfc8785.dumps(payload).decode()
    assert client.get(f"/api/v1/signatures/requests/{body['id']}").json()["signed"] is False
    wrong = client.post(
        f"/api/v1/signatures/requests/{body['id']}/confirm",
        {"code": "x"},
        content_type="application/json",
    )
    assert wrong.status_code == 400 and wrong["Content-Type"] == "application/problem+json"
    signed = client.post(
        f"/api/v1/signatures/requests/{body['id']}/confirm",
        {"code": sms_code(user)},
        content_type="application/json",
    )
    assert signed.status_code == 201
    cms = signed.json()["cms"]
    again = client.post(
        f"/api/v1/signatures/requests/{body['id']}/confirm",
        {"code": sms_code(user)},
        content_type="application/json",
    )
    assert again.status_code == 409
    verdict = (
        Client()
        .post(
            "/api/v1/signatures/verify",
            {"payload": base64.b64encode(rfc8785.dumps(payload)).decode(), "signature": cms},
            content_type="application/json",
        )
        .json()
    )
    assert verdict["valid"] is True and verdict["signer_iin"] == user.iin
    other = (
        Client()
        .post(
            "/api/v1/signatures/verify",
            {"payload": base64.b64encode(b"other").decode(), "signature": cms},
            content_type="application/json",
        )
        .json()
    )
    assert (other["valid"], other["reason"]) == (False, "bytes_differ")
    mine = client.get("/api/v1/signatures/certificates").json()
    assert [c["kind"] for c in mine] == ["person"]
    revoked = client.post(
        f"/api/v1/signatures/certificates/{mine[0]['serial']}/revoke",
        {"reason": "key_compromise"},
        content_type="application/json",
    )
    assert revoked.json()["revocation_reason"] == "key_compromise"
    after = (
        Client()
        .post(
            "/api/v1/signatures/verify",
            {"payload": base64.b64encode(rfc8785.dumps(payload)).decode(), "signature": cms},
            content_type="application/json",
        )
        .json()
    )
    assert after["reason"] == "revoked"


@override_settings(ROOT_URLCONF=SIGN_URLS)
def test_the_confirm_page_shows_what_is_signed_and_signs(django_capture_on_commit_callbacks):
    from qyzmet.signatures.services import signature_request_create

    user = signer()
    with django_capture_on_commit_callbacks(execute=True):
        request = signature_request_create(
            actor=user, purpose="application.submit", payload={"мекенжай": "Алматы"}
        )
    client = Client()
    client.force_login(user)
    page = client.get(f"/sign/{request.id}/").content.decode()
    assert request.sha256 in page and "мекенжай" in page
    bad = client.post(
        f"/sign/{request.id}/", {"code": "000000" if sms_code(user) != "000000" else "111111"}
    )
    assert bad.status_code == 400 and 'data-problem="invalid_code"' in bad.content.decode()
    done = client.post(f"/sign/{request.id}/", {"code": sms_code(user)})
    assert 'data-signed="yes"' in done.content.decode()
    download = client.get(f"/sign/{request.id}/signature.p7s")
    assert download["Content-Type"] == "application/pkcs7-signature"
    stranger = Client()
    stranger.force_login(signer())
    assert stranger.get(f"/sign/{request.id}/").status_code == 404
    assert stranger.get(f"/sign/{request.id}/signature.p7s").status_code == 404

    checked = Client().post(
        "/sign/verify/",
        {
            "document": SimpleUploadedFile("a.json", bytes(request.canonical)),
            "signature": SimpleUploadedFile("a.p7s", download.content),
        },
    )
    assert 'data-verdict="ok"' in checked.content.decode()
    broken = Client().post(
        "/sign/verify/",
        {
            "document": SimpleUploadedFile("a.json", bytes(request.canonical)),
            "signature": SimpleUploadedFile("a.p7s", b"garbage"),
        },
    )
    assert 'data-verdict="broken_structure"' in broken.content.decode()
    assert Client().post("/sign/verify/", {}).status_code == 400


def test_the_seal_check_api_says_what_is_wrong():
    from tests.documents.factories import document_issued

    document = document_issued()
    body = Client().get(f"/api/v1/signatures/documents/{document.public_id}").json()
    assert (body["valid"], body["signature"], body["certificate_status"]) == (True, "ok", "good")
    assert body["timestamp"] is not None
    from qyzmet.signatures.models import Certificate
    from qyzmet.signatures.services import certificate_revoke

    seal = Certificate.objects.get(kind="seal", organisation_code=document.issuer_code)
    certificate_revoke(actor=None, serial=seal.serial, reason="ca_compromise")
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    body = english.get(f"/api/v1/signatures/documents/{document.public_id}").json()
    assert (body["valid"], body["signature"], body["certificate_status"]) == (
        False,
        "revoked",
        "revoked",
    )
    assert "revoked" in body["signature_message"]
    assert Client().get("/api/v1/signatures/documents/nope").status_code == 404

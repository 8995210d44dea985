"""Remote signing: canonical form, the one-time code bound to one document, and an output that
`openssl cms -verify` accepts."""

from __future__ import annotations

import datetime as dt

import pytest
import rfc8785
from django.utils import timezone

from qyzmet.core.problem import Problem
from qyzmet.notifications.models import Notification
from qyzmet.signatures.models import SignatureRequest, SignedPayload
from qyzmet.signatures.selectors import signature_external_verify
from qyzmet.signatures.services import (
    certificate_revoke,
    signature_confirm,
    signature_request_create,
)
from tests.identity.factories import MembershipFactory
from tests.portal.factories import agency

from .conftest import openssl, requires_openssl
from .factories import signer, sms_code

pytestmark = pytest.mark.django_db

SUBMISSION = {
    "service": "kz.address-certificate",
    "data": {"purpose": "банк", "copies": 2},
    "applicant": {"name": "Әлиев Ғалым"},
}


@pytest.fixture
def request_for(pki, django_capture_on_commit_callbacks):
    def make(user, payload=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return signature_request_create(
                actor=user, purpose="application.submit", payload=payload or SUBMISSION, **kwargs
            )

    return make


def test_what_is_signed_is_the_rfc8785_form_and_the_sms_names_it(request_for):
    user = signer()
    request = request_for(user)
    assert bytes(request.canonical) == rfc8785.dumps(SUBMISSION)
    assert bytes(request.canonical).startswith(b'{"applicant":{"name":"')
    sms = Notification.objects.filter(channel="sms", recipient=user.phone).latest("pk").body
    assert request.sha256[:12] in sms
    assert "application.submit" in sms
    assert request.code_hash and sms_code(user) not in request.code_hash


@requires_openssl
def test_signature_is_a_detached_cms_that_openssl_verifies(request_for, pki_files, tmp_path):
    user = signer()
    request = request_for(user)
    signed = signature_confirm(actor=user, request_id=request.id, code=sms_code(user))
    content = tmp_path / "content.json"
    content.write_bytes(bytes(request.canonical))
    sig = tmp_path / "sig.p7s"
    sig.write_bytes(signed.cms_der)
    result = openssl(
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        str(sig),
        "-content",
        str(content),
        "-CAfile",
        str(pki_files["root"]),
        "-out",
        "/dev/null",
        check=False,
    )
    assert "Verification successful" in result.stderr, result.stderr
    printed = openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", str(sig)).stdout
    for attribute in (
        "contentType",
        "signingTime",
        "messageDigest",
        "id-smime-aa-signingCertificateV2",
    ):
        assert attribute in printed
    content.write_bytes(bytes(request.canonical) + b" ")
    result = openssl(
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        str(sig),
        "-content",
        str(content),
        "-CAfile",
        str(pki_files["root"]),
        "-out",
        "/dev/null",
        check=False,
    )
    assert "Verification successful" not in result.stderr
    verdict = signature_external_verify(
        payload_bytes=bytes(request.canonical), cms_der=signed.cms_der
    )
    assert verdict.valid and verdict.signer_iin == user.iin


def test_a_code_is_used_once(request_for):
    user = signer()
    request = request_for(user)
    code = sms_code(user)
    signature_confirm(actor=user, request_id=request.id, code=code)
    with pytest.raises(Problem) as caught:
        signature_confirm(actor=user, request_id=request.id, code=code)
    assert (caught.value.status, caught.value.code) == (409, "code_used")
    assert SignedPayload.objects.count() == 1


def test_a_code_for_another_document_signs_nothing(request_for):
    user = signer()
    request_for(user, {"document": 1})
    first_code = sms_code(user)
    second = request_for(user, {"document": 2})
    second_code = sms_code(user)
    while second_code == first_code:  # one in a million: ask again, or the test proves nothing
        second = request_for(user, {"document": 2})
        second_code = sms_code(user)
    with pytest.raises(Problem) as caught:
        signature_confirm(actor=user, request_id=second.id, code=first_code)
    assert caught.value.code == "invalid_code"
    assert not SignedPayload.objects.exists()
    assert signature_confirm(actor=user, request_id=second.id, code=second_code)


def test_someone_elses_request_is_not_found(request_for):
    owner, other = signer(), signer()
    request = request_for(owner)
    with pytest.raises(Problem) as caught:
        signature_confirm(actor=other, request_id=request.id, code=sms_code(owner))
    assert caught.value.status == 404


def test_expired_code_and_too_many_attempts(request_for):
    user = signer()
    request = request_for(user)
    SignatureRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(Problem) as caught:
        signature_confirm(actor=user, request_id=request.id, code=sms_code(user))
    assert caught.value.code == "code_expired"

    request = request_for(user)
    good = sms_code(user)
    wrong = f"{(int(good) + 1) % 10**6:06d}"
    for _ in range(5):
        with pytest.raises(Problem):
            signature_confirm(actor=user, request_id=request.id, code=wrong)
    assert SignatureRequest.objects.get(pk=request.pk).attempts == 5
    with pytest.raises(Problem) as caught:
        signature_confirm(actor=user, request_id=request.id, code=good)
    assert caught.value.code == "too_many_attempts"
    assert not SignedPayload.objects.exists()


def test_bad_payloads_are_refused(request_for):
    user = signer()
    with pytest.raises(Problem) as caught:
        request_for(user, {"x": float("nan")})
    assert caught.value.status == 422
    with pytest.raises(Problem):
        request_for(user, {"x": object()})
    nophone = signer(phone="")
    with pytest.raises(Problem) as caught:
        request_for(nophone)
    assert caught.value.code == "no_phone"


def test_an_officer_signs_a_decision_with_the_official_certificate(request_for):
    org = agency("kz-mvd")
    officer = MembershipFactory(organisation=org, role="officer").user
    decision = {"application": 42, "decision": "approve", "reason": ""}
    request = request_for(officer, decision, organisation_code="kz-mvd")
    signed = signature_confirm(actor=officer, request_id=request.id, code=sms_code(officer))
    verdict = signature_external_verify(
        payload_bytes=rfc8785.dumps(decision), cms_der=signed.cms_der
    )
    assert verdict.valid
    assert (verdict.signer_iin, verdict.signer_bin) == (officer.iin, org.bin)
    with pytest.raises(Problem) as caught:
        request_for(signer(), decision, organisation_code="kz-mvd")
    assert caught.value.status == 403


def test_revoking_the_signer_certificate_fails_verification_at_once(request_for):
    user = signer()
    request = request_for(user)
    signed = signature_confirm(actor=user, request_id=request.id, code=sms_code(user))
    certificate_revoke(actor=user, serial=signed.certificate_serial, reason="key_compromise")
    verdict = signature_external_verify(
        payload_bytes=bytes(request.canonical), cms_der=signed.cms_der
    )
    assert (verdict.valid, verdict.reason) == (False, "revoked")
    assert verdict.revocation_reason == "key_compromise"
    assert "revoked" in verdict.message


def test_signatures_are_found_by_the_callers_reference(request_for):
    from qyzmet.signatures.selectors import signatures_for_ref

    user = signer()
    request = request_for(user, {"application": "KZ-1"}, ref="application:1")
    assert signatures_for_ref(ref="application:1") == []
    signature_confirm(actor=user, request_id=request.id, code=sms_code(user))
    (found,) = signatures_for_ref(ref="application:1")
    assert found.sha256 == request.sha256
    assert signatures_for_ref(ref="application:2") == []

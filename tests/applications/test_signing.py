"""Signed submissions and signed decisions: the signature covers exactly what is submitted or
decided (checked by `openssl cms -verify` against our root), and every bad input — a signature
over other data, one not confirmed, a wrong or reused code, someone else's — changes nothing."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.test import Client

from qyzmet.applications import selectors, services
from qyzmet.applications.models import Application, ApplicationEvent
from qyzmet.audit.models import AuditEntry
from qyzmet.core.problem import Problem
from qyzmet.identity.services import api_token_issue
from qyzmet.registries.population.models import Person
from qyzmet.signatures.authority import ca_row
from qyzmet.signatures.services import signature_confirm
from tests.applications.signing import decide, sign_decision, sign_submission, sms_code, texted
from tests.identity.factories import MembershipFactory
from tests.portal.factories import SERVICE, agency, catalog_loaded, citizen, submitted

pytestmark = pytest.mark.django_db
requires_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl CLI")
DATA = {"purpose": "bank", "comment": "Ипотекаға — «Халық банкі»"}


@pytest.fixture
def world(db):
    catalog_loaded()
    a = citizen(last_name="Әбенов", first_name="Ғалым")
    mvd = citizen()
    MembershipFactory(user=mvd, organisation=agency("kz-mvd"), role="officer")
    return a, mvd


def _counts():
    return Application.objects.count(), ApplicationEvent.objects.count()


def _refused(code: str, make) -> None:
    before = _counts()
    with pytest.raises(Problem) as caught:
        make()
    assert caught.value.code == code, caught.value.detail
    assert _counts() == before


def _submit(user, request_id, data=DATA):
    return services.application_submit(
        actor=user, service_code=SERVICE, data=data, signature_request_id=request_id
    )


def _root_pem(tmp_path):
    path = tmp_path / "root.pem"
    cert = x509.load_der_x509_certificate(bytes(ca_row("root").der))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@requires_openssl
def test_signed_submission_is_recorded_and_openssl_verifies_it(world, tmp_path):
    a, _ = world
    request = sign_submission(a, service_code=SERVICE, data=DATA)
    application, created = _submit(a, request.id)
    assert created and application.state == "submitted"
    assert application.submission_signature_id == request.id
    assert application.submission_sha256 == request.sha256

    # What was signed is the RFC 8785 form of exactly what the case holds.
    files = selectors.application_signature_files(application=application, request_id=request.id)
    expected = services.submission_payload(
        service_code=SERVICE, version_id=application.service_version_id,
        applicant_iin=a.iin, data=application.data, evidence=application.evidence,
    )
    assert files.content == rfc8785.dumps(expected)
    assert expected["kind"] == "qyzmet.application.submission/1"
    assert expected["evidence"]["person"]["iin"] == a.iin

    content, p7s = tmp_path / "content.json", tmp_path / "submission.p7s"
    content.write_bytes(files.content)
    p7s.write_bytes(files.cms_der)
    run = subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(p7s),
         "-content", str(content), "-CAfile", str(_root_pem(tmp_path)), "-purpose", "any",
         "-out", "/dev/null"],
        capture_output=True, text=True, timeout=30,
    )
    assert run.returncode == 0, run.stderr
    # One changed byte of content and openssl refuses it.
    content.write_bytes(files.content.replace(b"bank", b"bonk"))
    bad = subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(p7s),
         "-content", str(content), "-noverify", "-out", "/dev/null"],
        capture_output=True, text=True, timeout=30,
    )
    assert bad.returncode != 0

    info = selectors.application_signatures(application=application)[request.id]
    assert info.signer_iin == a.iin and "Әбенов" in info.signer_name
    history = selectors.application_history(application_id=application.pk)
    assert history[0].signature_id == request.id
    audit = AuditEntry.objects.filter(action="application.submit").latest("pk")
    assert audit.data["signature"]["request"] == request.id
    assert audit.data["signature"]["sha256"] == request.sha256


def test_signature_over_other_data_is_refused_and_nothing_is_saved(world):
    a, _ = world
    request = sign_submission(a, service_code=SERVICE, data={"purpose": "school"})
    _refused("signature_mismatch", lambda: _submit(a, request.id, data={"purpose": "bank"}))
    # The signature still works for what it does cover.
    application, _ = _submit(a, request.id, data={"purpose": "school"})
    assert application.submission_signature_id == request.id


def test_a_fresh_signature_carries_the_facts_as_signed(world):
    """Within the evidence's freshness the submission reads no registry: the case carries what
    the citizen saw and signed."""
    a, _ = world
    request = sign_submission(a, service_code=SERVICE, data=DATA)
    Person.objects.filter(iin=a.iin).update(last_name="Жаңаев")
    application, _ = _submit(a, request.id)
    assert application.evidence["person"]["last_name"] == "Әбенов"


def test_facts_changed_since_an_old_signature_are_said_and_nothing_is_saved(world, settings):
    a, _ = world
    request = sign_submission(a, service_code=SERVICE, data=DATA)
    Person.objects.filter(iin=a.iin).update(last_name="Жаңаев")
    settings.QYZMET_EVIDENCE_MAX_AGE_SECONDS = 0  # the signature is older than its facts may be
    before = _counts()
    with pytest.raises(Problem) as caught:
        _submit(a, request.id)
    assert caught.value.code == "evidence_changed" and caught.value.status == 409
    assert caught.value.extra == {"changed": ["person"]}
    assert caught.value.evidence.facts["person"]["last_name"] == "Жаңаев"
    assert caught.value.earlier.facts["person"]["last_name"] == "Әбенов"
    assert _counts() == before
    # Unchanged facts: an old signature still submits.
    Person.objects.filter(iin=a.iin).update(last_name="Әбенов")
    application, _ = _submit(a, request.id)
    assert application.submission_signature_id == request.id


def test_unconfirmed_signature_submits_nothing(world):
    a, _ = world
    request = texted(lambda: services.application_submission_sign(
        actor=a, service_code=SERVICE, data=DATA
    ))
    _refused("signature_not_confirmed", lambda: _submit(a, request.id))


def test_wrong_then_reused_code_makes_no_submission(world):
    a, _ = world
    request = texted(lambda: services.application_submission_sign(
        actor=a, service_code=SERVICE, data=DATA
    ))
    good = sms_code(a)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    _refused("invalid_code", lambda: signature_confirm(actor=a, request_id=request.id, code=wrong))
    _refused("signature_not_confirmed", lambda: _submit(a, request.id))
    signature_confirm(actor=a, request_id=request.id, code=good)
    _refused("code_used", lambda: signature_confirm(actor=a, request_id=request.id, code=good))
    _submit(a, request.id)
    # One signature submits one application.
    _refused("signature_already_used", lambda: services.application_submit(
        actor=a, service_code=SERVICE, data=DATA, signature_request_id=request.id,
        idempotency_key="another",
    ))


def test_someone_elses_signature_is_unknown(world):
    a, mvd = world
    theirs = sign_submission(mvd, service_code=SERVICE, data=DATA)
    _refused("signature_unknown", lambda: _submit(a, theirs.id))
    _refused("signature_unknown", lambda: _submit(a, "no-such-request"))


def test_a_decision_signature_cannot_submit(world):
    a, mvd = world
    case = submitted(a)
    services.application_act(actor=mvd, application_id=case.pk, action="take")
    decision = sign_decision(mvd, application_id=case.pk, action="approve")
    _refused("signature_unknown", lambda: _submit(a, decision.id))  # not a's request
    _refused("signature_mismatch", lambda: services.application_submit_signed(
        actor=mvd, signature_request_id=decision.id
    ))


def test_signed_decision_names_the_officer_and_agency(world):
    a, mvd = world
    case = submitted(a)
    services.application_act(actor=mvd, application_id=case.pk, action="take")
    application = decide(mvd, application_id=case.pk, action="refuse", reason="Тіркелмеген.")
    assert application.state == "refused"
    event = ApplicationEvent.objects.filter(application=case).latest("pk")
    assert event.action == "refuse" and event.signature_id
    info = selectors.application_signatures(application=application)[event.signature_id]
    assert info.signer_iin == mvd.iin and info.organisation_code == "kz-mvd"
    files = selectors.application_signature_files(
        application=application, request_id=event.signature_id
    )
    assert files.content == rfc8785.dumps({
        "kind": "qyzmet.application.decision/1", "application": application.number,
        "action": "refuse", "reason": "Тіркелмеген.", "officer": mvd.iin, "agency": "kz-mvd",
        "ground": "documents_false",
    })
    assert application.decision_ground == event.ground == "documents_false"
    audit = AuditEntry.objects.filter(action="application.refuse").latest("pk")
    assert audit.data["signature"]["request"] == event.signature_id


def test_unconfirmed_or_different_decision_changes_nothing(world):
    a, mvd = world
    case = submitted(a)
    services.application_act(actor=mvd, application_id=case.pk, action="take")
    pending = texted(lambda: services.application_decision_sign(
        actor=mvd, application_id=case.pk, action="approve"
    ))
    _refused("signature_not_confirmed", lambda: services.application_act_signed(
        actor=mvd, application_id=case.pk, signature_request_id=pending.id
    ))
    signed = sign_decision(mvd, application_id=case.pk, action="refuse", reason="A")
    _refused("signature_mismatch", lambda: services.application_act(
        actor=mvd, application_id=case.pk, action="refuse", reason="B", ground="documents_false",
        signature_request_id=signed.id,
    ))
    # The same words on another ground are another decision.
    _refused("signature_mismatch", lambda: services.application_act(
        actor=mvd, application_id=case.pk, action="refuse", reason="A",
        ground="registry_contradicts", signature_request_id=signed.id,
    ))
    _refused("signature_mismatch", lambda: services.application_act(
        actor=mvd, application_id=case.pk, action="approve", signature_request_id=signed.id,
    ))
    case.refresh_from_db()
    assert case.state == "in_review"
    application, applied = services.application_act_signed(
        actor=mvd, application_id=case.pk, signature_request_id=signed.id
    )
    assert applied and application.state == "refused"
    again, applied = services.application_act_signed(
        actor=mvd, application_id=case.pk, signature_request_id=signed.id
    )
    assert not applied and again.state == "refused"


def test_decision_signing_is_checked_like_the_action(world):
    a, mvd = world
    case = submitted(a)
    # Not from "submitted"; a citizen may not decide; another agency's officer sees nothing.
    _refused("action_not_allowed_in_state", lambda: services.application_decision_sign(
        actor=mvd, application_id=case.pk, action="approve"
    ))
    services.application_act(actor=mvd, application_id=case.pk, action="take")
    _refused("role_not_allowed", lambda: services.application_decision_sign(
        actor=a, application_id=case.pk, action="approve"
    ))
    _refused("validation_failed", lambda: services.application_decision_sign(
        actor=mvd, application_id=case.pk, action="refuse", reason=" "
    ))
    other = citizen()
    MembershipFactory(user=other, organisation=agency("kz-kpssu"), role="officer")
    _refused("not_found", lambda: services.application_decision_sign(
        actor=other, application_id=case.pk, action="approve"
    ))


# --- the API ---------------------------------------------------------------------------------


def _api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}")


def _post(client, url, body):
    return texted(lambda: client.post(url, body, content_type="application/json"))


def test_api_sign_then_submit_when_signatures_are_required(world, settings):
    settings.QYZMET_REQUIRE_SUBMISSION_SIGNATURE = True
    a, _ = world
    client = _api(a)
    body = {"service_code": SERVICE, "data": DATA}
    unsigned = _post(client, "/api/v1/applications", body)
    assert unsigned.status_code == 422
    assert unsigned.json()["code"] == "signature_required"
    assert not Application.objects.exists()

    made = _post(client, "/api/v1/applications/sign", body)
    assert made.status_code == 201, made.content
    made = made.json()
    assert made["canonical"].startswith('{"applicant":"' + a.iin)
    confirmed = _post(client, made["confirm_url"], {"code": sms_code(a)})
    assert confirmed.status_code == 201, confirmed.content
    submitted_ = _post(
        client, "/api/v1/applications",
        {**body, "signature_request_id": made["signature_request_id"]},
    )
    assert submitted_.status_code == 201, submitted_.content
    out = submitted_.json()
    assert out["submission_signature"]["request_id"] == made["signature_request_id"]
    assert out["submission_signature"]["signer_iin"] == a.iin
    assert out["submission_signature"]["sha256"] == made["sha256"]

    other = _post(client, "/api/v1/applications/sign", {"service_code": SERVICE,
                                                         "data": {"purpose": "school"}}).json()
    _post(client, other["confirm_url"], {"code": sms_code(a)})
    mismatch = _post(client, "/api/v1/applications",
                     {**body, "signature_request_id": other["signature_request_id"]})
    assert mismatch.status_code == 422
    assert mismatch.json()["code"] == "signature_mismatch"
    assert Application.objects.count() == 1


def test_api_submission_of_an_old_signature_over_changed_facts_is_409(world, settings):
    a, _ = world
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=a)}")
    body = {"service_code": SERVICE, "data": DATA}
    made = _post(client, "/api/v1/applications/sign", body).json()
    _post(client, made["confirm_url"], {"code": sms_code(a)})
    Person.objects.filter(iin=a.iin).update(last_name="Жаңаев")
    settings.QYZMET_EVIDENCE_MAX_AGE_SECONDS = 0
    refused = _post(client, "/api/v1/applications",
                    {**body, "signature_request_id": made["signature_request_id"]})  # fmt: skip
    assert refused.status_code == 409
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "evidence_changed"
    assert refused.json()["changed"] == ["person"]
    assert not Application.objects.exists()


def test_api_signed_decision_when_required(world, settings):
    settings.QYZMET_REQUIRE_DECISION_SIGNATURE = True
    a, mvd = world
    case = submitted(a)
    client = _api(mvd)
    assert _post(client, f"/api/v1/inbox/{case.pk}/actions/take", {}).status_code == 200
    unsigned = _post(client, f"/api/v1/inbox/{case.pk}/actions/approve", {})
    assert unsigned.status_code == 422 and unsigned.json()["code"] == "signature_required"
    made = _post(client, f"/api/v1/inbox/{case.pk}/actions/approve/sign", {}).json()
    assert '"agency":"kz-mvd"' in made["canonical"]
    early = _post(client, f"/api/v1/inbox/{case.pk}/actions/approve",
                  {"signature_request_id": made["signature_request_id"]})
    assert early.status_code == 409 and early.json()["code"] == "signature_not_confirmed"
    case.refresh_from_db()
    assert case.state == "in_review"
    _post(client, made["confirm_url"], {"code": sms_code(mvd)})
    done = _post(client, f"/api/v1/inbox/{case.pk}/actions/approve",
                 {"signature_request_id": made["signature_request_id"]})
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "approved"

"""Submitting an application: drafts, the idempotent submission, signed or not. A signed
submission carries the evidence as signed and reads no registry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from qyzmet.catalog.selectors import service_current, service_pinned
from qyzmet.core.problem import Problem, not_found, validation
from qyzmet.signatures.selectors import signature_request_get

from .. import errors
from ..evidence import Evidence, evidence_changed, evidence_max_age, evidence_read
from ..models import Application
from ..payment_step import workflow_or_payment
from .common import (
    APPLICANT_ROLE,
    SUBMISSION_KIND,
    _check_applicant_kind,
    _evidence_fetch,
    _history,
    _request_hash,
    _require_object,
)
from .evidence_retry import _evidence_await
from .signing import _signature_check, submission_payload


def application_submit_signed(
    *,
    actor,
    signature_request_id: str,
    idempotency_key: str | None = None,
    draft_id: int | None = None,
    language: str = "kk",
) -> tuple[Application, bool]:
    """Submit what the citizen signed in request `signature_request_id` (the portal's way: after
    the code is confirmed, the signed form data is submitted as it was signed). Idempotent per
    signature by default, so coming back to the same return address never submits twice."""
    read = _submission_request(actor=actor, request_id=signature_request_id)
    data = read[1].get("data")
    return _submission(
        actor=actor,
        service_code=str(read[1].get("service", "")),
        data=data if isinstance(data, dict) else {},
        idempotency_key=idempotency_key or f"signed:{signature_request_id}",
        draft_id=draft_id,
        language=language,
        signature_request_id=signature_request_id,
        read=read,
    )


def _draft_for_update(*, actor, draft_id: int) -> Application:
    """The actor's own draft, locked; anything else is 'not found'."""
    application = (
        Application.objects.select_for_update()
        .filter(pk=draft_id, applicant=actor, state=Application.DRAFT)
        .first()
    )
    if application is None:
        raise not_found("draft")
    return application


@transaction.atomic
def application_draft_save(
    *, actor, service_code: str, data: dict, application_id: int | None = None,
    language: str = "kk",
) -> Application:
    """Save what the citizen typed so far, unvalidated, pinned to the current version."""
    _require_object(data)
    if application_id is not None:
        application = _draft_for_update(actor=actor, draft_id=application_id)
        application.data = data
        application.save(update_fields=["data", "updated_at"])
        return application
    service = service_current(code=service_code)
    if service is None:
        raise not_found("service")
    _check_applicant_kind(actor=actor, package=service.package)
    application = Application.objects.create(
        service_version_id=service.id,
        service_code=service.code,
        agency_code=service.agency_code,
        applicant=actor,
        applicant_iin=actor.iin,
        language=language,
        data=data,
    )
    _history(application, actor=actor, action="draft_saved", from_state="", to_state="draft",
             role=APPLICANT_ROLE)
    return application


def application_submit(
    *,
    actor,
    service_code: str,
    data: dict,
    idempotency_key: str | None = None,
    draft_id: int | None = None,
    language: str = "kk",
    signature_request_id: str | None = None,
) -> tuple[Application, bool]:
    """Validate, fetch the evidence, start the workflow. Returns (application, created).

    With an Idempotency-Key a retried request returns the application the first one made; the
    same key with a different body is a conflict.

    When a registry does not answer, nothing is lost: the application is saved as it stands
    (data, signature, key, the facts that were read) in `AWAITING_EVIDENCE`, outside the
    workflow, and `application_evidence_retry` brings it in once the registry answers.

    With `signature_request_id` the submission counts only if that request is the applicant's,
    confirmed, unused and signed over exactly `submission_payload` of what is being submitted.
    The case carries the evidence as signed (kept with the signature request since signing):
    no registry is read again, so one application is one read per registry in the citizen's
    data log. Only a signature older than `evidence_max_age()` has its facts read again
    (outside any transaction); if one changed, nothing is saved and `EvidenceChanged` says
    what, so the citizen signs again. `QYZMET_REQUIRE_SUBMISSION_SIGNATURE` makes the
    signature compulsory (the portal always signs).

    Without a signature the registries are read here, before any transaction: for a saved
    draft before its row is locked, for a new application before it is inserted."""
    return _submission(
        actor=actor,
        service_code=service_code,
        data=data,
        idempotency_key=idempotency_key,
        draft_id=draft_id,
        language=language,
        signature_request_id=signature_request_id,
    )


def _submission(
    *,
    actor,
    service_code: str,
    data: dict,
    idempotency_key: str | None,
    draft_id: int | None,
    language: str,
    signature_request_id: str | None,
    read: tuple[Any, dict[str, Any]] | None = None,
) -> tuple[Application, bool]:
    """`application_submit`, given the signature request already `read` (with its JSON) when
    the caller has read it to know what was signed."""
    if signature_request_id is None and getattr(
        settings, "QYZMET_REQUIRE_SUBMISSION_SIGNATURE", False
    ):
        raise errors.signature_required()
    _require_object(data)
    request_hash = _request_hash(service_code, data)
    if idempotency_key:
        existing = Application.objects.filter(
            applicant=actor, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            if existing.idempotency_hash != request_hash:
                raise errors.idempotency_conflict()
            return existing, False
    signed = None
    found = None
    if signature_request_id is not None:
        read = read or _submission_request(actor=actor, request_id=signature_request_id)
        signed = _submission_signed(actor=actor, read=read)
        found = signed.evidence
    elif draft_id is not None:
        found = _draft_evidence(actor=actor, draft_id=draft_id, data=data)
    else:
        found = _new_evidence(actor=actor, service_code=service_code, data=data)
    try:
        application = _submit(
            actor=actor,
            service_code=service_code,
            data=data,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            draft_id=draft_id,
            language=language,
            signed=signed,
            found=found,
        )
    except IntegrityError:
        # Two identical retries raced; the other one won and its application is the answer.
        existing = Application.objects.filter(
            applicant=actor, idempotency_key=idempotency_key
        ).first()
        if existing is None:
            raise
        return existing, False
    return application, True


@dataclass(frozen=True)
class _SignedSubmission:
    """A submission signature request, read once: the request, the JSON it covers, and the
    evidence as signed."""

    request: Any
    payload: dict[str, Any]
    evidence: Evidence


def _submission_request(*, actor, request_id: str) -> tuple[Any, dict[str, Any]]:
    """The actor's own signature request `request_id` and the JSON it covers, if that is a
    submission; anything else is refused as unknown or as signed over something else."""
    try:
        request = signature_request_get(user_id=actor.pk, request_id=str(request_id))
        payload = json.loads(bytes(request.canonical))
    except Problem as exc:
        raise errors.signature_unknown() from exc
    except ValueError as exc:
        raise errors.signature_mismatch("step") from exc
    if not isinstance(payload, dict) or payload.get("kind") != SUBMISSION_KIND:
        raise errors.signature_mismatch("step")
    return request, payload


def _submission_signed(*, actor, read: tuple[Any, dict[str, Any]]) -> _SignedSubmission:
    """The evidence a signed submission carries: the facts as the citizen signed them (the
    request's canonical bytes, stored by the signatures app when the request was made), the
    items pending then (read later by the retry). A request older than `evidence_max_age()`
    has its facts read again first — outside any transaction — and a changed fact stops the
    submission (`EvidenceChanged`): the registry is the source of truth."""
    request, payload = read
    raw_evidence = payload.get("evidence")
    raw_pending = payload.get("evidence_pending")
    pending = [str(n) for n in raw_pending] if isinstance(raw_pending, list) else []
    found = Evidence(
        facts=dict(raw_evidence) if isinstance(raw_evidence, dict) else {},
        pending=pending,
        error=f"{', '.join(pending)}: not answering when the citizen signed" if pending else "",
    )
    if timezone.now() - request.created_at > evidence_max_age():
        service = service_pinned(version_id=int(payload.get("version") or 0))
        data = payload.get("data")
        fresh = evidence_read(
            actor=actor,
            package=service.package,
            applicant_iin=actor.iin,
            data=data if isinstance(data, dict) else {},
            purpose=f"signing an application for service {service.code}",
            only=list(found.facts),
        )
        changed = [n for n, fact in fresh.facts.items() if found.facts.get(n) != fact]
        if changed:
            raise evidence_changed(evidence=fresh, earlier=found, changed=changed)
    return _SignedSubmission(request, payload, found)


def _draft_evidence(*, actor, draft_id: int, data: dict) -> Evidence:
    """An unsigned submission of a saved draft: its evidence read before the draft is locked
    (a slow registry must not hold the row lock), with the draft's number as the purpose."""
    draft = Application.objects.filter(
        pk=draft_id, applicant=actor, state=Application.DRAFT
    ).first()
    if draft is None:
        raise not_found("draft")
    service = service_pinned(version_id=draft.service_version_id)
    _check_applicant_kind(actor=actor, package=service.package)
    problems = service.package.form.errors(data)
    if problems:
        raise validation(problems)
    draft.data = data
    return _evidence_fetch(actor=actor, application=draft, package=service.package)


def _new_evidence(*, actor, service_code: str, data: dict) -> Evidence:
    """An unsigned submission of a new application: its evidence read before the transaction
    that inserts it (a slow registry must hold no transaction open, and no lock on the
    idempotency key a retry waits for). The application has no number yet, so the read's
    purpose names the service."""
    service = service_current(code=service_code)
    if service is None:
        raise not_found("service")
    _check_applicant_kind(actor=actor, package=service.package)
    problems = service.package.form.errors(data)
    if problems:
        raise validation(problems)
    return evidence_read(
        actor=actor,
        package=service.package,
        applicant_iin=actor.iin,
        data=data,
        purpose=f"submitting an application for service {service.code}",
    )


@transaction.atomic
def _submit(*, actor, service_code, data, idempotency_key, request_hash, draft_id, language,
            signed: _SignedSubmission | None, found: Evidence):
    _require_object(data)
    if draft_id is not None:
        application = _draft_for_update(actor=actor, draft_id=draft_id)
        service = service_pinned(version_id=application.service_version_id)
        application.data = data
    else:
        current = service_current(code=service_code)
        if current is None:
            raise not_found("service")
        service = current
        application = None
    package = service.package
    _check_applicant_kind(actor=actor, package=package)
    problems = package.form.errors(data)
    if problems:
        raise validation(problems)
    if application is None:
        application = Application(
            service_version_id=service.id,
            service_code=service.code,
            agency_code=service.agency_code,
            applicant=actor,
            applicant_iin=actor.iin,
            data=data,
        )
    signature = None
    if signed is not None:
        signature = _signature_check(
            actor=actor,
            request_id=str(signed.request.id),
            expected=submission_payload(
                service_code=service.code,
                version_id=service.id,
                applicant_iin=application.applicant_iin,
                data=data,
                evidence=found.facts,
                evidence_pending=found.pending,
            ),
            what="submission",
            request=signed.request,
        )
        application.submission_signature_id = signature.request_id
        application.submission_sha256 = signature.sha256
    application.language = language
    application.idempotency_key = idempotency_key or None
    application.idempotency_hash = request_hash
    application.evidence = found.facts
    application.submitted_at = timezone.now()
    if found.pending:
        _evidence_await(application, actor=actor, service=service, found=found, signature=signature)
    else:
        # A fee to pay: the workflow waits for the payment (see `payment_step`).
        workflow_or_payment(
            application,
            actor=actor,
            role=APPLICANT_ROLE,
            action="submit",
            from_state=Application.DRAFT,
            service=service,
            signature=signature,
        )
    return application

"""Commands that change applications. Each is one transaction: the change, its history row, its
audit row and its outbox event commit together; notifications and documents follow from the
events after commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from qyzmet.audit.services import Kind, audit_record
from qyzmet.catalog.selectors import service_current, service_pinned
from qyzmet.core.calendar import calendar_default
from qyzmet.core.clean_text import json_faults
from qyzmet.core.events import event_publish
from qyzmet.core.problem import FieldError, Problem, not_found, validation
from qyzmet.identity.selectors import user_roles
from qyzmet.signatures.canonical import payload_canonical, payload_hash
from qyzmet.signatures.selectors import signature_request_get, signed_payload_for_request
from qyzmet.signatures.services import signature_request_create

from . import errors
from .evidence import Evidence, evidence_changed, evidence_max_age, evidence_read
from .models import Application, ApplicationEvent, Attachment
from .payment_step import fee_quotable_check, workflow_or_payment
from .uploads import upload_validate

log = logging.getLogger(__name__)

APPLICANT_ROLE = "applicant"
# Who acts when the platform itself finishes a submission (the evidence arrived later).
SYSTEM_ROLE = "system"
# What a signature over an application step covers: a versioned "kind" (so a signature made for
# one purpose can never be presented as another), then the fields of `submission_payload` or
# `decision_payload`. The bytes signed are the RFC 8785 canonical form of that JSON object.
SUBMISSION_KIND = "qyzmet.application.submission/1"
# Submitted but not (or never) in the workflow: waiting for registry evidence or for the fee,
# or lapsed unpaid. No officer sees or acts on these.
OUTSIDE_WORKFLOW = (Application.AWAITING_EVIDENCE, Application.AWAITING_PAYMENT, Application.LAPSED)
DECISION_KIND = "qyzmet.application.decision/1"


def _today() -> dt.date:
    return timezone.localdate()


def _request_hash(service_code: str, data: dict) -> str:
    canonical = json.dumps({"service": service_code, "data": data}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _evidence_fetch(
    *,
    actor,
    application: Application,
    package,
    only: Iterable[str] | None = None,
    lenient: bool = False,
) -> Evidence:
    """Ask the registries (through the client seam, never directly) for the facts the package
    names (`only` those items, when given), with the purpose and the citizen as the end user;
    each read is audited by the client. Never inside a transaction that holds a row lock."""
    return evidence_read(
        actor=actor,
        package=package,
        applicant_iin=application.applicant_iin,
        data=application.data,
        purpose=f"application {application.number} for service {application.service_code}",
        only=only,
        lenient=lenient,
    )


def _history(application: Application, *, actor, action: str, from_state: str, to_state: str,
             reason: str = "", role: str = "", signature=None, ground: str = "") -> None:
    ApplicationEvent.objects.create(
        application=application,
        actor=actor,
        actor_role=role,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        ground=ground,
        signature_id=signature.request_id if signature else None,
        signature_sha256=signature.sha256 if signature else "",
    )


def _event_payload(application: Application, **extra: Any) -> dict[str, Any]:
    return {
        "application_id": application.pk,
        "number": application.number,
        "service_code": application.service_code,
        "service_version_id": application.service_version_id,
        "agency_code": application.agency_code,
        "applicant_id": application.applicant_id,
        "state": application.state,
        **extra,
    }


def _check_applicant_kind(*, actor, package) -> None:
    if "citizen" not in package.applicants:
        raise errors.applicant_not_allowed()


# --- signatures over submissions and decisions ---------------------------------------------


def _json_plain(value: Any) -> Any:
    """The value as JSON would carry it (tuples become lists, ...): what is signed must be what
    the JSON columns store and what an API client sends, byte for byte after canonicalisation."""
    return json.loads(json.dumps(value))


def submission_payload(
    *,
    service_code: str,
    version_id: int,
    applicant_iin: str,
    data: dict,
    evidence: dict,
    evidence_pending: Iterable[str] = (),
) -> dict[str, Any]:
    """What a citizen signs when they submit: the service and the exact package version the case
    will be pinned to, their IIN, the validated form data and the registry facts the case will
    carry as evidence. Signed as RFC 8785 canonical JSON.

    When a registry did not answer while the citizen signed, `evidence` holds the facts that
    were read and `evidence_pending` names the items that were not (e.g. `["person"]`; the key
    is left out when nothing is pending, so every other signature keeps its exact bytes). Facts
    read after that — by the retry, once the registry answers — are not under the citizen's
    signature: what vouches for them is the registry's own signed reply, kept with the request
    in the exchange gateway's message log."""
    payload = {
        "kind": SUBMISSION_KIND,
        "service": service_code,
        "version": version_id,
        "applicant": applicant_iin,
        "data": _json_plain(data),
        "evidence": _json_plain(evidence),
    }
    pending = sorted({str(name) for name in evidence_pending})
    if pending:
        payload["evidence_pending"] = pending
    return payload


def decision_payload(
    *, number: str, action: str, reason: str, officer_iin: str, agency_code: str,
    ground: str = "",
) -> dict[str, Any]:
    """What an officer signs when a step ends the case (approve, refuse, ...): the case number,
    the action, the reason the applicant will read, who decides and for which agency — and, for
    a refusal, the code of the ground chosen from the service's `refusal_grounds` (the key is
    left out when there is none, so approvals and refusals made before grounds existed keep
    their exact bytes)."""
    payload = {
        "kind": DECISION_KIND,
        "application": number,
        "action": action,
        "reason": reason,
        "officer": officer_iin,
        "agency": agency_code,
    }
    if ground:
        payload["ground"] = ground
    return payload


@dataclass(frozen=True)
class CheckedSignature:
    request_id: str
    sha256: str
    certificate_serial: str


def _signature_check(
    *, actor, request_id: str, expected: dict, what: str, organisation_code: str = "",
    request: Any = None,
) -> CheckedSignature:
    """A confirmed signature by `actor` over exactly `expected` (its canonical bytes), made with a
    live certificate of the right kind and not used for anything else yet. `request` is the
    actor's request `request_id` when the caller has read it already."""
    if request is None:
        try:
            request = signature_request_get(user_id=actor.pk, request_id=str(request_id))
        except Problem as exc:
            raise errors.signature_unknown() from exc
    signed = signed_payload_for_request(request_id=request.id)
    if signed is None:
        raise errors.signature_not_confirmed()
    canonical = payload_canonical(expected)
    if (
        signed.sha256 != payload_hash(canonical)
        or bytes(request.canonical) != canonical
        or request.organisation_code != organisation_code
        or signed.certificate.subject_iin != actor.iin
    ):
        raise errors.signature_mismatch(what)
    if signed.certificate.revoked_at is not None:
        raise errors.signature_certificate_revoked()
    # Every use of a signature (a submission, a decision) writes the history row that carries
    # it, and `signature_id` is unique there: one indexed look-up answers "used already?".
    if ApplicationEvent.objects.filter(signature_id=request.id).exists():
        raise errors.signature_already_used()
    return CheckedSignature(request.id, signed.sha256, signed.certificate.serial)


def _signed_payload(*, actor, request_id: str, kind: str) -> dict[str, Any]:
    """The JSON a person signed in one of their own requests, if it is an application step of
    `kind`. Only used to know *what* to do; every step still recomputes its expected payload and
    compares the signed hash with it."""
    try:
        request = signature_request_get(user_id=actor.pk, request_id=str(request_id))
        payload = json.loads(bytes(request.canonical))
    except Problem as exc:
        raise errors.signature_unknown() from exc
    except ValueError as exc:
        raise errors.signature_mismatch("step") from exc
    if not isinstance(payload, dict) or payload.get("kind") != kind:
        raise errors.signature_mismatch("step")
    return payload


def _submission_purpose(title: str) -> str:
    """What a submission's SMS code signs, in the citizen's language (the request's): the
    service by its title, never its code. The signed payload keeps the code."""
    return _("Application: %(service)s") % {"service": title[:100]}


def _decision_purpose(*, workflow: Any, action: str, number: str) -> str:
    """What a decision's SMS code signs, in the officer's language: the case number and whether
    it approves or refuses, never the action's code."""
    step = workflow.action(action)
    target = workflow.state(step.to) if step else None
    outcome = target.outcome if target else None
    if outcome == "approved":
        return _("Approval of application %(number)s") % {"number": number}
    if outcome == "refused":
        return _("Refusal of application %(number)s") % {"number": number}
    return _("Decision on application %(number)s") % {"number": number}


def application_submission_sign(
    *, actor, service_code: str, data: dict, draft_id: int | None = None,
    known: Evidence | None = None,
):
    """Prepare the signature of a submission: validate the form, take the evidence the case will
    carry, and create a signature request over `submission_payload` (an SMS code is texted).
    Nothing about the application changes; the submission happens when the signed request's id is
    given to `application_submit`. Returns the signatures app's request.

    `known` is what the apply pages read and showed: each of its facts still fresh for the same
    subject is signed as it is, without reading the registry again; the others are read now
    (the API, which shows nothing first, reads here, once). When a fact the citizen was shown
    had to be read again and changed, nothing is signed: `EvidenceChanged` carries the fresh
    read and what changed, to show before the citizen confirms again.

    A registry that does not answer does not stop the citizen: what they sign then covers the
    form data and the facts that were read, and names the items still pending (see
    `submission_payload`); the submission waits for those items and the retry reads them."""
    _require_object(data)
    if draft_id is not None:
        draft = Application.objects.filter(
            pk=draft_id, applicant=actor, state=Application.DRAFT
        ).first()
        if draft is None:
            raise not_found("draft")
        service = service_pinned(version_id=draft.service_version_id)
    else:
        service = service_current(code=service_code)
        if service is None:
            raise not_found("service")
    package = service.package
    _check_applicant_kind(actor=actor, package=package)
    problems = package.form.errors(data)
    if problems:
        raise validation(problems)
    fee_quotable_check(package=package, on=_today())
    found = evidence_read(
        actor=actor,
        package=package,
        applicant_iin=actor.iin,
        data=data,
        purpose=f"signing an application for service {service.code}",
        known=known,
    )
    if known is not None:
        changed = found.changed_since(known)
        if changed:
            raise evidence_changed(evidence=found, earlier=known, changed=changed)
    payload = submission_payload(
        service_code=service.code,
        version_id=service.id,
        applicant_iin=actor.iin,
        data=data,
        evidence=found.facts,
        evidence_pending=found.pending,
    )
    return signature_request_create(
        actor=actor,
        purpose=_submission_purpose(service.package.title(get_language())),
        payload=payload,
        ref=f"application:{draft_id}" if draft_id is not None else f"service:{service.code}",
    )


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
    payload = _signed_payload(actor=actor, request_id=signature_request_id, kind=SUBMISSION_KIND)
    data = payload.get("data")
    return application_submit(
        actor=actor,
        service_code=str(payload.get("service", "")),
        data=data if isinstance(data, dict) else {},
        idempotency_key=idempotency_key or f"signed:{signature_request_id}",
        draft_id=draft_id,
        language=language,
        signature_request_id=signature_request_id,
    )


def _require_object(data: Any) -> None:
    """Form data is an object of text the database can store (checked before anything is)."""
    if not isinstance(data, dict):
        raise validation([FieldError("/", "The form data must be an object.")])
    faults = json_faults(data)
    if faults:
        raise errors.text_invalid([pointer for pointer, _fault in faults])


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

    Without a signature the registries are read here: for a saved draft before its row is
    locked; for a new application inside the transaction that inserts it (its number is the
    read's purpose; no existing row is locked meanwhile)."""
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
        signed = _submission_signed(actor=actor, request_id=signature_request_id)
        found = signed.evidence
    elif draft_id is not None:
        found = _draft_evidence(actor=actor, draft_id=draft_id, data=data)
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


def _submission_signed(*, actor, request_id: str) -> _SignedSubmission:
    """The evidence a signed submission carries: the facts as the citizen signed them (the
    request's canonical bytes, stored by the signatures app when the request was made), the
    items pending then (read later by the retry). A request older than `evidence_max_age()`
    has its facts read again first — outside any transaction — and a changed fact stops the
    submission (`EvidenceChanged`): the registry is the source of truth."""
    try:
        request = signature_request_get(user_id=actor.pk, request_id=str(request_id))
        payload = json.loads(bytes(request.canonical))
    except Problem as exc:
        raise errors.signature_unknown() from exc
    except ValueError as exc:
        raise errors.signature_mismatch("step") from exc
    if not isinstance(payload, dict) or payload.get("kind") != SUBMISSION_KIND:
        raise errors.signature_mismatch("step")
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


@transaction.atomic
def _submit(*, actor, service_code, data, idempotency_key, request_hash, draft_id, language,
            signed: _SignedSubmission | None = None, found: Evidence | None = None):
    _require_object(data)
    if draft_id is not None:
        application = _draft_for_update(actor=actor, draft_id=draft_id)
        service = service_pinned(version_id=application.service_version_id)
        application.data = data
    else:
        service = service_current(code=service_code)
        if service is None:
            raise not_found("service")
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
    if signed is not None and found is not None:
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
    if found is None:
        # A new unsigned application: its number (the read's purpose) exists once it is saved.
        application.save()
        found = _evidence_fetch(actor=actor, application=application, package=package)
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


def _audit_data(application: Application, *, service, signature=None, **extra: Any) -> dict:
    data: dict[str, Any] = {
        "service": service.code,
        "version": service.version,
        "state": application.state,
        **extra,
    }
    if signature is not None:
        data["signature"] = {
            "request": signature.request_id,
            "sha256": signature.sha256,
            "certificate": signature.certificate_serial,
        }
    return data


def _workflow_enter(
    application: Application,
    *,
    actor,
    role: str,
    action: str,
    from_state: str,
    service,
    signature=None,
    counted_from: dt.date | None = None,
) -> None:
    """Start the workflow of a submitted application: its initial state, the deadlines counted
    in working days from the day the citizen submitted (not the day the last evidence came) —
    or from `counted_from`, the day a fee was paid (`payment_step`),
    the history row, the audit row and `application.submitted` in the outbox — one transaction
    with the caller's. The one way in, for a submission that had all its evidence and for one
    whose evidence arrived later (`application_evidence_retry`)."""
    workflow = service.package.workflow
    calendar = calendar_default()
    submitted_on = counted_from or timezone.localdate(application.submitted_at)
    initial = workflow.state(workflow.initial)
    application.state = workflow.initial
    application.is_open = True
    application.evidence_pending = []
    application.evidence_retry_at = None
    application.evidence_error = ""
    missing = {"evidence_missing": sorted(application.evidence_missing)}
    if not application.evidence_missing:
        missing = {}
    application.due_date = calendar.add_working_days(submitted_on, workflow.deadline_working_days)
    application.state_due_date = (
        calendar.add_working_days(submitted_on, initial.deadline_working_days)
        if initial.deadline_working_days
        else None
    )
    application.save()
    _history(
        application,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=application.state,
        role=role,
        signature=signature,
    )
    audit_record(
        actor=actor,
        kind=Kind.CHANGE,
        action=f"application.{action}",
        object_type="application",
        object_id=application.pk,
        subject_iin=application.applicant_iin,
        data=_audit_data(application, service=service, signature=signature, **missing),
    )
    event_publish(
        topic="application.submitted",
        payload=_event_payload(application, due_date=application.due_date.isoformat(), **missing),
    )


# --- evidence a registry did not give at submission -------------------------------------------

# How long a retry holds its claim on an application: longer than the registry reads of one
# attempt can take (the gateway's timeout per read), so two sweeps never read for the same case
# at once, and short enough that a crashed worker's case is retried soon.
EVIDENCE_RETRY_LEASE = dt.timedelta(minutes=5)


def evidence_retry_delay(*, attempts: int) -> dt.timedelta:
    """The wait before the next attempt after `attempts` failed retries: 1, 2, 4, ... minutes,
    at most an hour (`QYZMET_EVIDENCE_RETRY_BASE_SECONDS`, `QYZMET_EVIDENCE_RETRY_MAX_SECONDS`)."""
    base = float(getattr(settings, "QYZMET_EVIDENCE_RETRY_BASE_SECONDS", 60))
    cap = float(getattr(settings, "QYZMET_EVIDENCE_RETRY_MAX_SECONDS", 3600))
    return dt.timedelta(seconds=min(base * 2 ** min(attempts, 32), cap))


def evidence_wait_max() -> dt.timedelta:
    """How long after submission a case may wait for a registry that does not answer before it
    goes to the agency without that evidence (`QYZMET_EVIDENCE_WAIT_MAX_SECONDS`, 48 hours):
    the deadline runs from the submission, so the officer must get the time to decide."""
    return dt.timedelta(seconds=float(getattr(settings, "QYZMET_EVIDENCE_WAIT_MAX_SECONDS",
                                              48 * 3600)))  # fmt: skip


def _evidence_retry_schedule(*, application_id: int, delay: dt.timedelta) -> None:
    """After commit, queue one retry of this application for when it is due (eager in the
    embedded default, where it finds the case not due yet and leaves it to the sweep). A broker
    that is down loses nothing: the periodic sweep finds every due case in the table."""

    def _enqueue() -> None:
        from .tasks import evidence_retry

        try:
            evidence_retry.apply_async((application_id,), countdown=delay.total_seconds())
        except Exception:
            log.exception(
                "could not queue the evidence retry of application %s; the sweep will retry it",
                application_id,
            )

    transaction.on_commit(_enqueue)


def _evidence_await(
    application: Application, *, actor, service, found: Evidence, signature=None
) -> None:
    """Keep a submission whose registry did not answer: everything the citizen gave and every
    fact read, in AWAITING_EVIDENCE (outside the workflow, so in no inbox and with no
    deadline yet), with the items still to read and the first retry due."""
    delay = evidence_retry_delay(attempts=0)
    application.state = Application.AWAITING_EVIDENCE
    application.is_open = False
    application.evidence_pending = list(found.pending)
    application.evidence_attempts = 0
    application.evidence_retry_at = application.submitted_at + delay
    application.evidence_error = found.error
    application.save()
    _history(
        application,
        actor=actor,
        action="submit",
        from_state=Application.DRAFT,
        to_state=application.state,
        role=APPLICANT_ROLE,
        signature=signature,
    )
    audit_record(
        actor=actor,
        kind=Kind.CHANGE,
        action="application.submit",
        object_type="application",
        object_id=application.pk,
        subject_iin=application.applicant_iin,
        data=_audit_data(
            application, service=service, signature=signature, evidence_pending=list(found.pending)
        ),
    )
    event_publish(
        topic="application.evidence_waiting",
        payload=_event_payload(application, evidence_pending=list(found.pending)),
    )
    _evidence_retry_schedule(application_id=application.pk, delay=delay)


def application_evidence_retry(*, application_id: int, now: dt.datetime | None = None) -> str:
    """Try once more to read the evidence a waiting application lacks, if its retry is due.

    Returns "started" (the application entered its workflow exactly as a complete submission
    does: with all its evidence, or — history action `evidence_incomplete` — without the items
    a registry refused for good or did not give within `evidence_wait_max()`, which stay in
    `evidence_missing` for the officer and the citizen), "waiting" (a registry still did not
    answer: the attempt is counted and the next one set later, by `evidence_retry_delay`) or
    "skipped" (not due, taken by another worker, or no longer waiting).

    Safe to run from any number of workers at once: a conditional UPDATE claims the case (only
    one claimer reads the registries), and the transition re-checks the state under
    `select_for_update`, so the workflow starts once. The reads carry the same purpose as at
    submission ("application N for service S") with the citizen as the end user."""
    now = now or timezone.now()
    claimed = Application.objects.filter(
        pk=application_id,
        state=Application.AWAITING_EVIDENCE,
        evidence_retry_at__lte=now,
    ).update(evidence_retry_at=now + EVIDENCE_RETRY_LEASE)
    if not claimed:
        return "skipped"
    application = Application.objects.select_related("applicant").get(pk=application_id)
    service = service_pinned(version_id=application.service_version_id)
    # Outside the transaction below: a slow registry must not hold the row lock. The citizen
    # is the end user the registry is read for (the gateway's X-Road-UserId).
    found = _evidence_fetch(
        actor=application.applicant,
        application=application,
        package=service.package,
        only=application.evidence_pending,
        lenient=True,
    )
    with transaction.atomic():
        application = Application.objects.select_for_update().filter(pk=application_id).first()
        if application is None or application.state != Application.AWAITING_EVIDENCE:
            return "skipped"
        application.evidence = {**application.evidence, **found.facts}
        missing = {**application.evidence_missing, **found.failed}
        waited = now - application.submitted_at
        if found.pending and waited >= evidence_wait_max():
            # Waiting longer would eat the citizen's deadline: the officer decides without it.
            hours = int(evidence_wait_max().total_seconds() // 3600)
            missing.update(found.not_obtained(prefix=f"no answer within {hours} h: "))
            found.pending = []
        if found.pending:
            application.evidence_attempts += 1
            delay = evidence_retry_delay(attempts=application.evidence_attempts)
            application.evidence_pending = list(found.pending)
            application.evidence_missing = missing
            application.evidence_retry_at = now + delay
            application.evidence_error = found.error
            application.save(
                update_fields=[
                    "evidence",
                    "evidence_pending",
                    "evidence_missing",
                    "evidence_attempts",
                    "evidence_retry_at",
                    "evidence_error",
                    "updated_at",
                ]
            )
            _evidence_retry_schedule(application_id=application.pk, delay=delay)
            return "waiting"
        application.evidence_missing = missing
        # Complete now: the fee is quoted from the facts as read (a fee to pay waits for it).
        workflow_or_payment(
            application,
            actor=None,
            role=SYSTEM_ROLE,
            action="evidence_incomplete" if missing else "evidence_received",
            from_state=Application.AWAITING_EVIDENCE,
            service=service,
        )
        return "started"


@dataclass(frozen=True)
class RefetchResult:
    """What an officer's new attempt obtained, what is still missing (with the reason), and the
    case as it now is."""

    obtained: list[str]
    still_missing: dict[str, dict[str, str]]
    application: Application


def application_evidence_refetch(*, actor, application_id: int) -> RefetchResult:
    """An officer of the case's agency asks the registries again for the evidence the case came
    in without (`evidence_missing`): a registry may be back, or a record may have been
    corrected. Read through the client seam with the purpose "application N for service S" and
    the officer as the one who reads (the citizen's data tracker names them). What arrives joins
    the evidence and leaves `evidence_missing`; a history entry (`evidence_refetched`) and an
    audit record say what was obtained. 404 for another agency's case, 409 when nothing is
    missing or the case is closed."""
    application = Application.objects.filter(pk=application_id).first()
    if application is None or not user_roles(user=actor).get(application.agency_code):
        raise not_found("application")
    if not application.is_open or not application.evidence_missing:
        raise errors.nothing_missing()
    service = service_pinned(version_id=application.service_version_id)
    wanted = list(application.evidence_missing)
    # Outside the transaction below: a slow registry must not hold the row lock.
    found = _evidence_fetch(actor=actor, application=application, package=service.package,
                            only=wanted, lenient=True)  # fmt: skip
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application_id)
        if not application.is_open or not application.evidence_missing:
            raise errors.nothing_missing()
        obtained = [name for name in wanted if name in found.facts]
        missing = {k: v for k, v in application.evidence_missing.items() if k not in obtained}
        missing.update({k: v for k, v in found.not_obtained().items() if k in missing})
        application.evidence = {**application.evidence,
                                **{k: found.facts[k] for k in obtained}}  # fmt: skip
        application.evidence_missing = missing
        application.save(update_fields=["evidence", "evidence_missing", "updated_at"])
        _history(application, actor=actor, action="evidence_refetched",
                 from_state=application.state, to_state=application.state,
                 reason=", ".join(obtained), role=_staff_role(actor, application))  # fmt: skip
        audit_record(
            actor=actor, kind=Kind.CHANGE, action="application.evidence_refetched",
            object_type="application", object_id=application.pk,
            subject_iin=application.applicant_iin,
            data={"obtained": obtained, "still_missing": sorted(missing)},
        )  # fmt: skip
    return RefetchResult(obtained=obtained, still_missing=missing, application=application)


def _staff_role(actor, application: Application) -> str:
    roles = user_roles(user=actor).get(application.agency_code, set())
    return sorted(roles)[0] if roles else ""


def evidence_retry_due(*, now: dt.datetime | None = None, limit: int = 500) -> dict[str, int]:
    """The periodic sweep: retry every waiting application whose retry is due, oldest first
    (celery beat, and `qyzmet evidence_retry`). Safe to re-run and to run twice at once. A
    case whose retry fails unexpectedly is logged and left to the next sweep once its claim
    runs out."""
    now = now or timezone.now()
    due = list(
        Application.objects.filter(state=Application.AWAITING_EVIDENCE, evidence_retry_at__lte=now)
        .order_by("evidence_retry_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {"started": 0, "waiting": 0, "skipped": 0, "failed": 0}
    for pk in due:
        try:
            counts[application_evidence_retry(application_id=pk, now=now)] += 1
        except Exception:
            log.exception("evidence retry of application %s failed", pk)
            counts["failed"] += 1
    return counts


def _actor_role(*, actor, application: Application, allowed_roles: list[str]) -> str | None:
    """The role under which `actor` may act here, or None. Officers act only for their agency."""
    if actor.pk == application.applicant_id and APPLICANT_ROLE in allowed_roles:
        return APPLICANT_ROLE
    roles = user_roles(user=actor).get(application.agency_code, set())
    for role in allowed_roles:
        if role in roles:
            return role
    return None


def _can_see(*, actor, application: Application) -> bool:
    """The applicant sees their case; the agency's staff see it once it is in the workflow (a
    submission still waiting for registry evidence is in nobody's inbox)."""
    if actor.pk == application.applicant_id:
        return True
    if application.state in OUTSIDE_WORKFLOW:
        return False
    return bool(user_roles(user=actor).get(application.agency_code))


@dataclass(frozen=True)
class _Step:
    workflow: Any
    step: Any
    role: str
    reason: str
    ground: str = ""


def _ground_check(*, package: Any, action: str, ground: str) -> str:
    """The refusal ground of this step: required for an action that refuses when the pinned
    package lists grounds (one of those its action may use); none for any other step, and for
    a version published before grounds existed ("ground not recorded")."""
    choices = [g.code for g in package.grounds_for(action)]
    if not choices:
        return ""
    ground = (ground or "").strip()
    if not ground:
        raise errors.ground_required(action)
    if ground not in choices:
        raise errors.ground_unknown(action, ground[:60], choices)
    return ground


def _step_check(
    *, actor, application: Application | None, action: str, reason: str, ground: str = ""
) -> _Step:
    """Every rule of `application_act`, in its order: object rules first (a case you may not
    see is 'not found'), then the state (409), the role (403), the reason and, for a refusal,
    its ground (422)."""
    if application is None or not _can_see(actor=actor, application=application):
        raise not_found("application")
    if application.state in (Application.DRAFT, *OUTSIDE_WORKFLOW):
        raise errors.action_not_allowed(action, application.state)
    package = service_pinned(version_id=application.service_version_id).package
    workflow = package.workflow
    step = workflow.action(action)
    if step is None:
        raise errors.unknown_action(action)
    if step not in workflow.actions_from(application.state):
        raise errors.action_not_allowed(action, application.state)
    role = _actor_role(actor=actor, application=application, allowed_roles=list(step.roles))
    if role is None:
        raise errors.role_not_allowed(action)
    reason = (reason or "").strip()
    if step.requires_reason and not reason:
        raise errors.reason_required(action)
    ground = _ground_check(package=package, action=action, ground=ground)
    return _Step(workflow, step, role, reason, ground)


def _decision_payload_for(
    *, actor, application: Application, action: str, reason: str, ground: str = ""
) -> dict:
    return decision_payload(
        number=application.number,
        action=action,
        reason=reason,
        officer_iin=actor.iin,
        agency_code=application.agency_code,
        ground=ground,
    )


def application_decision_sign(
    *, actor, application_id: int, action: str, reason: str = "", ground: str = ""
):
    """Prepare the officer's signature of a step that ends the case: the same checks as
    `application_act` (nothing is changed), then a signature request over `decision_payload`
    made with the officer's certificate for the case's agency. Returns the signatures app's
    request; `application_act` with its id applies the decision once it is confirmed."""
    application = Application.objects.filter(pk=application_id).first()
    checked = _step_check(
        actor=actor, application=application, action=action, reason=reason, ground=ground
    )
    assert application is not None
    return signature_request_create(
        actor=actor,
        purpose=_decision_purpose(
            workflow=service_pinned(version_id=application.service_version_id).package.workflow,
            action=action,
            number=application.number,
        ),
        payload=_decision_payload_for(
            actor=actor, application=application, action=action, reason=checked.reason,
            ground=checked.ground,
        ),
        organisation_code=application.agency_code,
        ref=f"application:{application.pk}",
    )


def application_act_signed(
    *, actor, application_id: int, signature_request_id: str
) -> tuple[Application, bool]:
    """Apply the decision the officer signed in `signature_request_id` (the back office's way:
    the return address after the code is confirmed). Returns (application, applied); coming back
    again after it was applied changes nothing and answers (application, False)."""
    payload = _signed_payload(actor=actor, request_id=signature_request_id, kind=DECISION_KIND)
    done = ApplicationEvent.objects.filter(
        application_id=application_id, signature_id=signature_request_id
    ).exists()
    if done:
        application = Application.objects.filter(pk=application_id).first()
        if application is None or not _can_see(actor=actor, application=application):
            raise not_found("application")
        return application, False
    application = application_act(
        actor=actor,
        application_id=application_id,
        action=str(payload.get("action", "")),
        reason=str(payload.get("reason", "")),
        ground=str(payload.get("ground", "")),
        signature_request_id=signature_request_id,
    )
    return application, True


def action_is_final(*, application: Application, action: str) -> bool:
    """Whether `action` would end the case (and so is a decision to sign)."""
    workflow = service_pinned(version_id=application.service_version_id).package.workflow
    step = workflow.action(action)
    entering = workflow.state(step.to) if step else None
    return bool(entering and entering.final)


@transaction.atomic
def application_act(
    *, actor, application_id: int, action: str, reason: str = "", ground: str = "",
    signature_request_id: str | None = None,
) -> Application:
    """Take one workflow action. Object rules first (a case you may not see is 'not found'),
    then the state (409) and the role (403); nothing changes unless every check passes.

    With `signature_request_id` the step counts only if the actor signed exactly this decision
    (`decision_payload`) as an official of the case's agency, confirmed with the code; the
    history row and the audit row name the signature. `QYZMET_REQUIRE_DECISION_SIGNATURE` makes
    a signature compulsory for officers' steps that end the case.

    A refusal names its `ground` (a code of the pinned package's `refusal_grounds`, 422 when
    missing or unknown); it is signed with the decision and kept on the case, its history row,
    its audit entry and its event."""
    application = Application.objects.select_for_update().filter(pk=application_id).first()
    unpaid = _withdraw_unpaid(actor=actor, application=application, action=action, reason=reason)
    if unpaid is not None:
        return unpaid
    withdrawing_fee = None
    if application is not None and application.state not in OUTSIDE_WORKFLOW:
        # What withdrawing does to the fee, read before the refund follows from the event.
        from .selectors import withdraw_action, withdrawal_fee

        package = service_pinned(version_id=application.service_version_id).package
        if action == withdraw_action(package.workflow):
            withdrawing_fee = withdrawal_fee(application=application)
    checked = _step_check(
        actor=actor, application=application, action=action, reason=reason, ground=ground
    )
    assert application is not None
    workflow, step, role, reason = checked.workflow, checked.step, checked.role, checked.reason
    ground = checked.ground

    from_state = application.state
    leaving = workflow.state(from_state)
    entering = workflow.state(step.to)
    signature = None
    if signature_request_id is not None:
        signature = _signature_check(
            actor=actor,
            request_id=signature_request_id,
            expected=_decision_payload_for(
                actor=actor, application=application, action=action, reason=reason,
                ground=ground,
            ),
            what="decision",
            organisation_code=application.agency_code,
        )
    elif (
        entering.final
        and role != APPLICANT_ROLE
        and getattr(settings, "QYZMET_REQUIRE_DECISION_SIGNATURE", False)
    ):
        raise errors.signature_required()
    calendar = calendar_default()
    today = _today()
    # The Law on Public Services stops the clock while the citizen is asked for more; the days
    # left when it stopped are given back, counted from the day the citizen answers.
    if entering.clock == "paused" and leaving.clock != "paused":
        application.remaining_working_days = max(
            0, calendar.working_days_between(today, application.due_date)
        )
        application.paused_at = today
    elif leaving.clock == "paused" and entering.clock != "paused":
        remaining = application.remaining_working_days or 0
        application.due_date = calendar.add_working_days(today, remaining)
        application.paused_at = None
        application.remaining_working_days = None
    application.state = step.to
    application.state_due_date = (
        calendar.add_working_days(today, entering.deadline_working_days)
        if entering.deadline_working_days
        else None
    )
    if action == "take" and role != APPLICANT_ROLE:
        application.assignee = actor
    if entering.final:
        application.is_open = False
        application.outcome = entering.outcome or ""
        application.decided_at = timezone.now()
        application.decision_reason = reason
        application.decision_ground = ground
    application.save()
    _history(application, actor=actor, action=action, from_state=from_state,
             to_state=step.to, reason=reason, role=role, signature=signature, ground=ground)
    audit_data: dict[str, Any] = {"from": from_state, "to": step.to, "role": role,
                                  "reason": reason}
    if ground:
        audit_data["ground"] = ground
    if signature is not None:
        audit_data["signature"] = {
            "request": signature.request_id,
            "sha256": signature.sha256,
            "certificate": signature.certificate_serial,
        }
    audit_record(
        actor=actor,
        kind=Kind.DECISION if entering.final else Kind.CHANGE,
        action=f"application.{action}",
        object_type="application",
        object_id=application.pk,
        subject_iin=application.applicant_iin,
        data=audit_data,
    )
    topic = "application.state_changed"
    if entering.final and entering.outcome in {"approved", "refused", "withdrawn"}:
        topic = f"application.{entering.outcome}"
    elif entering.clock == "paused":
        topic = "application.info_requested"
    elif leaving.clock == "paused":
        topic = "application.info_provided"
    event_publish(
        topic=topic,
        payload=_event_payload(application, action=action, from_state=from_state, reason=reason,
                               **({"ground": ground} if ground else {}),
                               **(withdrawing_fee.as_payload() if withdrawing_fee else {})),
    )
    return application


def _withdraw_unpaid(
    *, actor, application: Application | None, action: str, reason: str
) -> Application | None:
    """`application_act` for an application waiting for its fee: only its applicant, and only
    the action by which the service's workflow lets the applicant withdraw (from any state);
    None when the application is not waiting for its fee (the workflow's rules apply)."""
    if application is None or application.state != Application.AWAITING_PAYMENT:
        return None
    from .payment_step import application_withdraw_unpaid
    from .selectors import withdraw_action

    if not _can_see(actor=actor, application=application):
        raise not_found("application")
    workflow = service_pinned(version_id=application.service_version_id).package.workflow
    allowed = withdraw_action(workflow)
    if action != allowed or actor.pk != application.applicant_id:
        raise errors.action_not_allowed(action, application.state)
    return application_withdraw_unpaid(
        application, actor=actor, action=action, to_state=workflow.action(action).to,
        reason=(reason or "").strip(),
    )  # fmt: skip


@transaction.atomic
def attachment_add(
    *, actor, application_id: int, filename: str, content: bytes, declared_type: str = ""
) -> Attachment:
    """A citizen adds a file to their own open application (size and type checked by content)."""
    application = Application.objects.select_for_update().filter(
        pk=application_id, applicant=actor
    ).first()
    if application is None:
        raise not_found("application")
    if not application.is_open and application.state != Application.DRAFT:
        raise errors.action_not_allowed("attach", application.state)
    content_type = upload_validate(
        content=content,
        max_bytes=settings.QYZMET_UPLOAD_MAX_BYTES,
        allowed=settings.QYZMET_UPLOAD_CONTENT_TYPES,
    )
    attachment = Attachment.objects.create(
        application=application,
        uploaded_by=actor,
        filename=filename[:200] or "upload",
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )
    audit_record(
        actor=actor,
        kind=Kind.CHANGE,
        action="application.attach",
        object_type="application",
        object_id=application.pk,
        subject_iin=application.applicant_iin,
        data={"attachment": attachment.pk, "type": content_type, "size": len(content)},
    )
    return attachment


def _flag_once(*, pk: int, flag: str, topic: str) -> bool:
    """Set `flag` and publish `topic` together, once per application, whoever runs first."""
    with transaction.atomic():
        if not Application.objects.filter(pk=pk, **{flag: False}).update(**{flag: True}):
            return False
        application = Application.objects.get(pk=pk)
        event_publish(topic=topic, payload=_event_payload(application))
        return True


def deadlines_flag(*, today: dt.date | None = None) -> dict[str, int]:
    """Escalate open cases whose deadline is the next working day (`application.due_soon`) or
    already past (`application.overdue`), each once. Safe to re-run at any time."""
    today = today or _today()
    tomorrow = calendar_default().add_working_days(today, 1)
    running = Application.objects.filter(is_open=True, paused_at__isnull=True)
    counts = {"due_soon": 0, "overdue": 0}
    due_soon = running.filter(
        due_date__gte=today, due_date__lte=tomorrow, due_soon_notified=False
    ).values_list("pk", flat=True)
    for pk in list(due_soon):
        counts["due_soon"] += _flag_once(
            pk=pk, flag="due_soon_notified", topic="application.due_soon"
        )
    overdue = running.filter(due_date__lt=today, overdue_notified=False)
    overdue = overdue.values_list("pk", flat=True)
    for pk in list(overdue):
        counts["overdue"] += _flag_once(
            pk=pk, flag="overdue_notified", topic="application.overdue"
        )
    return counts

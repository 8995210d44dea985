"""Signatures over application steps: what a citizen signs when submitting and an officer when
deciding (RFC 8785 canonical JSON), how a signature is checked, and the signing of a submission."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from qyzmet.catalog.selectors import service_current, service_pinned
from qyzmet.core.problem import Problem, not_found, validation
from qyzmet.signatures.canonical import payload_canonical, payload_hash
from qyzmet.signatures.selectors import signature_request_get, signed_payload_for_request
from qyzmet.signatures.services import signature_request_create

from .. import errors
from ..evidence import Evidence, evidence_changed, evidence_read
from ..models import Application, ApplicationEvent
from ..payment_step import fee_quotable_check
from .common import DECISION_KIND, SUBMISSION_KIND, _check_applicant_kind, _require_object, _today

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
        current = service_current(code=service_code)
        if current is None:
            raise not_found("service")
        service = current
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

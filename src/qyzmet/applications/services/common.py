"""What every application command shares: the roles and signature kinds, the history, audit
and event rows, the registry read of a case, and the way into the workflow."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from qyzmet.audit.services import Kind, audit_record
from qyzmet.core.calendar import calendar_default
from qyzmet.core.clean_text import json_faults
from qyzmet.core.events import event_publish
from qyzmet.core.problem import FieldError, validation
from qyzmet.identity.selectors import user_roles

from .. import errors
from ..evidence import Evidence, evidence_read
from ..models import Application, ApplicationEvent

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


def _require_object(data: Any) -> None:
    """Form data is an object of text the database can store (checked before anything is)."""
    if not isinstance(data, dict):
        raise validation([FieldError("/", "The form data must be an object.")])
    faults = json_faults(data)
    if faults:
        raise errors.text_invalid([pointer for pointer, _fault in faults])


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


def _staff_role(actor, application: Application) -> str:
    roles = user_roles(user=actor).get(application.agency_code, set())
    return sorted(roles)[0] if roles else ""


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

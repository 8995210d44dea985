"""Acting on a case: the workflow's steps by role, officers' signed decisions, withdrawal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from qyzmet.audit.services import Kind, audit_record
from qyzmet.catalog.selectors import service_pinned
from qyzmet.core.calendar import calendar_default
from qyzmet.core.events import event_publish
from qyzmet.core.problem import not_found
from qyzmet.signatures.services import signature_request_create

from .. import errors
from ..models import Application, ApplicationEvent
from .common import (
    APPLICANT_ROLE,
    DECISION_KIND,
    OUTSIDE_WORKFLOW,
    _actor_role,
    _can_see,
    _event_payload,
    _history,
    _today,
)
from .signing import _decision_purpose, _signature_check, _signed_payload, decision_payload


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
        from ..selectors import withdraw_action, withdrawal_fee

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
        # The clock was running, so the case has a deadline (set when it entered the workflow).
        assert application.due_date is not None
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
    from ..payment_step import application_withdraw_unpaid
    from ..selectors import withdraw_action

    if not _can_see(actor=actor, application=application):
        raise not_found("application")
    workflow = service_pinned(version_id=application.service_version_id).package.workflow
    allowed = withdraw_action(workflow)
    step = workflow.action(action)
    if step is None or action != allowed or actor.pk != application.applicant_id:
        raise errors.action_not_allowed(action, application.state)
    return application_withdraw_unpaid(
        application, actor=actor, action=action, to_state=step.to,
        reason=(reason or "").strip(),
    )  # fmt: skip

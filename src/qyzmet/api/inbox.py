"""The officer's inbox and case actions. Only cases of the officer's own agencies exist here."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Status

from qyzmet.applications import selectors, services
from qyzmet.core.problem import forbidden
from qyzmet.identity.auth import USER_AUTH

from .applications import submission_signature
from .fields import CODE_MAX, CURSOR_MAX, LIMIT_DESCRIPTION, ObjectId
from .responses import problems
from .schemas import (
    ActionIn,
    ApplicationOut,
    DecisionSignIn,
    HistoryOut,
    InboxPage,
    SignatureRequestOut,
    application_out,
    signature_request_out,
)

router = Router(tags=["inbox"], auth=USER_AUTH)
Action = Annotated[str, Path(max_length=CODE_MAX, description="A workflow action, e.g. `approve`")]


def _require_officer(request: HttpRequest) -> None:
    if not selectors.officer_agencies(user=request.user):
        raise forbidden("Only agency officers have an inbox.")


def _case_out(request: HttpRequest, application, **extra) -> dict:
    """A case as an officer sees it: what they may do now and the registry data it lacks."""
    return application_out(
        application, result_url=None,
        actions=selectors.available_actions(user=request.user, application=application),
        missing=selectors.evidence_missing(application=application), **extra,
    )  # fmt: skip


@router.get(
    "",
    response={200: InboxPage, **problems(403)},
    summary="Cases of my agencies, earliest deadline first",
)
def inbox(
    request: HttpRequest,
    state: str | None = Query(None, max_length=CODE_MAX),
    service_code: str | None = Query(None, max_length=CODE_MAX),
    overdue: bool | None = None,
    status: str = Query("open", max_length=CODE_MAX),
    cursor: str | None = Query(None, max_length=CURSOR_MAX),
    limit: int = Query(25, description=LIMIT_DESCRIPTION),
):
    _require_officer(request)
    page = selectors.inbox_list(
        user=request.user,
        state=state,
        service_code=service_code,
        overdue=overdue,
        status=status,
        cursor=cursor,
        limit=limit,
    )
    today = timezone.localdate()
    return {
        "items": [
            {
                "id": a.pk,
                "number": a.number,
                "service_code": a.service_code,
                "state": a.state,
                "applicant_name": a.applicant.full_name,
                "submitted_at": a.submitted_at,
                "due_date": a.due_date,
                "overdue": bool(a.is_open and a.due_date and a.due_date < today),
                "paused": a.paused_at is not None,
            }
            for a in page.items
        ],
        "next_cursor": page.next_cursor,
    }


@router.get(
    "/{application_id}", response={200: ApplicationOut, **problems(403, 404)}, summary="Open a case"
)
def inbox_case(request: HttpRequest, application_id: ObjectId):
    _require_officer(request)
    application = selectors.application_get_for_officer(
        user=request.user, application_id=application_id
    )
    return _case_out(request, application, signature=submission_signature(application))


@router.get(
    "/{application_id}/history",
    response={200: list[HistoryOut], **problems(403, 404)},
    summary="Case history",
)
def inbox_case_history(request: HttpRequest, application_id: ObjectId):
    _require_officer(request)
    selectors.application_get_for_officer(
        user=request.user, application_id=application_id, purpose="reading case history"
    )
    return selectors.application_history(application_id=application_id)


@router.post(
    "/{application_id}/actions/{action}/sign",
    response={201: SignatureRequestOut, **problems(403, 404, 409)},
    summary="Sign a decision",
)
def inbox_action_sign(
    request: HttpRequest, application_id: ObjectId, action: Action, payload: DecisionSignIn
):
    """Step 1 of a signed decision: the same checks as the action, then a signature request
    over the RFC 8785 form of `{"kind": "qyzmet.application.decision/1", "application":
    number, "action", "reason", "officer": IIN, "agency": code}` (and, for a refusal, `"ground"`:
    the code of the refusal ground) with the officer's certificate for the agency. Nothing
    changes until the action is taken with `signature_request_id`."""
    _require_officer(request)
    sig_request = services.application_decision_sign(
        actor=request.user, application_id=application_id, action=action, reason=payload.reason,
        ground=payload.ground,
    )
    return Status(201, signature_request_out(sig_request))


@router.post(
    "/{application_id}/actions/{action}",
    response={200: ApplicationOut, **problems(403, 404, 409)},
    summary="Act on a case",
)
def inbox_action(
    request: HttpRequest, application_id: ObjectId, action: Action, payload: ActionIn
):
    """Take a workflow action (take, request_info, approve, refuse, ...). 409 when the state does
    not allow it, 403 when the officer's role does not. A refusal names its `ground` (one of the
    service version's refusal grounds; 422 naming `/ground` when missing or unknown). A decision
    that ends the case may carry `signature_request_id` (a confirmed `…/sign` request over
    exactly this action, reason and ground); where the platform requires signed decisions, it
    must."""
    _require_officer(request)
    application = services.application_act(
        actor=request.user,
        application_id=application_id,
        action=action,
        reason=payload.reason,
        ground=payload.ground,
        signature_request_id=payload.signature_request_id,
    )
    return _case_out(request, application)


@router.post(
    "/{application_id}/evidence/refetch",
    response={200: ApplicationOut, **problems(403, 404, 409)},
    summary="Ask the registries again for missing data",
)
def inbox_evidence_refetch(request: HttpRequest, application_id: ObjectId):
    """For a case that came in without some registry data (`evidence_missing`): read those
    items again through the exchange gateway, as this officer. What arrives joins `evidence`;
    what is still missing stays in `evidence_missing` with the new reason. 409 when nothing is
    missing or the case is closed."""
    _require_officer(request)
    selectors.application_get_for_officer(
        user=request.user, application_id=application_id,
        purpose=f"fetching registry data for application {application_id}",
    )  # fmt: skip
    application = services.application_evidence_refetch(
        actor=request.user, application_id=application_id
    ).application
    return _case_out(request, application)

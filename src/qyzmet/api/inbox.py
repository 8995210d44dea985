"""The officer's inbox and case actions. Only cases of the officer's own agencies exist here."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from qyzmet.applications import selectors, services
from qyzmet.core.problem import forbidden
from qyzmet.identity.auth import USER_AUTH

from .schemas import ActionIn, ApplicationOut, HistoryOut, InboxPage, application_out

router = Router(tags=["inbox"], auth=USER_AUTH)


def _require_officer(request: HttpRequest) -> None:
    if not selectors.officer_agencies(user=request.user):
        raise forbidden("Only agency officers have an inbox.")


@router.get("", response=InboxPage, summary="Cases of my agencies, earliest deadline first")
def inbox(
    request: HttpRequest,
    state: str | None = None,
    service_code: str | None = None,
    overdue: bool | None = None,
    status: str = "open",
    cursor: str | None = None,
    limit: int = 25,
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


@router.get("/{application_id}", response=ApplicationOut, summary="Open a case")
def inbox_case(request: HttpRequest, application_id: int):
    _require_officer(request)
    application = selectors.application_get_for_officer(
        user=request.user, application_id=application_id
    )
    actions = selectors.available_actions(user=request.user, application=application)
    return application_out(application, actions=actions, result_url=None)


@router.get("/{application_id}/history", response=list[HistoryOut], summary="Case history")
def inbox_case_history(request: HttpRequest, application_id: int):
    _require_officer(request)
    selectors.application_get_for_officer(
        user=request.user, application_id=application_id, purpose="reading case history"
    )
    return selectors.application_history(application_id=application_id)


@router.post("/{application_id}/actions/{action}", response=ApplicationOut, summary="Act on a case")
def inbox_action(request: HttpRequest, application_id: int, action: str, payload: ActionIn):
    """Take a workflow action (take, request_info, approve, refuse, ...). 409 when the state does
    not allow it, 403 when the officer's role does not."""
    _require_officer(request)
    application = services.application_act(
        actor=request.user, application_id=application_id, action=action, reason=payload.reason
    )
    actions = selectors.available_actions(user=request.user, application=application)
    return application_out(application, actions=actions, result_url=None)

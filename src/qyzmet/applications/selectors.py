"""Queries about applications. Object rules live here too: a citizen sees only their own
applications and an officer only their agencies' cases; anything else is 'not found'."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from qyzmet.audit.services import personal_data_read
from qyzmet.catalog.selectors import service_pinned
from qyzmet.core.problem import Problem, not_found
from qyzmet.identity.selectors import user_roles

from .models import Application, ApplicationEvent, Attachment

MAX_PAGE = 100
# What an inbox row shows; the form data and evidence stay on disk until the case is opened.
INBOX_COLUMNS = (
    "id", "service_version_id", "service_code", "agency_code", "state", "outcome", "is_open",
    "submitted_at", "due_date", "paused_at", "applicant_iin", "applicant__id",
    "applicant__full_name", "applicant__iin",
)


@dataclass(frozen=True)
class Page:
    items: list[Application]
    next_cursor: str | None


def _encode(payload: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(value, dict):
            raise ValueError
        return value
    except (ValueError, json.JSONDecodeError) as exc:
        raise Problem(400, "invalid_cursor", "Invalid cursor", "The cursor is malformed.") from exc


def _limit(limit: int) -> int:
    return max(1, min(int(limit), MAX_PAGE))


def application_list_for_citizen(*, user, cursor: str | None = None, limit: int = 20) -> Page:
    """The citizen's own applications, newest first, keyset-paginated on id."""
    limit = _limit(limit)
    qs = Application.objects.filter(applicant=user).order_by("-id")
    if cursor:
        qs = qs.filter(id__lt=int(_decode(cursor).get("id", 0)))
    rows = list(qs[: limit + 1])
    next_cursor = _encode({"id": rows[limit - 1].pk}) if len(rows) > limit else None
    return Page(rows[:limit], next_cursor)


def application_get_for_citizen(*, user, application_id: int) -> Application:
    application = Application.objects.filter(pk=application_id, applicant=user).first()
    if application is None:
        raise not_found("application")
    return application


def officer_agencies(*, user) -> set[str]:
    return {code for code, roles in user_roles(user=user).items() if roles & {"officer", "head"}}


def inbox_list(
    *,
    user,
    state: str | None = None,
    service_code: str | None = None,
    overdue: bool | None = None,
    status: str = "open",
    cursor: str | None = None,
    limit: int = 25,
) -> Page:
    """The officer's inbox: only their agencies' cases, earliest deadline first, keyset-paginated
    on (due_date, id) so page 1,000 costs what page 1 does."""
    limit = _limit(limit)
    agencies = sorted(officer_agencies(user=user))
    if not agencies:
        return Page([], None)
    qs: QuerySet[Application] = Application.objects.filter(agency_code__in=agencies).exclude(
        state=Application.DRAFT
    )
    if status == "open":
        qs = qs.filter(is_open=True)
    elif status == "closed":
        qs = qs.filter(is_open=False)
    if state:
        qs = qs.filter(state=state)
    if service_code:
        qs = qs.filter(service_code=service_code)
    today = timezone.localdate()
    if overdue is True:
        qs = qs.filter(is_open=True, due_date__lt=today)
    elif overdue is False:
        qs = qs.filter(Q(due_date__gte=today) | Q(is_open=False))
    if cursor:
        position = _decode(cursor)
        due = dt.date.fromisoformat(position["due"])
        # The redundant lower bound lets PostgreSQL start the index scan at the cursor instead
        # of walking (and discarding) every earlier case of the agency.
        qs = qs.filter(due_date__gte=due).filter(
            Q(due_date__gt=due) | Q(id__gt=int(position["id"]))
        )
    rows = list(
        qs.select_related("applicant")
        .only(*INBOX_COLUMNS)
        .order_by("due_date", "id")[: limit + 1]
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = _encode({"due": last.due_date.isoformat(), "id": last.pk})
    return Page(rows[:limit], next_cursor)


def application_get_for_officer(*, user, application_id: int, purpose: str = "") -> Application:
    """An officer opens a case: allowed only for their agency's cases, and recorded as a read of
    the applicant's personal data."""
    application = (
        Application.objects.select_related("applicant", "assignee")
        .filter(pk=application_id, agency_code__in=officer_agencies(user=user))
        .exclude(state=Application.DRAFT)
        .first()
    )
    if application is None:
        raise not_found("application")
    personal_data_read(
        actor=user,
        subject_iin=application.applicant_iin,
        what="application",
        purpose=purpose or f"processing application {application.number}",
        data={"application_id": application.pk},
    )
    return application


def application_history(*, application_id: int) -> list[ApplicationEvent]:
    return list(
        ApplicationEvent.objects.filter(application_id=application_id)
        .select_related("actor")
        .order_by("id")
    )


def application_attachments(*, application_id: int) -> list[Attachment]:
    return list(
        Attachment.objects.filter(application_id=application_id)
        .defer("content")
        .order_by("id")
    )


def attachment_content(*, attachment_id: int, application_id: int) -> Attachment:
    attachment = Attachment.objects.filter(pk=attachment_id, application_id=application_id).first()
    if attachment is None:
        raise not_found("attachment")
    return attachment


def application_package(*, application: Application):
    """The package version this application is pinned to."""
    return service_pinned(version_id=application.service_version_id).package


def available_actions(*, user, application: Application) -> list[str]:
    """The workflow actions `user` may take on the application now (for buttons and the API)."""
    if application.state == Application.DRAFT or not application.is_open:
        return []
    workflow = application_package(application=application).workflow
    roles = set(user_roles(user=user).get(application.agency_code, set()))
    if user.pk == application.applicant_id:
        roles.add("applicant")
    return [a.name for a in workflow.actions_from(application.state) if roles & set(a.roles)]


def applications_count(*, agency_code: str | None = None) -> int:
    qs = Application.objects.all()
    if agency_code:
        qs = qs.filter(agency_code=agency_code)
    return qs.count()

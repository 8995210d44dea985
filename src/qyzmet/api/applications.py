"""The citizen's applications: create (idempotent), list, read, act, attach, download the result."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import File, Header, Path, Query, Router, Status
from ninja.files import UploadedFile

from qyzmet.applications import selectors, services
from qyzmet.core.problem import not_found
from qyzmet.documents.rendering import verify_url
from qyzmet.documents.selectors import document_for_source, document_pdf
from qyzmet.identity.auth import USER_AUTH
from qyzmet.ui.labels import evidence_waiting_notice

from .fields import CODE_MAX, CURSOR_MAX, LIMIT_DESCRIPTION, ObjectId
from .responses import problems
from .schemas import (
    ActionIn,
    ApplicationIn,
    ApplicationOut,
    ApplicationPage,
    AttachmentOut,
    DraftIn,
    DraftSubmitIn,
    HistoryOut,
    SignatureRequestOut,
    SignIn,
    application_out,
    signature_request_out,
)

router = Router(tags=["applications"], auth=USER_AUTH)
PDF_SCHEMA = {"type": "string", "format": "binary"}


def submission_signature(application) -> dict | None:
    """The submission's signature as the API shows it (None for unsigned submissions)."""
    info = selectors.submission_signature(application=application)
    return dataclasses.asdict(info) if info else None


def _out(request: HttpRequest, application) -> dict:
    result_url = verify = None
    if application.outcome == "approved":
        document = document_for_source(source_ref=f"application:{application.pk}")
        if document is not None:
            result_url = f"/api/v1/applications/{application.pk}/result"
            verify = verify_url(public_id=document.public_id)
    pending = selectors.evidence_pending(application=application)
    return application_out(
        application,
        actions=selectors.available_actions(user=request.user, application=application),
        result_url=result_url,
        verify_url=verify,
        signature=submission_signature(application),
        pending=pending,
        notice=evidence_waiting_notice(registries=[p.registry for p in pending])
        if pending
        else None,
        missing=selectors.evidence_missing(application=application),
        payment=selectors.application_payment(application=application),
    )


def _submitted_status(application, created: bool) -> int:
    """202 while the application waits for registry evidence or for its fee (accepted, not yet
    in the workflow), else 201 for a new application and 200 for a replayed Idempotency-Key."""
    if application.state in (application.AWAITING_EVIDENCE, application.AWAITING_PAYMENT):
        return 202
    return 201 if created else 200


@router.post(
    "/sign",
    response={201: SignatureRequestOut, **problems(403, 404, 409, 503)},
    summary="Sign a submission",
)
def application_sign(request: HttpRequest, payload: SignIn):
    """Step 1 of a signed submission: the form is validated, the registry facts read, and a
    signature request is made over the RFC 8785 form of `{"kind":
    "qyzmet.application.submission/1", "service", "version", "applicant", "data", "evidence"}`
    (returned as `canonical`); a code is texted. Confirm it at `confirm_url`, then submit the
    same data with `signature_request_id`. Nothing is saved as an application here."""
    sig_request = services.application_submission_sign(
        actor=request.user,
        service_code=payload.service_code,
        data=payload.data,
        draft_id=payload.draft_id,
    )
    return Status(201, signature_request_out(sig_request))


@router.post(
    "",
    response={
        200: ApplicationOut,
        201: ApplicationOut,
        202: ApplicationOut,
        **problems(403, 404, 409, 503),
    },
    summary="Apply for a service",
)
def application_create(
    request: HttpRequest,
    payload: ApplicationIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=100),
):
    """Submit (or, with `draft: true`, save) an application. Send an `Idempotency-Key` header: a
    retry with the same key returns the first application (200) instead of making another.

    With `signature_request_id` (from `POST /applications/sign`, confirmed) the submission is
    signed: it is accepted only if the signature covers exactly what is submitted, and the
    application carries the registry facts as signed (no registry is read again). A signature
    older than the platform's evidence freshness (15 minutes by default) has its facts read
    again; if one changed the answer is 409 `evidence_changed` (`changed` names the facts):
    nothing is saved, sign again. Where the platform requires signed submissions, a submission
    without it is refused (422).

    When a registry does not answer, the application is still saved and the answer is 202: its
    `state` is `awaiting_evidence`, `evidence_pending` names the facts not read yet and
    `notice` says so in words; the platform retries by itself and the application enters its
    workflow when the facts arrive.

    A service with a fee (`fee.amount` above 0 after any exemption) answers 202 too: `state` is
    `awaiting_payment` and `payment` names the payment to make (`public_id`, `reference`,
    `expires_at`); the workflow starts, and the legal deadline runs, from the day it is paid.
    Unpaid by `expires_at`, the application lapses (`state` `lapsed`)."""
    if payload.draft:
        application = services.application_draft_save(
            actor=request.user,
            service_code=payload.service_code,
            data=payload.data,
            language=payload.language,
        )
        return Status(201, _out(request, application))
    application, created = services.application_submit(
        actor=request.user,
        service_code=payload.service_code,
        data=payload.data,
        idempotency_key=idempotency_key,
        language=payload.language,
        signature_request_id=payload.signature_request_id,
    )
    return Status(_submitted_status(application, created), _out(request, application))


@router.get("", response=ApplicationPage, summary="My applications")
def application_list(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=CURSOR_MAX),
    limit: int = Query(20, description=LIMIT_DESCRIPTION),
):
    page = selectors.application_list_for_citizen(user=request.user, cursor=cursor, limit=limit)
    return {
        "items": [
            {
                "id": a.pk,
                "number": a.number,
                "service_code": a.service_code,
                "state": a.state,
                "outcome": a.outcome,
                "submitted_at": a.submitted_at,
                "due_date": a.due_date,
            }
            for a in page.items
        ],
        "next_cursor": page.next_cursor,
    }


@router.get(
    "/{application_id}",
    response={200: ApplicationOut, **problems(404)},
    summary="One of my applications",
)
def application_read(request: HttpRequest, application_id: ObjectId):
    application = selectors.application_get_for_citizen(
        user=request.user, application_id=application_id
    )
    return _out(request, application)


@router.put(
    "/{application_id}/draft",
    response={200: ApplicationOut, **problems(404, 409)},
    summary="Update a draft",
)
def application_draft_update(request: HttpRequest, application_id: ObjectId, payload: DraftIn):
    application = services.application_draft_save(
        actor=request.user, service_code="", data=payload.data, application_id=application_id
    )
    return _out(request, application)


@router.post(
    "/{application_id}/submit",
    response={200: ApplicationOut, 202: ApplicationOut, **problems(403, 404, 409, 503)},
    summary="Submit a draft",
)
def application_draft_submit(
    request: HttpRequest, application_id: ObjectId, payload: DraftSubmitIn
):
    """Submit a draft; sign it first with `POST /applications/sign` and `draft_id`. 202 when a
    registry did not answer and the application waits for its evidence (see `POST
    /applications`)."""
    draft = selectors.application_get_for_citizen(user=request.user, application_id=application_id)
    application, _ = services.application_submit(
        actor=request.user,
        service_code=draft.service_code,
        data=payload.data,
        draft_id=draft.pk,
        language=draft.language,
        signature_request_id=payload.signature_request_id,
    )
    return Status(
        202
        if application.state in (application.AWAITING_EVIDENCE, application.AWAITING_PAYMENT)
        else 200,
        _out(request, application),
    )


@router.get(
    "/{application_id}/history",
    response={200: list[HistoryOut], **problems(404)},
    summary="Status history",
)
def application_history(request: HttpRequest, application_id: ObjectId):
    selectors.application_get_for_citizen(user=request.user, application_id=application_id)
    return selectors.application_history(application_id=application_id)


@router.post(
    "/{application_id}/actions/{action}",
    response={200: ApplicationOut, **problems(403, 404, 409)},
    summary="Take an action",
)
def application_action(
    request: HttpRequest,
    application_id: ObjectId,
    action: Annotated[str, Path(max_length=CODE_MAX)],
    payload: ActionIn,
):
    """The applicant's workflow actions, e.g. `provide_info` after a request for information."""
    selectors.application_get_for_citizen(user=request.user, application_id=application_id)
    application = services.application_act(
        actor=request.user, application_id=application_id, action=action, reason=payload.reason
    )
    return _out(request, application)


@router.post(
    "/{application_id}/attachments",
    response={201: AttachmentOut, **problems(404, 409, 413, 415)},
    summary="Attach a file",
)
def application_attach(
    request: HttpRequest,
    application_id: ObjectId,
    file: UploadedFile = File(...),  # noqa: B008  (ninja's way of declaring a file part)
):
    """PDF, JPEG or PNG up to the configured limit; the type is read from the content."""
    attachment = services.attachment_add(
        actor=request.user,
        application_id=application_id,
        filename=file.name or "upload",
        content=file.read(),
    )
    return Status(201, attachment)


@router.get(
    "/{application_id}/result",
    response={200: None, **problems(404)},
    summary="Download the result document (PDF)",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {"schema": PDF_SCHEMA}}}}},
)
def application_result(request: HttpRequest, application_id: ObjectId):
    application = selectors.application_get_for_citizen(
        user=request.user, application_id=application_id
    )
    document = document_for_source(source_ref=f"application:{application.pk}")
    if document is None:
        raise not_found("result document")
    pdf = document_pdf(public_id=document.public_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.number}.pdf"'
    return response

"""The finance desk's API: payments with the desk's filters and keyset cursor, one payment with
its attempts, refunds, notices and statement lines, refunds (asked for with an Idempotency-Key,
approved or rejected by a second officer), bank statements (camt.053 upload and list) and the
daily reconciliation.

Who: the same people as the desk (`payments.finance.desk_scope`): a finance officer sees their
agencies' payments and refunds only, a treasurer or staff every agency's; bank statements and the
reconciliation (the platform's one account, every agency's money) are the treasury's alone: an
agency's finance officer gets 403 there. Anyone else signed in gets 403; a payment outside one's
scope is 404 (not told apart from absent). Authentication: a bearer token or the portal's
session."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Header, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from qyzmet.core.input_guard import too_large
from qyzmet.core.problem import FieldError, Problem, forbidden, validation
from qyzmet.identity.auth import USER_AUTH
from qyzmet.payments import camt053, finance, services, statements

from .fields import CODE_MAX, CURSOR_MAX, LIMIT_DESCRIPTION, TEXT_MAX
from .responses import problems

router = Router(tags=["payments"], auth=USER_AUTH)
refunds_router = Router(tags=["payments"], auth=USER_AUTH)

PublicId = Annotated[uuid.UUID, Path(description="The payment's public id")]
RefundId = Annotated[uuid.UUID, Path(description="The refund's public id")]


def _scope(request: HttpRequest) -> finance.DeskScope:
    scope = finance.desk_scope(user=request.user)
    if scope is None:
        raise forbidden("Only finance officers use the payments API.")
    return scope


def _platform(request: HttpRequest) -> finance.DeskScope:
    scope = _scope(request)
    if not scope.platform:
        raise forbidden(
            "Bank statements and the reconciliation hold every agency's money: they are the "
            "platform treasury's."
        )
    return scope


# --- schemas --------------------------------------------------------------------------------


class PaymentItem(Schema):
    public_id: str
    reference: str = Field(description="The invoice number (digits with check digits)")
    source_ref: str = Field(description="What the fee is for, e.g. `application:42`")
    agency_code: str
    service_code: str
    amount: int = Field(description="Due, in minor units (tiyn)")
    currency: str
    state: str = Field(description=f"One of {', '.join(finance.PAYMENT_STATES)}")
    amount_paid: int
    amount_refunded: int
    paid_via: str = Field(description="The provider that was paid through ('' while unpaid)")
    created_at: dt.datetime
    paid_at: dt.datetime | None


class PaymentPage(Schema):
    items: list[PaymentItem]
    next_cursor: str | None


class AttemptOut(Schema):
    provider: str
    state: str
    amount: int
    currency: str
    failure_code: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


class RefundOut(Schema):
    public_id: str
    payment_public_id: str
    kind: str = Field(description="fee, or double (money paid twice, returned automatically)")
    amount: int
    reason: str
    state: str = Field(description=f"One of {', '.join(finance.REFUND_STATES)}")
    requested_by_id: int | None
    approved_by_id: int | None
    decision_note: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


class WebhookOut(Schema):
    provider: str
    event_id: str
    state: str
    error: str
    received_at: dt.datetime


class LineOut(Schema):
    id: int
    statement_id: int
    line_ref: str
    booked_on: dt.date
    amount: int = Field(description="Minor units; above 0 money in, below 0 money out")
    currency: str
    reference_text: str
    state: str = Field(description=f"One of {', '.join(finance.LINE_STATES)}")
    note: str
    payment_reference: str


class PaymentOut(PaymentItem):
    amount_before_exemption: int | None
    expires_at: dt.datetime
    receipt_document_id: str
    refundable: int = Field(description="What may still be refunded, minor units")
    attempts: list[AttemptOut]
    refunds: list[RefundOut]
    webhooks: list[WebhookOut]
    statement_lines: list[LineOut]


class RefundIn(Schema):
    amount: int = Field(gt=0, description="Minor units (tiyn); at most `refundable`")
    reason: str = Field(min_length=1, max_length=TEXT_MAX)


class RejectIn(Schema):
    note: str = Field(min_length=1, max_length=TEXT_MAX)


class StatementOut(Schema):
    id: int
    filename: str
    message_id: str
    statement_id: str
    account_iban: str
    created_on: dt.datetime | None
    imported_at: dt.datetime
    lines: int
    open: int = Field(description="Lines waiting for a person")
    matched: int


class StatementPage(Schema):
    items: list[StatementOut]
    next_cursor: str | None


class ImportOut(Schema):
    statement: StatementOut
    created: bool = Field(description="False: this file was imported before; nothing changed")
    counts: dict[str, int] = Field(description="Lines per state")
    not_booked: int
    summary: str
    lines: list[LineOut]


class ReconciliationOut(Schema):
    day: dt.date
    ran_at: dt.datetime
    summary: dict[str, Any]
    mismatches: list[dict[str, Any]] = Field(
        description="kind: missing_on_platform, missing_at_provider, amount_differs, "
        "paid_twice, recovered or provider_unavailable, with the provider and references"
    )


def _item(p: finance.PaymentRow | Any) -> dict[str, Any]:
    return {k: getattr(p, k) for k in PaymentItem.model_fields}


def _refund(r, payment_public_id: str) -> dict[str, Any]:
    return {**{k: getattr(r, k) for k in RefundOut.model_fields if k != "payment_public_id"},
            "payment_public_id": payment_public_id}  # fmt: skip


def _line(line: finance.LineRow) -> dict[str, Any]:
    return {k: getattr(line, k) for k in LineOut.model_fields}


def _statement(row: finance.StatementRow) -> dict[str, Any]:
    return {k: getattr(row, k) for k in StatementOut.model_fields}


def _payment_out(detail: finance.PaymentDetail) -> dict[str, Any]:
    p = detail.payment
    return {
        **_item(p),
        "amount_before_exemption": p.amount_before_exemption,
        "expires_at": p.expires_at,
        "receipt_document_id": p.receipt_document_id,
        "refundable": p.refundable,
        "attempts": [{k: getattr(a, k) for k in AttemptOut.model_fields} for a in p.attempts],
        "refunds": [_refund(r, p.public_id) for r in p.refunds],
        "webhooks": [
            {k: getattr(w, k) for k in WebhookOut.model_fields} for w in detail.webhooks
        ],
        "statement_lines": [_line(line) for line in detail.lines],
    }


# --- payments -------------------------------------------------------------------------------


@router.get("", response={200: PaymentPage, **problems(403)}, summary="Payments")
def payments_list(
    request: HttpRequest,
    state: str = Query("", max_length=CODE_MAX),
    agency: str = Query("", max_length=CODE_MAX, description="An agency code (within scope)"),
    service: str = Query("", max_length=CODE_MAX),
    provider: str = Query("", max_length=CODE_MAX, description="Paid through this provider"),
    created_from: Annotated[dt.date | None, Query(description="Created on or after")] = None,
    created_to: Annotated[dt.date | None, Query(description="Created on or before")] = None,
    q: str = Query("", max_length=80, description="Invoice number, QZ- number or public id"),
    cursor: str | None = Query(None, max_length=CURSOR_MAX),
    limit: int = Query(25, description=LIMIT_DESCRIPTION),
):
    """The payments of the caller's agencies (every agency's for a treasurer), newest first,
    with the desk's filters; `next_cursor` fetches the next page (keyset, not offset)."""
    scope = _scope(request)
    filters = finance.PaymentFilters(
        state=state, agency=agency, service=service, provider=provider,
        created_from=created_from, created_to=created_to, q=q,
    )  # fmt: skip
    page = finance.payments_search(scope=scope, filters=filters, cursor=cursor, limit=limit)
    return {"items": [_item(p) for p in page.items], "next_cursor": page.next_cursor}


# Literal paths before `/{public_id}`: the statements and the reconciliation.


@router.get(
    "/statements", response={200: StatementPage, **problems(403)}, summary="Bank statements"
)
def statements_list(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=CURSOR_MAX),
    limit: int = Query(25, description=LIMIT_DESCRIPTION),
):
    """Imported camt.053 statements, newest first, with their lines counted by outcome."""
    _platform(request)
    page = finance.statements_list(cursor=cursor, limit=limit)
    return {"items": [_statement(s) for s in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/statements",
    response={200: ImportOut, 201: ImportOut, **problems(403, 413, 422)},
    summary="Import a bank statement (camt.053)",
)
def statement_upload(
    request: HttpRequest,
    file: UploadedFile = File(..., description="One ISO 20022 camt.053 statement (XML)"),  # noqa: B008
):
    """Import the bank's statement of the platform's account: every credit line is matched to
    an invoice (number with check digits, amount and currency) or left for a person with the
    reason. 201 for a new statement, 200 for a file imported before (nothing changes). A file
    that is not a valid statement — malformed or hostile XML, a DTD, a wrong namespace, a bad
    amount — is 422 with one `errors` entry per problem, its `pointer` the element's path
    (e.g. `/Document/BkToCstmrStmt/Stmt/Ntry[2]/Amt`) and `problems` giving code and line;
    nothing is stored. Larger than the limit: 413."""
    scope = _platform(request)
    if not scope.may_import:
        raise forbidden("Only the platform's treasury imports bank statements.")
    if file.size is not None and file.size > camt053.MAX_BYTES:
        raise too_large(file.size, camt053.MAX_BYTES)
    content = file.read(camt053.MAX_BYTES + 1)
    if len(content) > camt053.MAX_BYTES:
        raise too_large(len(content), camt053.MAX_BYTES)
    result = statements.statement_import(actor=request.user, filename=file.name or "",
                                         content=content)  # fmt: skip
    row, lines = finance.statement_get(statement_id=result.statement_id)
    body = {
        "statement": _statement(row), "created": result.created, "counts": result.counts,
        "not_booked": result.not_booked, "summary": result.summary,
        "lines": [_line(line) for line in lines],
    }  # fmt: skip
    return Status(201 if result.created else 200, body)


@router.get(
    "/reconciliation/{day}",
    response={200: ReconciliationOut, **problems(403, 404)},
    summary="The daily reconciliation of one day",
)
def reconciliation_get(request: HttpRequest, day: dt.date):
    """The stored reconciliation of `day` (the platform runs yesterday's every hour): figures
    per provider and the mismatches a person must look at. 404 when the day was not run."""
    _platform(request)
    run = finance.reconciliation_get(day=day)
    if run is None:
        raise Problem(404, "not_found", "Not found", "This day has not been reconciled.")
    return {"day": run.day, "ran_at": run.ran_at, "summary": run.summary,
            "mismatches": list(run.mismatches)}  # fmt: skip


@router.get(
    "/{public_id}", response={200: PaymentOut, **problems(403, 404)}, summary="One payment"
)
def payment_get(request: HttpRequest, public_id: PublicId):
    """A payment with its attempts, refunds, the provider's notices about it and the bank
    statement lines that name it."""
    return _payment_out(finance.payment_detail(scope=_scope(request), public_id=public_id))


@router.post(
    "/{public_id}/refunds",
    response={200: RefundOut, 201: RefundOut, **problems(403, 404, 409)},
    summary="Ask for a refund",
)
def refund_create(
    request: HttpRequest,
    public_id: PublicId,
    payload: RefundIn,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", max_length=60, description="Required; any unique text"
    ),
):
    """Refund all or part of a paid fee (finance officer of the payment's agency). Above the
    four-eyes threshold the refund is `awaiting_approval` until another officer approves it;
    below, it is sent at once. The `Idempotency-Key` header is required: the same key again
    returns the first refund (200), never a second one; with a different amount, 409."""
    scope = _scope(request)
    finance.payment_detail(scope=scope, public_id=public_id)  # 404 outside the scope
    if not (idempotency_key or "").strip():
        raise validation([FieldError("/headers/Idempotency-Key", "is required")])
    started = timezone.now()
    refund = services.refund_request(
        actor=request.user, payment_public_id=public_id, amount=payload.amount,
        reason=payload.reason, idempotency_key=f"api:{idempotency_key}",
    )  # fmt: skip
    row = finance.refund_for_desk(scope=scope, refund_public_id=refund.public_id)
    status = 200 if row.refund.created_at < started else 201
    return Status(status, _refund(row.refund, row.payment_public_id))


@refunds_router.post(
    "/{refund_id}/approve",
    response={200: RefundOut, **problems(403, 404, 409)},
    summary="Approve a refund (four eyes)",
)
def refund_approve(request: HttpRequest, refund_id: RefundId):
    """A second finance officer of the payment's agency approves; the refund is sent. The
    officer who asked for it gets 403 `refund_four_eyes`; a decided refund, 409."""
    scope = _scope(request)
    finance.refund_for_desk(scope=scope, refund_public_id=refund_id)
    services.refund_approve(actor=request.user, refund_public_id=refund_id)
    row = finance.refund_for_desk(scope=scope, refund_public_id=refund_id)
    return _refund(row.refund, row.payment_public_id)


@refunds_router.post(
    "/{refund_id}/reject",
    response={200: RefundOut, **problems(403, 404, 409)},
    summary="Reject a refund",
)
def refund_reject(request: HttpRequest, refund_id: RefundId, payload: RejectIn):
    """The approver says no, with a note the requester and the citizen read."""
    scope = _scope(request)
    finance.refund_for_desk(scope=scope, refund_public_id=refund_id)
    services.refund_reject(actor=request.user, refund_public_id=refund_id, note=payload.note)
    row = finance.refund_for_desk(scope=scope, refund_public_id=refund_id)
    return _refund(row.refund, row.payment_public_id)

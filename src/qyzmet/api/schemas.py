"""Typed shapes shared by the application and inbox endpoints."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.utils import translation
from ninja import Schema
from pydantic import Field

from qyzmet.applications import selectors
from qyzmet.catalog.package import lang_normalise

from .fields import ObjectId


def _signature_id() -> Any:
    return Field(
        None,
        max_length=32,
        description="A confirmed signature request over exactly this step (see the `…/sign` "
        "endpoints and /api/v1/signatures/requests/{id}/confirm)",
    )


class ApplicationIn(Schema):
    service_code: str = Field(min_length=1, max_length=100)
    data: dict[str, Any]
    language: str = Field("kk", max_length=2, pattern="^(kk|ru|en)$")
    draft: bool = False
    signature_request_id: str | None = _signature_id()


class DraftIn(Schema):
    data: dict[str, Any]


class DraftSubmitIn(Schema):
    data: dict[str, Any]
    signature_request_id: str | None = _signature_id()


class SignIn(Schema):
    service_code: str = Field("", max_length=100)
    data: dict[str, Any]
    draft_id: ObjectId | None = Field(None, description="Sign the submission of this draft")


def _ground() -> Any:
    return Field(
        "",
        max_length=60,
        description="For an action that refuses: the code of one of the service's refusal "
        "grounds (the package's `refusal_grounds`; the catalogue shows them). Required when the "
        "application's service version lists grounds (422 naming `/ground` when missing or "
        "unknown); ignored for other actions",
    )


class DecisionSignIn(Schema):
    reason: str = Field("", max_length=5000)
    ground: str = _ground()


class SignatureRequestOut(Schema):
    signature_request_id: str
    sha256: str
    canonical: str = Field(description="Exactly what is signed: RFC 8785 JSON, UTF-8")
    expires_at: dt.datetime
    confirm_url: str


class ActionIn(Schema):
    reason: str = Field("", max_length=5000)
    ground: str = _ground()
    signature_request_id: str | None = _signature_id()


class SignatureOut(Schema):
    request_id: str
    sha256: str
    signer_name: str
    signer_iin: str
    organisation_code: str
    certificate_serial: str
    signed_at: dt.datetime
    certificate_revoked: bool


class HistoryOut(Schema):
    at: dt.datetime
    action: str
    from_state: str
    to_state: str
    actor_role: str
    reason: str
    ground: str = Field("", description="A refusal's ground code (\"\" for other steps)")


class PendingEvidenceOut(Schema):
    name: str = Field(description="The evidence item of the service package")
    registry: str
    fact: str


class MissingEvidenceOut(Schema):
    name: str = Field(description="The evidence item of the service package")
    registry: str
    fact: str
    code: str = Field(
        description="Why it is missing: the registry's error code, e.g. "
        "`registry.subject_not_found`, or `registry.unavailable` when it did not answer in time"
    )
    detail: str = Field(description="What the registry or the gateway said")


class FeeExemptionOut(Schema):
    code: str = Field(description="The exemption's stable code, e.g. `pensioner`")
    label: dict[str, str] = Field(description="The exemption in words: {kk, ru, en}")


class ApplicationFeeOut(Schema):
    amount: int = Field(description="What the applicant pays, in minor units (tiyn)")
    currency: str
    amount_before_exemption: int = Field(description="The full fee, in minor units")
    exemption: FeeExemptionOut | None = Field(None, description="The exemption that applied")


class ApplicationPaymentOut(Schema):
    public_id: str = Field(description="The payment's public id (`/my/payments/{public_id}/`)")
    state: str = Field(
        description="awaiting, paid, expired, cancelled, refunded or partially_refunded"
    )
    reference: str = Field(description="The invoice number to quote when paying at a bank")
    amount: int = Field(description="Due, in minor units (tiyn)")
    currency: str
    amount_paid: int
    amount_refunded: int
    expires_at: dt.datetime = Field(description="Unpaid by then, the application lapses")
    paid_at: dt.datetime | None


class DecisionGroundOut(Schema):
    code: str = Field(description="The ground's code in the service package")
    label: str = Field(description="The ground in words, in the request's language")
    legal_basis: str = Field(description="The law it rests on, in the request's language")


class ApplicationOut(Schema):
    id: int
    number: str
    service_code: str
    service_version_id: int
    agency_code: str
    state: str
    outcome: str
    is_open: bool
    language: str
    data: dict[str, Any]
    evidence: dict[str, Any]
    submitted_at: dt.datetime | None
    due_date: dt.date | None
    decided_at: dt.datetime | None
    decision_reason: str
    decision_ground: DecisionGroundOut | None = Field(
        None,
        description="A refused application's ground for refusal; null for other outcomes and "
        "for refusals made before the service had grounds (ground not recorded)",
    )
    actions: list[str] = []
    result_url: str | None = None
    verify_url: str | None = None
    submission_signature: SignatureOut | None = None
    evidence_pending: list[PendingEvidenceOut] = Field(
        [],
        description="In state `awaiting_evidence`: the registry facts not read yet (a "
        "registry did not answer); they are retried automatically",
    )
    evidence_retry_at: dt.datetime | None = Field(
        None, description="When the next automatic attempt is due"
    )
    evidence_attempts: int = Field(0, description="Automatic attempts that failed so far")
    evidence_missing: list[MissingEvidenceOut] = Field(
        [],
        description="Registry facts the application went to the agency without (the registry "
        "refused for good, or did not answer within the waiting limit); the officer decides "
        "and may ask the applicant for a document",
    )
    notice: str | None = Field(
        None, description="What the citizen is told about the state, in the request's language"
    )
    fee: ApplicationFeeOut | None = Field(
        None,
        description="The fee quoted when the application was complete (with the exemption "
        "that applied); null before that",
    )
    payment: ApplicationPaymentOut | None = Field(
        None,
        description="In state `awaiting_payment` and after: the payment asked for the fee; null "
        "when nothing was due",
    )


class ApplicationSummary(Schema):
    id: int
    number: str
    service_code: str
    state: str
    outcome: str
    submitted_at: dt.datetime | None
    due_date: dt.date | None


class ApplicationPage(Schema):
    items: list[ApplicationSummary]
    next_cursor: str | None


class InboxItem(Schema):
    id: int
    number: str
    service_code: str
    state: str
    applicant_name: str
    submitted_at: dt.datetime | None
    due_date: dt.date | None
    overdue: bool
    paused: bool


class InboxPage(Schema):
    items: list[InboxItem]
    next_cursor: str | None


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


def signature_request_out(sig_request) -> dict:
    return {
        "signature_request_id": sig_request.id,
        "sha256": sig_request.sha256,
        "canonical": bytes(sig_request.canonical).decode(),
        "expires_at": sig_request.expires_at,
        "confirm_url": f"/api/v1/signatures/requests/{sig_request.id}/confirm",
    }


def _decision_ground(application) -> dict | None:
    found = selectors.decision_ground(
        application=application, lang=lang_normalise(translation.get_language())
    )
    return dataclasses.asdict(found) if found else None


def application_out(
    application,
    *,
    actions: list[str],
    result_url: str | None,
    verify_url: str | None = None,
    signature=None,
    pending: list | None = None,
    notice: str | None = None,
    missing: list | None = None,
    payment=None,
) -> dict:
    waiting = bool(pending)
    return {
        "id": application.pk,
        "number": application.number,
        "service_code": application.service_code,
        "service_version_id": application.service_version_id,
        "agency_code": application.agency_code,
        "state": application.state,
        "outcome": application.outcome,
        "is_open": application.is_open,
        "language": application.language,
        "data": application.data,
        "evidence": application.evidence,
        "submitted_at": application.submitted_at,
        "due_date": application.due_date,
        "decided_at": application.decided_at,
        "decision_reason": application.decision_reason,
        "decision_ground": _decision_ground(application),
        "actions": actions,
        "result_url": result_url,
        "verify_url": verify_url,
        "submission_signature": signature,
        "evidence_pending": [
            {"name": p.name, "registry": p.registry, "fact": p.fact} for p in pending or []
        ],
        "evidence_retry_at": application.evidence_retry_at if waiting else None,
        "evidence_attempts": application.evidence_attempts if waiting else 0,
        "evidence_missing": [dataclasses.asdict(m) for m in missing or []],
        "notice": notice,
        "fee": application.fee or None,
        "payment": _payment_out(payment) if payment is not None else None,
    }


def _payment_out(payment) -> dict:
    return {
        "public_id": str(payment.public_id),
        "state": payment.state,
        "reference": payment.reference,
        "amount": payment.amount,
        "currency": payment.currency,
        "amount_paid": payment.amount_paid,
        "amount_refunded": payment.amount_refunded,
        "expires_at": payment.expires_at,
        "paid_at": payment.paid_at,
    }

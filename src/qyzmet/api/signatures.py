"""Signing by people and verifying signatures.

Remote signing is two calls: create a request (the platform canonicalises the payload with
RFC 8785 and texts a code naming what is signed), then confirm it with the code. Verification
of a detached CMS/CAdES signature is public: anyone may check a signature."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, cast

from django.http import HttpRequest
from ninja import Path, Router, Schema, Status
from pydantic import Field

from qyzmet.core.problem import FieldError, validation
from qyzmet.documents.selectors import document_signature_check
from qyzmet.identity.auth import USER_AUTH
from qyzmet.signatures import selectors, services

from .fields import CODE_MAX, TOKEN_MAX, service_checked
from .responses import problems

router = Router(tags=["signatures"], auth=USER_AUTH)
RequestId = Annotated[str, Path(max_length=TOKEN_MAX)]


class RequestIn(Schema):
    purpose: str = Field(max_length=120, examples=["application.submit"])
    payload: dict
    organisation_code: str = Field(
        "", max_length=CODE_MAX, description="Sign as an official of this organisation"
    )


# Base64 text of the bytes checked by POST /verify (about 6 MB of data, 750 kB of CMS).
PAYLOAD_MAX = 8_000_000
SIGNATURE_MAX = 1_000_000


class RequestOut(Schema):
    id: str
    purpose: str
    organisation_code: str
    sha256: str
    canonical: str = Field(description="Exactly what is signed: the RFC 8785 form, UTF-8")
    expires_at: dt.datetime
    signed: bool


class ConfirmIn(Schema):
    code: str = Field(min_length=1, max_length=12)


class SignedOut(Schema):
    id: int
    request_id: str
    sha256: str
    cms: str = Field(description="Detached CMS SignedData (CAdES-BES), DER in base64")
    certificate_serial: str
    signer: str
    signed_at: dt.datetime


class SignatureVerifyIn(Schema):
    """Named apart from the sign-in's `VerifyIn`: OpenAPI components are keyed by name."""

    payload: str = Field(max_length=PAYLOAD_MAX, description="The signed bytes, base64")
    signature: str = Field(
        max_length=SIGNATURE_MAX, description="Detached CMS: base64 of DER, or PEM"
    )


class VerdictOut(Schema):
    valid: bool
    reason: str
    message: str
    signer_subject: str
    signer_iin: str
    signer_bin: str
    certificate_serial: str
    signing_time: dt.datetime | None
    revoked_at: dt.datetime | None
    revocation_reason: str


class SealCheckOut(Schema):
    valid: bool
    signature: str = Field(description="Verdict reason: ok, unsigned, bytes_differ, revoked, …")
    signature_message: str
    signer: str
    signer_bin: str
    timestamp: dt.datetime | None
    certificate_status: str = Field(description="good | revoked | unknown")
    certificate_revoked_at: dt.datetime | None
    log: str = Field(description="included | appended | not_included | mismatch | proof_failed")


class RevokeIn(Schema):
    reason: str = service_checked(
        max_length=CODE_MAX,
        description="An RFC 5280 reason: unspecified, key_compromise, superseded, …",
        examples=["key_compromise"],
    )


class CertificateOut(Schema):
    serial: str
    kind: str
    subject: str
    not_before: dt.datetime
    not_after: dt.datetime
    revoked_at: dt.datetime | None
    revocation_reason: str


def _request_out(row) -> dict:
    return {
        "id": row.id,
        "purpose": row.purpose,
        "organisation_code": row.organisation_code,
        "sha256": row.sha256,
        "canonical": bytes(row.canonical).decode(),
        "expires_at": row.expires_at,
        "signed": row.used_at is not None,
    }


def _signed_out(dto) -> dict:
    return {
        "id": dto.id,
        "request_id": dto.request_id,
        "sha256": dto.sha256,
        "cms": base64.b64encode(dto.cms_der).decode(),
        "certificate_serial": dto.certificate_serial,
        "signer": dto.signer_subject,
        "signed_at": dto.signed_at,
    }


@router.post(
    "/requests",
    response={201: RequestOut, **problems(403, 409, 429)},
    summary="Prepare a signature",
)
def request_create(request: HttpRequest, payload: RequestIn):
    row = services.signature_request_create(
        actor=request.user,
        purpose=payload.purpose,
        payload=payload.payload,
        organisation_code=payload.organisation_code,
    )
    return Status(201, _request_out(row))


@router.get(
    "/requests/{request_id}",
    response={200: RequestOut, **problems(404)},
    summary="What a request signs",
)
def request_read(request: HttpRequest, request_id: RequestId):
    return _request_out(
        # USER_AUTH: someone is signed in, so the id is there.
        selectors.signature_request_get(user_id=cast(int, request.user.pk), request_id=request_id)
    )


@router.post(
    "/requests/{request_id}/confirm",
    response={201: SignedOut, **problems(404, 409, 410, 429)},
    summary="Sign with the one-time code",
)
def request_confirm(request: HttpRequest, request_id: RequestId, payload: ConfirmIn):
    dto = services.signature_confirm(actor=request.user, request_id=request_id, code=payload.code)
    return Status(201, _signed_out(dto))


@router.post(
    "/verify", response={200: VerdictOut}, auth=None, summary="Verify a detached signature"
)
def verify(request: HttpRequest, payload: SignatureVerifyIn):
    try:
        data = base64.b64decode(payload.payload, validate=True)
    except (binascii.Error, ValueError):
        raise validation([FieldError("/payload", "must be base64")]) from None
    verdict = selectors.signature_external_verify(
        payload_bytes=data, cms_der=payload.signature.encode()
    )
    return VerdictOut(**{k: getattr(verdict, k) for k in VerdictOut.model_fields})


@router.get("/certificates", response=list[CertificateOut], summary="My certificates")
def certificate_list(request: HttpRequest):
    return [
        CertificateOut(
            serial=c.serial,
            kind=c.kind,
            subject=c.subject,
            not_before=c.not_before,
            not_after=c.not_after,
            revoked_at=c.revoked_at,
            revocation_reason=c.revocation_reason,
        )
        for c in selectors.certificates_of_user(user_id=cast(int, request.user.pk))  # USER_AUTH
    ]


@router.post(
    "/certificates/{serial}/revoke",
    response={200: CertificateOut, **problems(404, 409)},
    summary="Revoke a certificate now",
)
def certificate_revoke(
    request: HttpRequest, serial: Annotated[str, Path(max_length=TOKEN_MAX)], payload: RevokeIn
):
    c = services.certificate_revoke(actor=request.user, serial=serial, reason=payload.reason)
    return CertificateOut(
        serial=c.serial,
        kind=c.kind,
        subject=c.subject,
        not_before=c.not_before,
        not_after=c.not_after,
        revoked_at=c.revoked_at,
        revocation_reason=c.revocation_reason,
    )


@router.get(
    "/documents/{public_id}",
    response={200: SealCheckOut, **problems(404)},
    auth=None,
    summary="Check a result document's electronic seal",
    description=(
        "The PAdES signature of the issued PDF (integrity, chain, timestamp), the seal "
        "certificate's status and the transparency log, each as a code and in words. "
        "Unknown ids answer 404."
    ),
)
def document_seal(request: HttpRequest, public_id: Annotated[str, Path(max_length=TOKEN_MAX)]):
    check = document_signature_check(public_id=public_id)
    return SealCheckOut(valid=check.valid, **check.__dict__)

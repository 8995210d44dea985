"""Public document verification: anyone holding a document's QR code can check it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Router, Schema

from qyzmet.documents.selectors import document_signature_check, document_verification

from .fields import TOKEN_MAX
from .responses import problems

router = Router(tags=["documents"])


class LocalisedText(Schema):
    kk: str = ""
    ru: str = ""
    en: str = ""


class SealOut(Schema):
    """The electronic seal (PAdES) of the issued PDF, its certificate and the transparency log."""

    valid: bool
    signature: str
    signature_message: str
    signer: str
    signer_bin: str
    timestamp: dt.datetime | None
    certificate_status: str
    certificate_revoked_at: dt.datetime | None
    log: str


class VerificationOut(Schema):
    public_id: str
    number: str
    title: LocalisedText
    issuer_code: str
    issuer_name: LocalisedText
    language: str
    issued_at: dt.datetime
    valid_until: dt.date | None
    status: str
    annulled_at: dt.datetime | None
    annul_reason: str
    sha256: str
    printed_fields: dict[str, str]
    seal: SealOut


@router.get(
    "/verify/{public_id}",
    response={200: VerificationOut, **problems(404)},
    auth=None,
    summary="Verify a document",
    description=(
        "What was issued, by whom, when, until when, and whether it is valid, expired or "
        "annulled — only what is printed on the document — and whether its electronic seal, the "
        "seal certificate and the transparency log entry check out. Unknown ids answer 404."
    ),
)
def verify(
    request: HttpRequest, public_id: Annotated[str, Path(max_length=TOKEN_MAX)]
) -> VerificationOut:
    dto = document_verification(public_id=public_id)
    check = document_signature_check(public_id=public_id)
    seal = SealOut(valid=check.valid, **{k: getattr(check, k) for k in SealOut.model_fields
                                         if k != "valid"})
    return VerificationOut(**dto.__dict__, seal=seal)

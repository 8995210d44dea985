"""Issuing and annulling result documents.

Authorisation is the caller's job: `applications` issues on approval (actor = the deciding
officer or None for the system), and the back office lets only the issuing agency's officers
annul. These functions check the facts that hold whoever calls them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from qyzmet.audit.services import Kind, audit_record
from qyzmet.core.events import event_publish
from qyzmet.core.problem import FieldError, conflict, not_found, validation

from .models import Document
from .rendering import document_pdf_render
from .sealing import pdf_seal_hook

LANGUAGES = ("kk", "ru", "en")


def _issue_input_check(
    *,
    source_ref: str,
    owner_iin: str,
    language: str,
    issuer_name: dict,
    title: dict,
    printed_fields: dict,
    valid_days: int | None,
) -> None:
    errors: list[FieldError] = []
    if not source_ref.strip():
        errors.append(FieldError("/source_ref", "must not be empty"))
    if not (len(owner_iin) == 12 and owner_iin.isdigit()):
        errors.append(FieldError("/owner_iin", "must be 12 digits"))
    if language not in LANGUAGES:
        errors.append(FieldError("/language", f"must be one of {', '.join(LANGUAGES)}"))
    for name, value in (("issuer_name", issuer_name), ("title", title)):
        missing = [lang for lang in LANGUAGES if not str(value.get(lang, "")).strip()]
        if missing:
            errors.append(FieldError(f"/{name}", f"missing languages: {', '.join(missing)}"))
    for label, value in printed_fields.items():
        if not isinstance(label, str) or not isinstance(value, str):
            errors.append(FieldError(f"/printed_fields/{label}", "labels and values are text"))
    if valid_days is not None and valid_days <= 0:
        errors.append(FieldError("/valid_days", "must be positive or null"))
    if errors:
        raise validation(errors, "The document cannot be issued from this input.")


@transaction.atomic
def document_issue(
    *,
    actor: Any | None,
    source_ref: str,
    owner_iin: str,
    issuer_code: str,
    issuer_name: dict[str, str],
    title: dict[str, str],
    language: str,
    body_text: str,
    printed_fields: dict[str, str],
    valid_days: int | None,
) -> Document:
    """Issue the one result document of `source_ref` (e.g. "application:42"), render and store
    its PDF, and announce it. Idempotent: a second call for the same source returns the
    document already issued, unchanged, without a second audit row or event, so a retried
    approval never produces two results."""
    existing = Document.objects.filter(source_ref=source_ref).first()
    if existing is not None:
        return existing
    _issue_input_check(
        source_ref=source_ref,
        owner_iin=owner_iin,
        language=language,
        issuer_name=issuer_name,
        title=title,
        printed_fields=printed_fields,
        valid_days=valid_days,
    )
    issued_at = timezone.now()
    valid_until = (
        timezone.localtime(issued_at).date() + dt.timedelta(days=valid_days)
        if valid_days is not None
        else None
    )
    try:
        # The savepoint lets a concurrent issue for the same source lose cleanly.
        with transaction.atomic():
            document = Document.objects.create(
                source_ref=source_ref,
                owner_iin=owner_iin,
                issuer_code=issuer_code,
                issuer_name=issuer_name,
                title=title,
                language=language,
                body_text=body_text,
                printed_fields=printed_fields,
                issued_at=issued_at,
                valid_until=valid_until,
            )
    except IntegrityError:
        return Document.objects.get(source_ref=source_ref)

    # The number is derived from the primary key: unique and gap-tolerant without a counter row
    # that every issue would have to lock.
    year = timezone.localtime(issued_at).year
    document.number = f"{settings.QYZMET_COUNTRY.upper()}-{year}-{document.pk:06d}"
    pdf_bytes = document_pdf_render(
        number=document.number,
        public_id=document.public_id,
        language=language,
        title=title[language],
        issuer_name=issuer_name[language],
        body_text=body_text,
        printed_fields=printed_fields,
        issued_at=issued_at,
        valid_until=valid_until,
    )
    sealed = pdf_seal_hook(pdf_bytes=pdf_bytes, issuer_code=issuer_code)
    if sealed != pdf_bytes:
        document.signed_at = timezone.now()
    document.pdf = sealed
    document.sha256 = hashlib.sha256(sealed).hexdigest()
    document.save(update_fields=["number", "pdf", "sha256", "signed_at"])

    audit_record(
        actor=actor,
        kind=Kind.CHANGE,
        action="document.issue",
        object_type="document",
        object_id=document.pk,
        subject_iin=owner_iin,
        data={"number": document.number, "source_ref": source_ref, "sha256": document.sha256},
    )
    event_publish(
        topic="document.issued",
        payload={
            "document_id": document.pk,
            "public_id": document.public_id,
            "source_ref": source_ref,
            "owner_iin": owner_iin,
        },
    )
    return document


@transaction.atomic
def document_annul(*, actor: Any | None, public_id: str, reason: str) -> Document:
    """Annul a document: from this moment the verification page says so. Annulment is final
    and happens once; a second attempt is a conflict, not a silent success, so an officer
    never believes they changed a reason that was already published."""
    if not reason.strip():
        raise validation([FieldError("/reason", "must not be empty")])
    document = Document.objects.select_for_update().filter(public_id=public_id).first()
    if document is None:
        raise not_found("document")
    if document.status == Document.Status.ANNULLED:
        raise conflict(
            "document_already_annulled", f"Document {document.number} is already annulled."
        )
    document.status = Document.Status.ANNULLED
    document.annulled_at = timezone.now()
    document.annul_reason = reason.strip()
    document.save(update_fields=["status", "annulled_at", "annul_reason"])
    audit_record(
        actor=actor,
        kind=Kind.CHANGE,
        action="document.annul",
        object_type="document",
        object_id=document.pk,
        subject_iin=document.owner_iin,
        data={"number": document.number, "reason": document.annul_reason},
    )
    event_publish(
        topic="document.annulled",
        payload={
            "document_id": document.pk,
            "public_id": document.public_id,
            "source_ref": document.source_ref,
            "owner_iin": document.owner_iin,
            "reason": document.annul_reason,
        },
    )
    return document

"""Documents a citizen or an officer attaches to a case."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import transaction

from qyzmet.audit.services import Kind, audit_record
from qyzmet.core.problem import not_found

from .. import errors
from ..models import Application, Attachment
from ..uploads import upload_validate


@transaction.atomic
def attachment_add(
    *, actor, application_id: int, filename: str, content: bytes, declared_type: str = ""
) -> Attachment:
    """A citizen adds a file to their own open application (size and type checked by content)."""
    application = Application.objects.select_for_update().filter(
        pk=application_id, applicant=actor
    ).first()
    if application is None:
        raise not_found("application")
    if not application.is_open and application.state != Application.DRAFT:
        raise errors.action_not_allowed("attach", application.state)
    content_type = upload_validate(
        content=content,
        max_bytes=settings.QYZMET_UPLOAD_MAX_BYTES,
        allowed=settings.QYZMET_UPLOAD_CONTENT_TYPES,
    )
    attachment = Attachment.objects.create(
        application=application,
        uploaded_by=actor,
        filename=filename[:200] or "upload",
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )
    audit_record(
        actor=actor,
        kind=Kind.CHANGE,
        action="application.attach",
        object_type="application",
        object_id=application.pk,
        subject_iin=application.applicant_iin,
        data={"attachment": attachment.pk, "type": content_type, "size": len(content)},
    )
    return attachment

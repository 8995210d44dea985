"""Reading the audit trail."""

from django.db.models import QuerySet

from .models import AuditEntry


def audit_for_object(*, object_type: str, object_id: str | int) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id))
    return entries.order_by("id")


def audit_reads_of_subject(*, subject_iin: str) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(subject_iin=subject_iin, kind=AuditEntry.Kind.READ).order_by(
        "-at"
    )

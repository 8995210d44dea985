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


def audit_entries_after(*, after_id: int, limit: int) -> list[AuditEntry]:
    """Up to `limit` entries with id > `after_id`, in id order: how the transparency log reads
    the trail to anchor its hash chain, batch after batch."""
    return list(AuditEntry.objects.filter(id__gt=after_id).order_by("id")[:limit])

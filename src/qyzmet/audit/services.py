"""Writing to the audit trail. Call inside the transaction of the change being recorded, so the
change and its audit row commit or roll back together."""

from __future__ import annotations

from typing import Any

from .models import AuditEntry

Kind = AuditEntry.Kind


def audit_record(
    *,
    actor: Any | None,
    kind: str,
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    subject_iin: str = "",
    purpose: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit row. `actor` is a user (or None for the system)."""
    actor_id = getattr(actor, "pk", None)
    label = "system" if actor is None else (getattr(actor, "iin", "") or str(actor))
    return AuditEntry.objects.create(
        kind=kind,
        actor_id=actor_id,
        actor_label=label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        subject_iin=subject_iin or "",
        purpose=purpose[:300],
        data=data or {},
    )


def personal_data_read(
    *, actor: Any | None, subject_iin: str, what: str, purpose: str, data: dict | None = None
) -> AuditEntry:
    """Record that `actor` read `what` about the person `subject_iin`, and why."""
    return audit_record(
        actor=actor,
        kind=Kind.READ,
        action=f"read:{what}",
        subject_iin=subject_iin,
        purpose=purpose,
        data=data,
    )

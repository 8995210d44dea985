"""Writing to the audit trail. Call inside the transaction of the change being recorded, so the
change and its audit row commit or roll back together."""

from __future__ import annotations

from typing import Any

from qyzmet.core.compiled import CompiledInsert

from .models import AuditEntry

Kind = AuditEntry.Kind
# Personal-data reads are the most frequent audit rows (one per registry read, hundreds a second
# through the exchange gateway): written by a prepared one-row INSERT, not `objects.create`.
_READ_INSERT = CompiledInsert(AuditEntry)


def _actor_label(actor: Any | None) -> str:
    return "system" if actor is None else (getattr(actor, "iin", "") or str(actor))


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
    return AuditEntry.objects.create(
        kind=kind,
        actor_id=getattr(actor, "pk", None),
        actor_label=_actor_label(actor),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        subject_iin=subject_iin or "",
        purpose=purpose[:300],
        data=data or {},
    )


def personal_data_read(
    *, actor: Any | None, subject_iin: str, what: str, purpose: str, data: dict | None = None
) -> None:
    """Record that `actor` read `what` about the person `subject_iin`, and why."""
    _READ_INSERT.insert(
        kind=Kind.READ,
        actor_id=getattr(actor, "pk", None),
        actor_label=_actor_label(actor),
        action=f"read:{what}"[:100],
        subject_iin=subject_iin or "",
        purpose=purpose[:300],
        data=data or {},
    )

"""Writing to the audit trail. Call inside the transaction of the change being recorded, so the
change and its audit row commit or roll back together.

Every `TAIL_CHECK_EVERY`-th row a process writes schedules, after its transaction commits, a
call of the *tail listeners* (the transparency log registers one that anchors the trail once
enough rows wait). The writer's transaction never anchors and never waits for it: one counter
increment per row and one `on_commit` per hundred rows is all the hot path pays."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

from qyzmet.core.compiled import CompiledInsert

from .models import AuditEntry
from .purposes import purpose_classify

Kind = AuditEntry.Kind
# Personal-data reads are the most frequent audit rows (one per registry read, hundreds a second
# through the exchange gateway): written by a prepared one-row INSERT, not `objects.create`.
_READ_INSERT = CompiledInsert(AuditEntry)

log = logging.getLogger(__name__)
TAIL_CHECK_EVERY = 100
_written = itertools.count(1)  # rows this process wrote; next() is atomic under the GIL
_tail_listeners: list[Callable[[], None]] = []


def audit_tail_listen(listener: Callable[[], None]) -> None:
    """Call `listener()` after the commit of every `TAIL_CHECK_EVERY`-th row of a process.
    The listener must be cheap and must not raise into the writer (errors are logged)."""
    if listener not in _tail_listeners:
        _tail_listeners.append(listener)


def _tail_notify() -> None:
    for listener in list(_tail_listeners):
        try:
            listener()
        except Exception:  # the writer's change is committed; the minute schedule catches up
            log.exception("audit tail listener %r failed", listener)


def _row_written() -> None:
    if next(_written) % TAIL_CHECK_EVERY == 0 and _tail_listeners:
        transaction.on_commit(_tail_notify)


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
    """Append one audit row. `actor` is a user (or None for the system). A read row keeps its
    purpose's code (see `_with_why`)."""
    if kind == Kind.READ:
        data = _with_why(purpose, data)
    entry = AuditEntry.objects.create(
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
    _row_written()  # after the INSERT: outside a transaction, on_commit runs at once
    return entry


def _with_why(purpose: str, data: dict[str, Any] | None) -> dict[str, Any]:
    """`data` with the purpose's code (`data["why"]`), classified here, where the read is
    logged, so readers of the trail never parse the free text (see `audit.purposes`)."""
    out = dict(data or {})
    out.setdefault("why", purpose_classify(purpose[:300]).as_data())
    return out


def personal_data_read(
    *, actor: Any | None, subject_iin: str, what: str, purpose: str, data: dict | None = None
) -> None:
    """Record that `actor` read `what` about the person `subject_iin`, and why."""
    data = _with_why(purpose, data)
    _READ_INSERT.insert(
        kind=Kind.READ,
        actor_id=getattr(actor, "pk", None),
        actor_label=_actor_label(actor),
        action=f"read:{what}"[:100],
        subject_iin=subject_iin or "",
        purpose=purpose[:300],
        data=data or {},
    )
    _row_written()

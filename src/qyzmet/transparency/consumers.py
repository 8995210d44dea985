"""Every issued and every annulled document goes into the log, after its transaction commits.
Idempotent twice over: the outbox runs a consumer once per event, and the log keeps one entry
per (type, public_id)."""

from __future__ import annotations

from typing import Any

from qyzmet.core.events import consumer

from .models import LogLeaf
from .services import document_entry_append


@consumer("document.issued")
def log_document_issued(event: dict[str, Any]) -> None:
    document_entry_append(kind=LogLeaf.Kind.DOCUMENT_ISSUED, public_id=event["public_id"])


@consumer("document.annulled")
def log_document_annulled(event: dict[str, Any]) -> None:
    document_entry_append(kind=LogLeaf.Kind.DOCUMENT_ANNULLED, public_id=event["public_id"])

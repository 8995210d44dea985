"""Every issued and every annulled document goes into the log, after its transaction commits.
Idempotent twice over: the outbox runs a consumer once per event, and the log keeps one entry
per (type, public_id). Every signed tree head goes to the witnesses the same way; a witness
that fails keeps the event in the outbox, whose sweep retries it."""

from __future__ import annotations

from typing import Any

from qyzmet.core.events import consumer

from . import events
from .models import LogLeaf
from .services import document_entry_append, tree_head_witness_publish


@consumer("document.issued")
def log_document_issued(event: dict[str, Any]) -> None:
    document_entry_append(kind=LogLeaf.Kind.DOCUMENT_ISSUED, public_id=event["public_id"])


@consumer("document.annulled")
def log_document_annulled(event: dict[str, Any]) -> None:
    document_entry_append(kind=LogLeaf.Kind.DOCUMENT_ANNULLED, public_id=event["public_id"])


@consumer(events.TREE_HEAD_SIGNED)
def tree_head_to_witnesses(event: dict[str, Any]) -> None:
    tree_head_witness_publish(tree_size=int(event["tree_size"]))

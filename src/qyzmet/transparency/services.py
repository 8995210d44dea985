"""Writes to the transparency log: appends, signed tree heads, the log key, audit anchors,
publishing tree heads to witnesses.

Appends happen under one lock (the `LogHead` row), so leaf indexes are dense and never reused
and the perfect-subtree nodes an append completes are written with it. The log is its own
record: appends write no audit row (that would make every anchor anchor its own audit rows).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import os
import struct
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from qyzmet.audit.selectors import audit_entries_after, audit_id_watermark, audit_tail
from qyzmet.core.events import event_publish
from qyzmet.documents.selectors import document_by_public_id

from . import events, merkle, signing
from .models import AuditAnchorRows, LogHead, LogKey, LogLeaf, LogNode, TreeHead, node_key

log = logging.getLogger(__name__)

EMBEDDED_PASSPHRASE = "qyzmet-embedded-log-key-not-for-production"  # noqa: S105 (demo only)
ZERO_CHAIN = bytes(32)


def entry_canonical(data: dict[str, Any]) -> bytes:
    """The bytes a leaf commits to: JSON, keys sorted, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _head_locked() -> LogHead:
    """The head row, locked until the transaction ends. PostgreSQL: SELECT … FOR UPDATE.
    SQLite has no row locks: a write to the head row takes the database's write lock first, so
    two appenders can never both read the same size."""
    if connection.vendor == "sqlite":
        if not LogHead.objects.filter(pk=1).update(tree_size=F("tree_size")):
            _head_create()
        return LogHead.objects.get(pk=1)
    head = LogHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        _head_create()
        head = LogHead.objects.select_for_update().get(pk=1)
    return head


def _head_create() -> None:
    try:
        with transaction.atomic():
            LogHead.objects.create(pk=1)
    except IntegrityError:
        pass  # another appender created it first


def _frontier_split(blob: bytes) -> list[bytes]:
    return [blob[i : i + 32] for i in range(0, len(blob), 32)]


@transaction.atomic
def log_append(*, kind: str, ref: str, data: dict[str, Any]) -> LogLeaf:
    """Append one entry; idempotent per (kind, ref): a second call returns the first leaf."""
    head = _head_locked()
    existing = LogLeaf.objects.filter(kind=kind, ref=ref).first()
    if existing is not None:
        return existing
    entry = entry_canonical(data)
    leaf_hash = merkle.leaf_hash(entry)
    size = head.tree_size
    frontier, created = merkle.append_step(size, _frontier_split(bytes(head.frontier)), leaf_hash)
    leaf = LogLeaf.objects.create(
        index=size,
        leaf_hash=leaf_hash,
        entry_hash=hashlib.sha256(entry).digest(),
        entry=entry,
        kind=kind,
        ref=ref,
        appended_at=timezone.now(),
    )
    if created:
        LogNode.objects.bulk_create(
            [LogNode(key=node_key(level, index), hash=h) for (level, index), h in created]
        )
    LogHead.objects.filter(pk=1).update(
        tree_size=size + 1,
        root_hash=merkle.root_from_frontier(frontier),
        frontier=b"".join(frontier),
    )
    return leaf


def document_entry_append(*, kind: str, public_id: str) -> LogLeaf:
    """The log entry of a document's issue or annulment; what the event consumers call."""
    document = document_by_public_id(public_id=public_id)
    data: dict[str, Any] = {
        "type": kind,
        "public_id": document.public_id,
        "sha256": document.sha256,
        "issuer": document.issuer_code,
        "issued_at": _utc(document.issued_at),
    }
    if kind == LogLeaf.Kind.DOCUMENT_ANNULLED:
        if document.annulled_at is None:
            raise ValueError(f"document {public_id} is not annulled")
        data["annulled_at"] = _utc(document.annulled_at)
    return log_append(kind=kind, ref=document.public_id, data=data)


# --- the log's key -----------------------------------------------------------------------------


def log_key_passphrase() -> bytes:
    """From settings or the environment; the embedded demo has a fixed default, production has
    none and refuses to start signing without one."""
    value = getattr(settings, "QYZMET_LOG_KEY_PASSPHRASE", None) or os.environ.get(
        "QYZMET_LOG_KEY_PASSPHRASE"
    )
    if value:
        return value.encode()
    if "production" in (getattr(settings, "SETTINGS_MODULE", "") or ""):
        raise ImproperlyConfigured("QYZMET_LOG_KEY_PASSPHRASE must be set in production")
    return EMBEDDED_PASSPHRASE.encode()


def log_key_active() -> LogKey:
    """The active signing key, generated on first use."""
    key = LogKey.objects.filter(active=True).first()
    if key is not None:
        return key
    key_id, public_pem, encrypted = signing.key_generate(passphrase=log_key_passphrase())
    try:
        with transaction.atomic():
            return LogKey.objects.create(
                key_id=key_id,
                algorithm=signing.ALGORITHM,
                public_pem=public_pem,
                private_pem_encrypted=encrypted,
            )
    except IntegrityError:  # a concurrent first use won
        return LogKey.objects.get(active=True)


_private_cache: dict[str, Any] = {}


def _private_key(key: LogKey):
    # Decrypting the PEM runs a deliberately slow KDF; keep the key object per process.
    cached = _private_cache.get(key.key_id)
    if cached is None:
        cached = signing.private_key_load(
            encrypted_pem=bytes(key.private_pem_encrypted), passphrase=log_key_passphrase()
        )
        _private_cache[key.key_id] = cached
    return cached


def tree_head_current() -> TreeHead:
    """The signed tree head for the log's current size, signed now if none exists yet. One
    head per size: publishing again for an unchanged tree returns the published head."""
    log_head = LogHead.objects.filter(pk=1).first()
    size = log_head.tree_size if log_head else 0
    root = bytes(log_head.root_hash) if log_head else merkle.EMPTY_ROOT
    existing = TreeHead.objects.filter(tree_size=size).first()
    if existing is not None:
        return existing
    key = log_key_active()
    timestamp_ms = int(timezone.now().timestamp() * 1000)
    message = signing.tree_head_bytes(timestamp_ms=timestamp_ms, tree_size=size, root_hash=root)
    signature = signing.tree_head_sign(key=_private_key(key), message=message)
    try:
        with transaction.atomic():
            head = TreeHead.objects.create(
                tree_size=size,
                timestamp_ms=timestamp_ms,
                root_hash=root,
                signature=signature,
                key_id=key.key_id,
            )
            # Witnesses get it after commit; the outbox retries until every one has it.
            event_publish(topic=events.TREE_HEAD_SIGNED, payload={"tree_size": size})
            return head
    except IntegrityError:
        return TreeHead.objects.get(tree_size=size)


def tree_head_witness_publish(*, tree_size: int) -> list[str]:
    """Publish the signed head of `tree_size` to every configured witness; returns their names.
    Raises WitnessFailed naming every witness that failed, after trying all of them, so the
    outbox keeps the event and retries (witnesses accept the same head twice)."""
    from .selectors import tree_head_document
    from .witnesses import WitnessFailed, witnesses_configured

    head = tree_head_document(tree_size=tree_size)
    published, failures = [], []
    for witness in witnesses_configured():
        try:
            witness.publish(head)
            published.append(witness.name)
        except WitnessFailed as exc:
            log.warning("tree head %s not published: %s", tree_size, exc)
            failures.append(str(exc))
    if failures:
        raise WitnessFailed("; ".join(failures))
    return published


# --- anchoring the audit trail -------------------------------------------------------------

ANCHOR_VERSION = 2
ANCHOR_BATCH = 10_000
ROW_RECORD = struct.Struct(">Q32s")  # one anchored row: id, SHA-256 of its canonical bytes


def audit_entry_canonical(entry: Any) -> bytes:
    """The bytes of one audit entry the chain covers: every column, canonical JSON."""
    return entry_canonical(
        {
            "id": entry.id,
            "at": _utc(entry.at),
            "kind": entry.kind,
            "actor_id": entry.actor_id,
            "actor_label": entry.actor_label,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "subject_iin": entry.subject_iin,
            "purpose": entry.purpose,
            "data": entry.data,
        }
    )


def audit_chain_step(previous: bytes, entry_id: int, canonical: bytes) -> bytes:
    """c_i = SHA-256(c_{i-1} || uint64(id) || SHA-256(canonical bytes))."""
    digest = hashlib.sha256(canonical).digest()
    return hashlib.sha256(previous + struct.pack(">Q", entry_id) + digest).digest()


def audit_row_leaf(record: bytes) -> bytes:
    """The Merkle leaf of one anchored row: RFC 9162 leaf hash of uint64(id) || SHA-256(row)."""
    return merkle.leaf_hash(record)


def audit_anchor_last() -> dict[str, Any] | None:
    leaf = LogLeaf.objects.filter(kind=LogLeaf.Kind.AUDIT_ANCHOR).order_by("-index").first()
    return json.loads(bytes(leaf.entry)) if leaf else None


@transaction.atomic
def audit_anchor_append(*, entries: Iterable[tuple[int, bytes]]) -> LogLeaf | None:
    """Anchor `entries` ((id, canonical bytes), ascending ids, all after the last anchor): append
    an `audit-anchor` entry (version 2) {from_id, to_id, count, rows_root, previous_chain_hash,
    chain_hash} and keep the rows' (id, hash) records beside it (`AuditAnchorRows`).

    `rows_root` is the RFC 9162 Merkle root over the rows, so a verifier holding the records can
    name each row changed, deleted or inserted since; the chain carries on from the previous
    anchor, so the anchors together commit to the whole trail. Nothing to anchor → None."""
    _head_locked()  # one anchorer at a time: the last anchor cannot move under us
    last = audit_anchor_last()
    previous = base64.b64decode(last["chain_hash"]) if last else ZERO_CHAIN
    after = last["to_id"] if last else 0
    chain = previous
    records: list[bytes] = []
    last_id = after
    for entry_id, canonical in entries:
        if entry_id <= last_id:
            raise ValueError(f"audit entry {entry_id} is not after {last_id}")
        chain = audit_chain_step(chain, entry_id, canonical)
        records.append(ROW_RECORD.pack(entry_id, hashlib.sha256(canonical).digest()))
        last_id = entry_id
    if not records:
        return None
    data = {
        "type": LogLeaf.Kind.AUDIT_ANCHOR.value,
        "version": ANCHOR_VERSION,
        "from_id": ROW_RECORD.unpack(records[0])[0],
        "to_id": last_id,
        "count": len(records),
        "rows_root": base64.b64encode(merkle.mth([audit_row_leaf(r) for r in records])).decode(),
        "previous_chain_hash": base64.b64encode(previous).decode(),
        "chain_hash": base64.b64encode(chain).decode(),
    }
    leaf = log_append(kind=LogLeaf.Kind.AUDIT_ANCHOR, ref=f"{last_id:020d}", data=data)
    AuditAnchorRows.objects.create(leaf_index=leaf.index, rows=b"".join(records))
    return leaf


def audit_anchor_run(*, batch: int = ANCHOR_BATCH, wait_seconds: float = 5.0) -> list[LogLeaf]:
    """Anchor every audit entry not anchored yet, one anchor per `batch` entries, up to the
    trail's watermark: the highest id below which no entry can still be in flight
    (`audit_id_watermark`; on PostgreSQL ids are handed out before commit). So nothing is left
    waiting for a settle time, and no late row ever lands inside an anchored range. When the
    watermark cannot be established within `wait_seconds` (a writer holds its transaction
    open), nothing is anchored and the next run tries again."""
    watermark = audit_id_watermark(wait_seconds=wait_seconds)
    if watermark is None:
        log.warning("audit anchoring postponed: a writer of the audit trail is still open")
        return []
    anchors: list[LogLeaf] = []
    while True:
        last = audit_anchor_last()
        after = last["to_id"] if last else 0
        rows = [e for e in audit_entries_after(after_id=after, limit=batch) if e.id <= watermark]
        leaf = audit_anchor_append(entries=((e.id, audit_entry_canonical(e)) for e in rows))
        if leaf is None:
            return anchors
        anchors.append(leaf)
        if len(rows) < batch:
            return anchors


def audit_anchor_rows() -> int:
    """How many rows must wait before the trail is anchored without waiting for the minute
    schedule (`QYZMET_AUDIT_ANCHOR_ROWS`, default 1,000)."""
    return int(getattr(settings, "QYZMET_AUDIT_ANCHOR_ROWS", 1000))


def audit_anchor_if_due() -> list[LogLeaf]:
    """Anchor now if at least `audit_anchor_rows()` entries wait after the last anchor; what the
    audit trail's tail listener triggers, after the writer's commit. Cheap when not due: one
    indexed read of the last anchor and one count of the (short) tail."""
    last = audit_anchor_last()
    if audit_tail(after_id=last["to_id"] if last else 0).count < audit_anchor_rows():
        return []
    return audit_anchor_run()

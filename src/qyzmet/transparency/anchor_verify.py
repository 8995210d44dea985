"""Checking the audit trail against its anchors in the log, row by row (read-only).

For each anchor, in log order: its log entry still hashes to its leaf; it continues the previous
anchor's chain; the leaf is included under the latest signed tree head, whose signature holds.
Then the audit rows it covers — every id after the previous anchor up to its `to_id` — are
compared with what it committed to:

* version 2 (`rows_root`): the stored (id, row hash) records are first checked against the
  anchored Merkle root; trusted so, they name each audit row **changed** (hash differs),
  **deleted** (anchored, gone) or **inserted** (present now, never anchored in that range);
* version 1 (chain only, anchors written before rows were recorded): the range is named.

Rows after the last anchor are the *tail*: not yet anchored, so a change there cannot be seen
yet. Its size and the age of its oldest row are reported; older than the policy
(`QYZMET_AUDIT_ANCHOR_TAIL_MAX_SECONDS`, default 120 s: the minute schedule plus one missed tick)
means anchoring has stopped, and the verifier says so.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from qyzmet.audit.selectors import AuditTail, audit_entries_between, audit_tail

from . import merkle, signing
from .models import AuditAnchorRows, LogKey, LogLeaf, TreeHead
from .selectors import audit_anchors, proof_inclusion, tree_head_latest
from .services import (
    ROW_RECORD,
    ZERO_CHAIN,
    audit_chain_step,
    audit_entry_canonical,
    audit_row_leaf,
)

NAMED_PER_ANCHOR = 50  # rows named one by one per anchor; past that, a count


def tail_max_seconds() -> float:
    return float(getattr(settings, "QYZMET_AUDIT_ANCHOR_TAIL_MAX_SECONDS", 120))


@dataclass
class AnchorReport:
    anchors: int = 0
    problems: list[str] = field(default_factory=list)
    rows: dict[int, str] = field(default_factory=dict)  # audit id -> changed/deleted/inserted
    tail: AuditTail = field(default_factory=lambda: AuditTail(0, None, None, None))
    tail_age_seconds: float = 0.0
    tail_max_seconds: float = 120.0

    @property
    def tail_over_policy(self) -> bool:
        return self.tail.count > 0 and self.tail_age_seconds > self.tail_max_seconds

    def tail_line(self) -> str:
        if not self.tail.count:
            return "tail: every audit row is anchored"
        return (
            f"tail: {self.tail.count} audit row(s) not yet anchored (ids {self.tail.first_id}.."
            f"{self.tail.last_id}), the oldest written {self.tail_age_seconds:.0f} s ago; "
            f"policy: at most {self.tail_max_seconds:.0f} s. A change to these rows cannot be "
            "detected until they are anchored."
        )


def _head_signed(head: TreeHead) -> bool:
    key = LogKey.objects.filter(key_id=head.key_id).first()
    if key is None:
        return False
    message = signing.tree_head_bytes(
        timestamp_ms=head.timestamp_ms, tree_size=head.tree_size, root_hash=bytes(head.root_hash)
    )
    return signing.tree_head_verify(
        public_pem=key.public_pem, message=message, digitally_signed=bytes(head.signature)
    )


def _records(leaf: LogLeaf, anchor: dict[str, Any]) -> dict[int, bytes] | None:
    """The anchor's stored (id -> row hash) records, if they hash to its anchored root."""
    stored = AuditAnchorRows.objects.filter(leaf_index=leaf.index).first()
    if stored is None:
        return None
    blob = bytes(stored.rows)
    if len(blob) % ROW_RECORD.size:
        return None
    chunks = [blob[i : i + ROW_RECORD.size] for i in range(0, len(blob), ROW_RECORD.size)]
    root = merkle.mth([audit_row_leaf(c) for c in chunks])
    if root != base64.b64decode(anchor["rows_root"]) or len(chunks) != anchor["count"]:
        return None
    return dict(ROW_RECORD.unpack(c) for c in chunks)


def _name(report: AnchorReport, label: str, found: dict[str, list[int]]) -> None:
    for what in ("changed", "deleted", "inserted"):
        ids = found[what]
        for entry_id in ids[:NAMED_PER_ANCHOR]:
            report.rows[entry_id] = what
            report.problems.append(f"audit row {entry_id}: {what} since {label}")
        if len(ids) > NAMED_PER_ANCHOR:
            report.problems.append(
                f"{label}: {len(ids) - NAMED_PER_ANCHOR} more audit row(s) {what}"
            )


def audit_anchors_verify(
    *, tail_max: float | None = None, now: dt.datetime | None = None
) -> AnchorReport:
    """Recompute what every anchor committed to from the trail as it is now; see the module."""
    report = AnchorReport(tail_max_seconds=tail_max_seconds() if tail_max is None else tail_max)
    head = tree_head_latest()
    if head is not None and not _head_signed(head):
        report.problems.append(
            f"the latest signed tree head (size {head.tree_size}) does not verify with its key"
        )
    # Before the first anchor nothing may exist: not even ids below 1 an insider could invent.
    chain, previous_to = ZERO_CHAIN, -(2**63)
    for leaf, anchor in audit_anchors():
        report.anchors += 1
        label = f"anchor #{leaf.index} (audit {anchor['from_id']}..{anchor['to_id']})"
        if merkle.leaf_hash(bytes(leaf.entry)) != bytes(leaf.leaf_hash):
            report.problems.append(f"{label}: its log entry no longer hashes to its leaf")
        if base64.b64decode(anchor["previous_chain_hash"]) != chain:
            report.problems.append(f"{label}: does not continue the previous anchor's chain")
        now_hashes: dict[int, bytes] = {}
        now_chain, count = chain, 0
        for entry in audit_entries_between(after_id=previous_to, to_id=anchor["to_id"]):
            canonical = audit_entry_canonical(entry)
            now_hashes[entry.id] = hashlib.sha256(canonical).digest()
            if entry.id >= anchor["from_id"]:
                now_chain = audit_chain_step(now_chain, entry.id, canonical)
                count += 1
        named = len(report.problems)
        if anchor.get("version", 1) >= 2:
            records = _records(leaf, anchor)
            if records is None:
                report.problems.append(
                    f"{label}: its stored row hashes are missing or no longer match its "
                    "anchored rows_root; the rows cannot be named"
                )
                now_root = merkle.mth(
                    [audit_row_leaf(ROW_RECORD.pack(i % 2**64, h)) for i, h in now_hashes.items()]
                )
                if now_root != base64.b64decode(anchor["rows_root"]):
                    report.problems.append(f"{label}: its audit rows were changed")
            else:
                _name(
                    report,
                    label,
                    {
                        "changed": [
                            i for i, h in records.items() if i in now_hashes and now_hashes[i] != h
                        ],
                        "deleted": [i for i in records if i not in now_hashes],
                        "inserted": [i for i in now_hashes if i not in records],
                    },
                )
        else:
            early = [i for i in now_hashes if i < anchor["from_id"]]
            _name(report, label, {"changed": [], "deleted": [], "inserted": early})
            if count != anchor["count"]:
                report.problems.append(
                    f"{label}: {count} audit entries now, {anchor['count']} anchored"
                )
        if now_chain != base64.b64decode(anchor["chain_hash"]) and len(report.problems) == named:
            report.problems.append(f"{label}: the audit trail no longer hashes to the chain")
        chain, previous_to = base64.b64decode(anchor["chain_hash"]), anchor["to_id"]
        if head is None or leaf.index >= head.tree_size:
            report.problems.append(f"{label}: not yet covered by a signed tree head")
            continue
        path = proof_inclusion(leaf_index=leaf.index, tree_size=head.tree_size)
        root = merkle.inclusion_root(leaf.index, head.tree_size, bytes(leaf.leaf_hash), path)
        if root != bytes(head.root_hash):
            report.problems.append(f"{label}: not included in the signed head {head.tree_size}")
    report.tail = audit_tail(after_id=previous_to)
    if report.tail.oldest_at is not None:
        age = (now or timezone.now()) - report.tail.oldest_at
        report.tail_age_seconds = max(age.total_seconds(), 0.0)
    return report

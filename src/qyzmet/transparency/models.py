"""Storage of the transparency log.

* `LogLeaf` — one row per entry, dense `index` (0, 1, 2, …), the canonical entry bytes and
  its leaf hash; never updated or deleted.
* `LogNode` — the root hash of every *perfect* subtree of level >= 1, keyed by
  `key = level << 40 | index`, written once when its last leaf arrives. With the leaves they
  give any proof for any tree size in O(log n) keyed reads (see `merkle.py`).
* `LogHead` — the single row appends lock; it holds the size, the root and the frontier (the
  perfect-subtree roots of the size's binary decomposition) so an append needs no reads.
* `TreeHead` — every signed tree head the log has published.
* `LogKey` — the log's signing key, the private half encrypted at rest.
* `AuditAnchorRows` — the (id, row hash) pairs an `audit-anchor` entry's `rows_root` commits to,
  so a verifier can name the audit rows changed, deleted or inserted since.

Leaves, nodes, tree heads and anchor rows are append-only: the models refuse updates and
deletes, and database triggers (migrations 0002, 0003) refuse them for anyone who bypasses the
models, whether or not the audit trail's own triggers are there.
"""

from __future__ import annotations

from django.db import models

from .merkle import EMPTY_ROOT

NODE_INDEX_BITS = 40  # 2^40 leaves per level is far beyond any government's document count


def node_key(level: int, index: int) -> int:
    return (level << NODE_INDEX_BITS) | index


class AppendOnlyError(RuntimeError):
    pass


class _AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class LogHead(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    tree_size = models.BigIntegerField(default=0)
    root_hash = models.BinaryField(default=EMPTY_ROOT)
    frontier = models.BinaryField(default=bytes)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="loghead_single_row")]


class LogLeaf(_AppendOnly):
    class Kind(models.TextChoices):
        DOCUMENT_ISSUED = "document-issued", "document issued"
        DOCUMENT_ANNULLED = "document-annulled", "document annulled"
        AUDIT_ANCHOR = "audit-anchor", "audit trail anchor"

    index = models.BigIntegerField(primary_key=True)
    leaf_hash = models.BinaryField(max_length=32)
    entry_hash = models.BinaryField(max_length=32)
    entry = models.BinaryField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    ref = models.CharField(max_length=64)
    appended_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "ref"], name="logleaf_kind_ref_unique"),
        ]
        indexes = [
            models.Index(fields=["leaf_hash"], name="logleaf_leaf_hash_idx"),
            models.Index(fields=["entry_hash"], name="logleaf_entry_hash_idx"),
        ]


class LogNode(_AppendOnly):
    key = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)


class TreeHead(_AppendOnly):
    tree_size = models.BigIntegerField(unique=True)
    timestamp_ms = models.BigIntegerField()
    root_hash = models.BinaryField(max_length=32)
    signature = models.BinaryField()
    key_id = models.CharField(max_length=64)


class AuditAnchorRows(_AppendOnly):
    """The rows of one version-2 audit anchor, packed: for each audit entry in id order 40
    bytes, uint64 big-endian id then SHA-256 of its canonical bytes. Their Merkle tree root (RFC
    9162 leaves over those 40 bytes) is the anchor's `rows_root`, which the log itself holds:
    these bytes are trusted only as far as they hash to it."""

    leaf_index = models.BigIntegerField(primary_key=True)  # the anchor's LogLeaf.index
    rows = models.BinaryField()


class LogKey(models.Model):
    key_id = models.CharField(max_length=64, primary_key=True)
    algorithm = models.CharField(max_length=40)
    public_pem = models.TextField()
    private_pem_encrypted = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="logkey_one_active"
            )
        ]

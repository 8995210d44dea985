"""Reading the transparency log: proofs, entries, tree heads, the public key.

Every proof is computed from a *plan* (`merkle.inclusion_plan` / `consistency_plan`) that names
the perfect subtrees it needs; those are fetched in at most two keyed queries (leaves by index,
nodes by key), whatever the tree size.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import connection

from qyzmet.core.problem import Problem, not_found

from . import merkle
from .models import LogHead, LogKey, LogLeaf, LogNode, TreeHead, node_key

MAX_ENTRIES = 1000
_LEAF = LogLeaf._meta.db_table
_NODE = LogNode._meta.db_table
_INDEX = connection.ops.quote_name("index")


def log_size() -> int:
    head = LogHead.objects.filter(pk=1).only("tree_size").first()
    return head.tree_size if head else 0


def _fetch(keys: Iterable[merkle.Key]) -> dict[merkle.Key, bytes]:
    """All the subtrees a plan needs in one round trip: leaves by index UNION ALL nodes by key
    (both primary keys). Raw SQL because this is the hot path of every proof."""
    keys = list(keys)
    if not keys:
        return {}
    leaf_indexes = [index for level, index in keys if level == 0]
    node_keys = {node_key(level, index): (level, index) for level, index in keys if level}
    parts, params = [], []
    if leaf_indexes:
        marks = ",".join(["%s"] * len(leaf_indexes))
        sql = f"SELECT 0, {_INDEX}, leaf_hash FROM {_LEAF} WHERE {_INDEX} IN ({marks})"  # noqa: S608
        parts.append(sql)
        params += leaf_indexes
    if node_keys:
        marks = ",".join(["%s"] * len(node_keys))
        parts.append(f"SELECT 1, key, hash FROM {_NODE} WHERE key IN ({marks})")  # noqa: S608
        params += list(node_keys)
    found: dict[merkle.Key, bytes] = {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for is_node, key, h in cursor.fetchall():
            found[node_keys[key] if is_node else (0, key)] = bytes(h)
    missing = set(keys) - set(found)
    if missing:
        raise RuntimeError(f"the log is missing subtrees {sorted(missing)[:5]}")
    return found


def _size_check(tree_size: int, pointer: str = "tree_size") -> None:
    size = log_size()
    if tree_size > size:
        raise Problem(
            400,
            "tree_size_too_large",
            "Bad request",
            f"{pointer}={tree_size} is larger than the log ({size} entries).",
        )


def leaf_by_hash(*, hash: bytes) -> LogLeaf:
    """The leaf whose leaf hash, or else whose entry hash (SHA-256 of the entry), is `hash`;
    `not_found` otherwise."""
    leaf = LogLeaf.objects.filter(leaf_hash=hash).order_by().first()
    if leaf is None:
        leaf = LogLeaf.objects.filter(entry_hash=hash).order_by().first()
    if leaf is None:
        raise not_found("log entry")
    return leaf


def proof_inclusion(*, leaf_index: int, tree_size: int) -> list[bytes]:
    """PATH(leaf_index, D[tree_size]) from stored subtrees."""
    _size_check(tree_size)
    if not 0 <= leaf_index < tree_size:
        raise Problem(
            404,
            "not_in_tree",
            "Not found",
            f"Entry {leaf_index} is not in the tree of size {tree_size}.",
        )
    return merkle.resolve_with(merkle.inclusion_plan(leaf_index, tree_size), _fetch)


def proof_consistency(*, first: int, second: int) -> list[bytes]:
    """PROOF(first, D[second]) from stored subtrees; 0 < first <= second <= size."""
    if first < 1 or first > second:
        raise Problem(400, "bad_range", "Bad request", "Need 0 < first <= second.")
    _size_check(second, "second")
    return merkle.resolve_with(merkle.consistency_plan(first, second), _fetch)


def root_at(*, tree_size: int) -> bytes:
    """MTH(D[tree_size]) for any past size: the fold of its frontier subtrees."""
    _size_check(tree_size)
    if tree_size == 0:
        return merkle.EMPTY_ROOT
    keys = merkle.frontier_keys(tree_size)
    found = _fetch(keys)
    return merkle.fold([found[k] for k in keys])


def entries_range(*, start: int, end: int) -> list[LogLeaf]:
    """Leaves start..end inclusive (as RFC 6962 get-entries), at most MAX_ENTRIES."""
    if start < 0 or end < start:
        raise Problem(400, "bad_range", "Bad request", "Need 0 <= start <= end.")
    end = min(end, start + MAX_ENTRIES - 1)
    return list(LogLeaf.objects.filter(index__gte=start, index__lte=end).order_by("index"))


def tree_head_latest() -> TreeHead | None:
    return TreeHead.objects.order_by("-tree_size").first()


def tree_head_document(*, tree_size: int) -> dict[str, Any]:
    """A signed tree head as published to witnesses: the `/sth` fields plus the public key that
    signed it, so the head can be checked later without trusting the database's key table."""
    import base64

    from django.conf import settings

    head = TreeHead.objects.get(tree_size=tree_size)
    key = LogKey.objects.get(key_id=head.key_id)
    return {
        "log": getattr(settings, "QYZMET_PUBLIC_BASE_URL", ""),
        "tree_size": head.tree_size,
        "timestamp": head.timestamp_ms,
        "sha256_root_hash": base64.b64encode(bytes(head.root_hash)).decode(),
        "tree_head_signature": base64.b64encode(bytes(head.signature)).decode(),
        "key_id": head.key_id,
        "algorithm": key.algorithm,
        "public_key": key.public_pem,
    }


def log_key(*, key_id: str | None = None) -> LogKey | None:
    keys = LogKey.objects.all()
    return keys.filter(key_id=key_id).first() if key_id else keys.filter(active=True).first()


def document_log_entries(*, public_id: str) -> list[LogLeaf]:
    """The issue and (if any) annulment entries of one document, for verification."""
    return list(LogLeaf.objects.filter(ref=public_id).order_by("index"))


def audit_anchors() -> list[tuple[LogLeaf, dict[str, Any]]]:
    leaves = LogLeaf.objects.filter(kind=LogLeaf.Kind.AUDIT_ANCHOR).order_by("index")
    return [(leaf, json.loads(bytes(leaf.entry))) for leaf in leaves]


def all_leaf_hashes(*, tree_size: int, chunk: int = 50_000) -> list[bytes]:
    """Every leaf hash below `tree_size`, for a full recomputation of the tree."""
    out: list[bytes] = []
    start = 0
    while start < tree_size:
        rows = (
            LogLeaf.objects.filter(index__gte=start, index__lt=min(start + chunk, tree_size))
            .order_by("index")
            .values_list("leaf_hash", flat=True)
        )
        out.extend(bytes(h) for h in rows)
        start += chunk
    return out


def audit_anchor_verify() -> tuple[int, list[str]]:
    """(anchors checked, what is wrong): see `anchor_verify.audit_anchors_verify`, which also
    reports the unanchored tail and names each changed, deleted or inserted row."""
    from .anchor_verify import audit_anchors_verify

    report = audit_anchors_verify()
    return report.anchors, report.problems


def _root_from_path(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2 root computation (our own use; the tests carry an independent one)."""
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if fn & 1 or fn == sn:
            r = merkle.node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = merkle.node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r

"""Checking the log against tree heads witnessed outside the database (read-only).

An insider who owns the database can drop every trigger, delete the newest leaves and heads or
rewrite old ones, and re-point the head row; nothing inside the database can then be believed.
The witnessed heads can: each carries its public key and signature, and was published when it
was signed. Against them:

1. The current tree is rebuilt from the leaves' *entries* (not from the stored hashes or the
   head row): indexes must run 0..n-1 and each stored leaf hash must be SHA-256(0x00 ‖ entry).
2. For every witnessed head of size m: its signature must verify with its own key (and that key
   must still be the one the log holds under its id); m > n is a **truncation**; otherwise the
   first m leaves must hash to the witnessed root, and the RFC 9162 consistency proof the log
   gives from m to n (built from its stored subtrees) must verify against the witnessed root and
   the rebuilt root — else the log was **rewritten**. Each problem names the witnessed head.
3. The log's own signed heads are held to the rebuilt tree the same way.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qyzmet.core.problem import Problem

from . import merkle, signing
from .models import LogHead, LogKey, LogLeaf, TreeHead
from .selectors import proof_consistency
from .witnesses.directory import PATTERN


@dataclass(frozen=True)
class WitnessedHead:
    source: str  # where it was read, for the report
    document: dict[str, Any]

    @property
    def tree_size(self) -> int:
        return int(self.document["tree_size"])

    @property
    def root(self) -> bytes:
        return base64.b64decode(self.document["sha256_root_hash"])

    @property
    def label(self) -> str:
        return f"witnessed head of size {self.tree_size} ({self.source})"


def witnessed_heads_read(directory: Path) -> tuple[list[WitnessedHead], list[str]]:
    """The heads in a directory witness (or a directory of saved e-mail bodies), by size."""
    heads, problems = [], []
    if not directory.is_dir():
        return [], [f"{directory}: not a directory of witnessed heads"]
    for path in sorted(directory.glob(PATTERN)):
        try:
            heads.append(WitnessedHead(str(path), json.loads(path.read_text())))
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: not a readable head ({exc})")
    return sorted(heads, key=lambda h: h.tree_size), problems


class _Tree:
    """The log rebuilt from its entries: every perfect subtree, so any prefix's root is a fold
    of O(log n) of them."""

    def __init__(self, problems: list[str], chunk: int = 20_000) -> None:
        leaves: list[bytes] = []
        start = 0
        while True:
            rows = list(
                LogLeaf.objects.filter(index__gte=start)
                .order_by("index")
                .values_list("index", "leaf_hash", "entry")[:chunk]
            )
            for index, stored, entry in rows:
                if index != len(leaves):
                    problems.append(f"the log has no leaf {len(leaves)} (next is {index})")
                    break
                recomputed = merkle.leaf_hash(bytes(entry))
                if recomputed != bytes(stored):
                    problems.append(f"leaf {index}: its entry no longer hashes to its leaf hash")
                leaves.append(recomputed)
            else:
                if len(rows) == chunk:
                    start = rows[-1][0] + 1
                    continue
            break
        self.size = len(leaves)
        self.levels = [leaves, *(level for _, level in merkle.perfect_subtrees(leaves))]

    def root(self, size: int) -> bytes:
        keys = merkle.frontier_keys(size)
        if not keys:
            return merkle.EMPTY_ROOT
        return merkle.fold([self.levels[level][index] for level, index in keys])


def _signature_problem(head: WitnessedHead) -> str | None:
    doc = head.document
    try:
        public = doc["public_key"]
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        if signing.key_id_of(load_pem_public_key(public.encode())) != doc["key_id"]:
            return f"{head.label}: its key_id is not the hash of its public key"
        message = signing.tree_head_bytes(
            timestamp_ms=int(doc["timestamp"]), tree_size=head.tree_size, root_hash=head.root
        )
        signature = base64.b64decode(doc["tree_head_signature"])
    except (KeyError, ValueError, TypeError) as exc:
        return f"{head.label}: malformed ({exc})"
    if not signing.tree_head_verify(public_pem=public, message=message, digitally_signed=signature):
        return f"{head.label}: its signature does not verify"
    held = LogKey.objects.filter(key_id=doc["key_id"]).first()
    if held is None or held.public_pem.strip() != public.strip():
        return f"{head.label}: the log no longer holds the key {doc['key_id']} that signed it"
    return None


def _agreement_problem(tree: _Tree, label: str, size: int, root: bytes) -> str | None:
    if size > tree.size:
        return (
            f"{label}: TRUNCATED — the log has {tree.size} entries, fewer than the {size} "
            "this head was signed for"
        )
    if tree.root(size) != root:
        return f"{label}: REWRITTEN — the log's first {size} entries no longer hash to its root"
    if 0 < size < tree.size:
        try:
            proof = proof_consistency(first=size, second=tree.size)
        except (Problem, RuntimeError) as exc:
            return f"{label}: the log cannot prove it is consistent with this head ({exc})"
        current = tree.root(tree.size)
        if not merkle.consistency_verify(size, tree.size, root, current, proof):
            return (
                f"{label}: REWRITTEN — the consistency proof from size {size} to {tree.size} "
                "does not verify"
            )
    return None


def tree_heads_verify(*, witnessed: list[WitnessedHead]) -> tuple[int, list[str]]:
    """Check the log against `witnessed` heads and its own; (heads checked, problems)."""
    problems: list[str] = []
    tree = _Tree(problems)
    for head in witnessed:
        for problem in (
            _signature_problem(head),
            _agreement_problem(tree, head.label, head.tree_size, head.root),
        ):
            if problem:
                problems.append(problem)
    own = list(TreeHead.objects.order_by("tree_size"))
    for own_head in own:
        problem = _agreement_problem(
            tree, f"the log's own signed head of size {own_head.tree_size}", own_head.tree_size,
            bytes(own_head.root_hash),
        )
        if problem:
            problems.append(problem)
    state = LogHead.objects.filter(pk=1).first()
    if state is not None and (
        state.tree_size != tree.size or bytes(state.root_hash) != tree.root(tree.size)
    ):
        problems.append(
            f"the log's head row says {state.tree_size} entries; the entries make {tree.size}"
            " with another root" if state.tree_size != tree.size else
            "the log's head row holds a root its entries do not hash to"
        )
    return len(witnessed) + len(own), problems


def witness_directories_verify(directories: list[Path]) -> tuple[int, list[str]]:
    """Read the heads of every witness directory and check the log against all of them at once
    (the tree is rebuilt from the entries once, not once per directory); (heads checked,
    problems, unreadable files included). Both verify commands use it."""
    witnessed: list[WitnessedHead] = []
    problems: list[str] = []
    for directory in directories:
        heads, unreadable = witnessed_heads_read(directory)
        witnessed += heads
        problems += unreadable
    checked, found = tree_heads_verify(witnessed=witnessed)
    return checked, problems + found

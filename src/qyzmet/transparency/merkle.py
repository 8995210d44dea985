"""RFC 9162 §2.1 Merkle tree hashing and proofs, independent of storage.

Two forms of each algorithm live here:

* the spec's recursive definitions over a list of leaf hashes (`mth`, `inclusion_path`,
  `consistency_path`) — short, obviously the RFC text, and the baseline the benchmark compares
  against;
* *plans* (`inclusion_plan`, `consistency_plan`) that name, for any tree size, exactly which
  perfect subtrees a proof needs. Every node of a proof is the root of a range the RFC split
  produces; such a range is a run of aligned perfect subtrees (size 2^level, starting at a
  multiple of 2^level), which the log stores keyed by (level, index). A plan therefore turns a
  proof for any size into O(log n) keyed reads, then a few hashes.

Perfect subtree (level, index) covers leaves [index * 2^level, (index + 1) * 2^level).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

Key = tuple[int, int]  # (level, index) of a perfect subtree
Plan = list[list[Key]]  # one element per proof node: the perfect subtrees whose MTH it is

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d(0)}) = SHA-256(0x00 || d(0))."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """k, the largest power of two smaller than n (n > 1)."""
    if n < 2:
        raise ValueError("split_point needs n > 1")
    return 1 << ((n - 1).bit_length() - 1)


# --- the RFC's recursive definitions over a list ------------------------------------------------


def mth(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) for a list of *leaf hashes* (already SHA-256(0x00 || d))."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = split_point(n)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def inclusion_path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of §2.1.3.1."""
    n = len(leaves)
    if not 0 <= m < n:
        raise ValueError("leaf index outside the tree")
    if n == 1:
        return []
    k = split_point(n)
    if m < k:
        return [*inclusion_path(m, leaves[:k]), mth(leaves[k:])]
    return [*inclusion_path(m - k, leaves[k:]), mth(leaves[:k])]


def consistency_path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of §2.1.4.1, for 0 < m <= n."""
    if not 0 < m <= len(leaves):
        raise ValueError("need 0 < first <= second")

    def subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
        n = len(d)
        if m == n:
            return [] if b else [mth(d)]
        k = split_point(n)
        if m <= k:
            return [*subproof(m, d[:k], b), mth(d[k:])]
        return [*subproof(m - k, d[k:], False), mth(d[:k])]

    return subproof(m, leaves, True)


# --- plans over stored perfect subtrees ------------------------------------------------------


def range_parts(start: int, size: int) -> list[Key]:
    """The perfect subtrees, left to right, whose right fold is MTH(D[start:start+size]) for a
    range produced by RFC splits (its left pieces are always aligned)."""
    parts: list[Key] = []
    while size > 0:
        if size & (size - 1) == 0:
            level = size.bit_length() - 1
            parts.append((level, start >> level))
            break
        k = split_point(size)
        level = k.bit_length() - 1
        parts.append((level, start >> level))
        start += k
        size -= k
    return parts


def fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold: H(h0, H(h1, H(h2, ...))) — MTH of a range from its perfect parts."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def inclusion_plan(m: int, n: int) -> Plan:
    """Which subtrees PATH(m, D[n]) is made of, in proof order."""
    if not 0 <= m < n:
        raise ValueError("leaf index outside the tree")
    top_down: Plan = []
    start = 0
    while n > 1:
        k = split_point(n)
        if m < k:
            top_down.append(range_parts(start + k, n - k))
            n = k
        else:
            top_down.append(range_parts(start, k))
            m, start, n = m - k, start + k, n - k
    return top_down[::-1]


def consistency_plan(m: int, n: int) -> Plan:
    """Which subtrees PROOF(m, D[n]) is made of, in proof order (0 < m <= n)."""
    if not 0 < m <= n:
        raise ValueError("need 0 < first <= second")
    top_down: Plan = []
    start, b = 0, True
    while m != n:
        k = split_point(n)
        if m <= k:
            top_down.append(range_parts(start + k, n - k))
            n = k
        else:
            top_down.append(range_parts(start, k))
            m, start, n, b = m - k, start + k, n - k, False
    if not b:
        top_down.append(range_parts(start, n))
    return top_down[::-1]


def plan_keys(plan: Plan) -> set[Key]:
    return {key for element in plan for key in element}


def plan_resolve(plan: Plan, hashes: Mapping[Key, bytes]) -> list[bytes]:
    return [fold([hashes[key] for key in element]) for element in plan]


# --- incremental and bulk construction ------------------------------------------------------


def frontier_keys(n: int) -> list[Key]:
    """The perfect subtrees of the binary decomposition of size n, largest first; their right
    fold is MTH(D[n]) — what an append needs to know about the tree so far."""
    return range_parts(0, n) if n else []


def append_step(
    size: int, frontier: list[bytes], new_leaf: bytes
) -> tuple[list[bytes], list[tuple[Key, bytes]]]:
    """Append one leaf to a tree of `size` leaves whose frontier hashes are `frontier`.
    Returns the new frontier and the perfect subtrees (level >= 1) completed by this leaf."""
    frontier = list(frontier)
    created: list[tuple[Key, bytes]] = []
    h, level = new_leaf, 0
    while size >> level & 1:
        h = node_hash(frontier.pop(), h)
        level += 1
        created.append(((level, ((size + 1) >> level) - 1), h))
    frontier.append(h)
    return frontier, created


def root_from_frontier(frontier: Sequence[bytes]) -> bytes:
    return fold(frontier) if frontier else EMPTY_ROOT


def perfect_subtrees(leaves: Sequence[bytes]) -> Iterator[tuple[int, list[bytes]]]:
    """Every stored level >= 1 of a tree built in bulk: yields (level, hashes by index)."""
    current = list(leaves)
    level = 0
    while len(current) > 1:
        level += 1
        current = [node_hash(current[i], current[i + 1]) for i in range(0, len(current) - 1, 2)]
        yield level, current


def resolve_with(plan: Plan, fetch: Callable[[Iterable[Key]], Mapping[Key, bytes]]) -> list[bytes]:
    """Resolve a plan through one `fetch` call for all the subtrees it needs."""
    return plan_resolve(plan, fetch(plan_keys(plan)))


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ------------------------------------------


def inclusion_root(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """The root an inclusion path leads to (§2.1.3.2), or None when the path cannot be right
    for that index and size."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def consistency_verify(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether `proof` shows the tree of size `second` with root `second_root` extends the tree
    of size `first` with root `first_root` (§2.1.4.2). A witnessed head is checked this way."""
    if first == second:
        return not proof and first_root == second_root
    if not 0 < first < second or not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # first is an exact power of two
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root

"""The pure RFC 9162 algorithms against hand-computed trees and the independent verifier."""

from __future__ import annotations

import hashlib
import random

import pytest

from qyzmet.transparency import merkle

from . import rfc9162_verifier as v


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _tree(n: int) -> tuple[list[bytes], dict]:
    leaves = [merkle.leaf_hash(f"entry-{i}".encode()) for i in range(n)]
    store = {(0, i): h for i, h in enumerate(leaves)}
    for level, hashes in merkle.perfect_subtrees(leaves):
        store.update(((level, i), h) for i, h in enumerate(hashes))
    return leaves, store


def test_empty_tree_hash_is_sha256_of_nothing():
    assert merkle.mth([]) == sha(b"")
    assert sha(b"").hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_small_trees_by_hand():
    d = [b"a", b"b", b"c"]
    l0, l1, l2 = (sha(b"\x00" + x) for x in d)
    assert merkle.leaf_hash(b"a") == l0
    assert merkle.mth([l0]) == l0
    ab = sha(b"\x01" + l0 + l1)
    assert merkle.mth([l0, l1]) == ab
    # n = 3: k = 2, so MTH = H(0x01 || MTH(a,b) || MTH(c)).
    assert merkle.mth([l0, l1, l2]) == sha(b"\x01" + ab + l2)
    # The path of c in a 3-tree is [MTH(a,b)]; of a it is [l1, l2].
    assert merkle.inclusion_path(2, [l0, l1, l2]) == [ab]
    assert merkle.inclusion_path(0, [l0, l1, l2]) == [l1, l2]
    # Consistency 2 -> 3 is [l2] (2 is a power of two: the verifier prepends the old root).
    assert merkle.consistency_path(2, [l0, l1, l2]) == [l2]


def test_rfc9162_example_tree_of_seven_matches_the_spec_proofs():
    # RFC 9162 §2.1.5: in the 7-leaf tree the inclusion proof for d0 is [b, h, l] and the
    # consistency proof between 3 and 7 is [c, d, g, l].
    leaves, _ = _tree(7)
    a, b, c, d, e, f, j = leaves
    g, h, i = merkle.node_hash(a, b), merkle.node_hash(c, d), merkle.node_hash(e, f)
    k = merkle.node_hash(g, h)
    l_ = merkle.node_hash(i, j)
    assert merkle.inclusion_path(0, leaves) == [b, h, l_]
    assert merkle.consistency_path(3, leaves) == [c, d, g, l_]
    assert merkle.consistency_path(4, leaves) == [l_]
    assert merkle.consistency_path(6, leaves) == [i, j, k]
    assert merkle.mth(leaves) == merkle.node_hash(k, l_)


@pytest.mark.parametrize("n", range(1, 71))
def test_every_inclusion_and_consistency_proof_up_to_70_verifies(n):
    leaves, store = _tree(n)
    roots = [merkle.mth(leaves[:size]) for size in range(n + 1)]
    for m in range(n):
        path = merkle.plan_resolve(merkle.inclusion_plan(m, n), store)
        assert path == merkle.inclusion_path(m, leaves)
        assert v.verify_inclusion(leaves[m], m, n, path, roots[n])
        assert not v.verify_inclusion(merkle.leaf_hash(b"other"), m, n, path, roots[n])
    for first in range(1, n + 1):
        path = merkle.plan_resolve(merkle.consistency_plan(first, n), store)
        assert path == merkle.consistency_path(first, leaves)
        assert v.verify_consistency(first, n, roots[first], roots[n], path)
        if first < n:
            assert not v.verify_consistency(first, n, roots[first], roots[n - 1], path)


def test_random_large_pairs_verify():
    rnd = random.Random(9162)
    leaves, store = _tree(5000)
    for _ in range(150):
        second = rnd.randint(2, 5000)
        first = rnd.randint(1, second - 1)
        m = rnd.randrange(second)
        root2 = merkle.mth(leaves[:second])
        path = merkle.plan_resolve(merkle.inclusion_plan(m, second), store)
        assert v.verify_inclusion(leaves[m], m, second, path, root2)
        proof = merkle.plan_resolve(merkle.consistency_plan(first, second), store)
        assert v.verify_consistency(first, second, merkle.mth(leaves[:first]), root2, proof)


def test_incremental_appends_build_the_same_nodes_as_the_bulk_build():
    leaves, store = _tree(37)
    frontier: list[bytes] = []
    built = {(0, i): h for i, h in enumerate(leaves)}
    for size, h in enumerate(leaves):
        frontier, created = merkle.append_step(size, frontier, h)
        built.update(created)
        assert merkle.root_from_frontier(frontier) == merkle.mth(leaves[: size + 1])
    assert built == store


def test_plans_need_logarithmically_many_reads():
    n = 1_000_003
    worst = max(
        len(merkle.plan_keys(merkle.inclusion_plan(m, n))) for m in (0, n // 2, n - 2, n - 1)
    )
    assert worst <= 2 * n.bit_length()
    assert len(merkle.plan_keys(merkle.consistency_plan(777_777, n))) <= 2 * n.bit_length()

"""An RFC 9162 proof verifier written from the RFC's text alone (§2.1.3.2 and §2.1.4.2), with
nothing but hashlib: it must not share code with qyzmet.transparency, so that a bug in the
log cannot be mirrored by the check."""

from __future__ import annotations

import hashlib


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def verify_inclusion(
    leaf_hash: bytes, leaf_index: int, tree_size: int, inclusion_path: list[bytes], root: bytes
) -> bool:
    # 1. leaf_index >= tree_size fails.
    if leaf_index >= tree_size or leaf_index < 0:
        return False
    # 2. fn = leaf_index, sn = tree_size - 1.  3. r = hash.
    fn, sn, r = leaf_index, tree_size - 1, leaf_hash
    # 4. for each p in inclusion_path
    for p in inclusion_path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = _node(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    # 5. sn must be 0 and r equal to root.
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, path: list[bytes]
) -> bool:
    if first == second:
        # The trees are the same size; the proof is empty and the heads must agree.
        return path == [] and first_hash == second_hash
    if first <= 0 or first > second:
        return False
    # 1. an empty consistency_path fails.
    if not path:
        return False
    path = list(path)
    # 2. if first is an exact power of 2, prepend first_hash.
    if first & (first - 1) == 0:
        path = [first_hash, *path]
    # 3. fn = first - 1, sn = second - 1.
    fn, sn = first - 1, second - 1
    # 4. if LSB(fn) is set, right-shift fn and sn equally until LSB(fn) is not set.
    while fn % 2 == 1:
        fn >>= 1
        sn >>= 1
    # 5. fr = sr = first value.
    fr = sr = path[0]
    # 6. for each subsequent value c
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr = _node(c, fr)
            sr = _node(c, sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _node(sr, c)
        fn >>= 1
        sn >>= 1
    # 7. fr == first_hash, sr == second_hash and sn == 0.
    return fr == first_hash and sr == second_hash and sn == 0

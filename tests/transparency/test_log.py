"""The stored log, through its services, selectors and public API, checked by the independent
verifier and by `cryptography` alone."""

from __future__ import annotations

import base64
import hashlib
import random
import struct
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import DatabaseError, connection, transaction
from django.test import Client

from qyzmet.transparency import selectors, services
from qyzmet.transparency.models import AppendOnlyError, LogLeaf, LogNode, TreeHead

from . import rfc9162_verifier as v

pytestmark = pytest.mark.django_db


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def _append(n: int, start: int = 0) -> list[LogLeaf]:
    return [
        services.log_append(kind="document-issued", ref=f"doc-{i}", data={"type": "t", "i": i})
        for i in range(start, start + n)
    ]


def _roots(leaves: list[LogLeaf]) -> list[bytes]:
    """Every MTH(D[0:n]) computed by the test itself from the leaf hashes."""

    def mth(d):
        if not d:
            return hashlib.sha256(b"").digest()
        if len(d) == 1:
            return d[0]
        k = 1
        while k * 2 < len(d):
            k *= 2
        return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()

    hashes_ = [bytes(leaf.leaf_hash) for leaf in leaves]
    return [mth(hashes_[:n]) for n in range(len(hashes_) + 1)]


def test_entries_are_canonical_json_and_leaf_hash_is_rfc9162():
    leaf = services.log_append(kind="document-issued", ref="x", data={"b": 1, "a": "ә"})
    assert bytes(leaf.entry) == '{"a":"ә","b":1}'.encode()
    assert bytes(leaf.leaf_hash) == v.leaf(bytes(leaf.entry))
    assert bytes(leaf.entry_hash) == hashlib.sha256(bytes(leaf.entry)).digest()


def test_indexes_are_dense_and_appends_are_idempotent_per_kind_and_ref():
    leaves = _append(5)
    assert [leaf.index for leaf in leaves] == [0, 1, 2, 3, 4]
    again = services.log_append(kind="document-issued", ref="doc-2", data={"other": True})
    assert again.index == 2 and LogLeaf.objects.count() == 5
    assert selectors.log_size() == 5


def test_every_stored_proof_up_to_40_entries_verifies_independently():
    leaves = _append(40)
    roots = _roots(leaves)
    for n in range(1, 41):
        for m in range(n):
            path = selectors.proof_inclusion(leaf_index=m, tree_size=n)
            assert v.verify_inclusion(bytes(leaves[m].leaf_hash), m, n, path, roots[n]), (m, n)
        for first in range(1, n + 1):
            proof = selectors.proof_consistency(first=first, second=n)
            assert v.verify_consistency(first, n, roots[first], roots[n], proof), (first, n)
        assert selectors.root_at(tree_size=n) == roots[n]


def test_random_pairs_on_a_larger_stored_log():
    leaves = _append(300)
    roots = _roots(leaves)
    rnd = random.Random(6962)
    for _ in range(60):
        second = rnd.randint(2, 300)
        first = rnd.randint(1, second)
        m = rnd.randrange(second)
        path = selectors.proof_inclusion(leaf_index=m, tree_size=second)
        assert v.verify_inclusion(bytes(leaves[m].leaf_hash), m, second, path, roots[second])
        proof = selectors.proof_consistency(first=first, second=second)
        assert v.verify_consistency(first, second, roots[first], roots[second], proof)


def test_a_proof_reads_a_bounded_number_of_rows(django_assert_max_num_queries):
    _append(100)
    with django_assert_max_num_queries(3):
        selectors.proof_inclusion(leaf_index=37, tree_size=99)
    with django_assert_max_num_queries(3):
        selectors.proof_consistency(first=37, second=99)


def _verify_sth_with_cryptography_only(body: dict, pem: bytes) -> bool:
    public = serialization.load_pem_public_key(pem)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert isinstance(public.curve, ec.SECP256R1)
    der_spki = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert body["key_id"] == b64(hashlib.sha256(der_spki).digest())
    signed = struct.pack(">BBQQ", 0, 1, body["timestamp"], body["tree_size"]) + unb64(
        body["sha256_root_hash"]
    )
    wrapper = unb64(body["tree_head_signature"])
    hash_alg, sig_alg, length = struct.unpack(">BBH", wrapper[:4])
    assert (hash_alg, sig_alg, length) == (4, 3, len(wrapper) - 4)
    try:
        public.verify(wrapper[4:], signed, ec.ECDSA(hashes.SHA256()))
    except Exception:
        return False
    return True


def test_signed_tree_head_verifies_with_the_published_key_and_proofs_match_it():
    client = Client()
    empty = client.get("/api/v1/transparency/sth").json()
    assert empty["tree_size"] == 0
    assert unb64(empty["sha256_root_hash"]) == hashlib.sha256(b"").digest()
    leaves = _append(11)
    response = client.get("/api/v1/transparency/sth")
    assert response.status_code == 200
    body = response.json()
    assert body["tree_size"] == 11 and body["algorithm"] == "ecdsa-p256-sha256"
    key = client.get("/api/v1/transparency/key")
    assert key.status_code == 200 and key["Content-Type"] == "application/x-pem-file"
    assert key.content.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert _verify_sth_with_cryptography_only(body, key.content)
    # A head whose size or root is altered no longer verifies.
    assert not _verify_sth_with_cryptography_only({**body, "tree_size": 12}, key.content)
    # The same size is signed once: asking again returns the published head.
    assert client.get("/api/v1/transparency/sth").json() == body
    assert TreeHead.objects.count() == 2

    root = unb64(body["sha256_root_hash"])
    for leaf in leaves:
        proof = client.get(
            f"/api/v1/transparency/proof?hash={quote(b64(bytes(leaf.leaf_hash)))}&tree_size=11"
        ).json()
        assert proof["leaf_index"] == leaf.index and proof["tree_size"] == 11
        path = [unb64(p) for p in proof["audit_path"]]
        assert v.verify_inclusion(bytes(leaf.leaf_hash), leaf.index, 11, path, root)
    # The entry's own SHA-256 finds the same leaf; an unencoded '+' is tolerated.
    by_entry = client.get(
        "/api/v1/transparency/proof", {"hash": b64(bytes(leaves[3].entry_hash))}
    ).json()
    assert by_entry["leaf_index"] == 3 and by_entry["tree_size"] == 11

    consistency = client.get("/api/v1/transparency/consistency?first=5&second=11").json()
    assert consistency["first"] == 5 and consistency["second"] == 11
    first_root = _roots(leaves)[5]
    path = [unb64(p) for p in consistency["consistency"]]
    assert v.verify_consistency(5, 11, first_root, root, path)


def test_bad_requests_answer_problem_json():
    _append(3)
    client = Client()
    unknown = b64(hashlib.sha256(b"never logged").digest())
    cases = [
        (f"/api/v1/transparency/proof?hash={quote(unknown)}", 404),
        ("/api/v1/transparency/proof?hash=not-base64!", 422),
        (f"/api/v1/transparency/proof?hash={quote(b64(b'short'))}", 422),
        ("/api/v1/transparency/consistency?first=1&second=4", 400),
        ("/api/v1/transparency/consistency?first=0&second=2", 400),
        ("/api/v1/transparency/consistency?first=3&second=2", 400),
        ("/api/v1/transparency/entries?start=2&end=1", 400),
    ]
    leaf = LogLeaf.objects.get(index=2)
    cases += [
        (f"/api/v1/transparency/proof?hash={quote(b64(bytes(leaf.leaf_hash)))}&tree_size=4", 400),
        (f"/api/v1/transparency/proof?hash={quote(b64(bytes(leaf.leaf_hash)))}&tree_size=2", 404),
    ]
    for url, status in cases:
        response = client.get(url)
        assert response.status_code == status, url
        assert response["Content-Type"] == "application/problem+json", url


def test_entries_for_monitors_are_capped_at_1000():
    _append(3)
    body = Client().get("/api/v1/transparency/entries?start=0&end=5000").json()
    assert [e["leaf_index"] for e in body["entries"]] == [0, 1, 2]
    entry = unb64(body["entries"][1]["entry"])
    assert v.leaf(entry) == unb64(body["entries"][1]["leaf_hash"])
    assert len(selectors.entries_range(start=0, end=10**6)) == 3
    assert selectors.MAX_ENTRIES == 1000


def test_rows_refuse_update_and_delete_in_the_model_and_the_database():
    leaf = _append(2)[1]
    with pytest.raises(AppendOnlyError):
        leaf.save()
    with pytest.raises(AppendOnlyError):
        leaf.delete()
    for statement in (
        "UPDATE transparency_logleaf SET ref = 'x' WHERE index_ = 1",
        "DELETE FROM transparency_logleaf WHERE index_ = 1",
        "UPDATE transparency_lognode SET hash = hash",
    ):
        sql = statement.replace("index_", connection.ops.quote_name("index"))
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert LogNode.objects.count() == 1


def _tamper(sql: str, params: list) -> None:
    """What someone with raw database access and the triggers lifted could do."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET LOCAL session_replication_role = origin")
        else:
            cursor.execute("DROP TRIGGER transparency_logleaf_no_update")
            cursor.execute(sql, params)
            cursor.execute(
                "CREATE TRIGGER transparency_logleaf_no_update BEFORE UPDATE ON "
                "transparency_logleaf BEGIN SELECT RAISE(ABORT, 'append-only'); END;"
            )


def test_a_changed_leaf_row_no_longer_proves_against_the_signed_head():
    leaves = _append(9)
    sth = services.tree_head_current()
    root = bytes(sth.root_hash)
    forged_entry = b'{"type":"document-issued","public_id":"forged"}'
    forged = v.leaf(forged_entry)
    quoted = connection.ops.quote_name("index")
    _tamper(
        f"UPDATE transparency_logleaf SET entry = %s, leaf_hash = %s WHERE {quoted} = 4",  # noqa: S608
        [forged_entry, forged],
    )
    leaf = selectors.leaf_by_hash(hash=forged)
    assert leaf.index == 4
    path = selectors.proof_inclusion(leaf_index=4, tree_size=9)
    assert not v.verify_inclusion(forged, 4, 9, path, root)
    # Proofs of the leaves next to it, which use its hash, fail too.
    sibling_path = selectors.proof_inclusion(leaf_index=5, tree_size=9)
    assert not v.verify_inclusion(bytes(leaves[5].leaf_hash), 5, 9, sibling_path, root)
    # A full recomputation from the stored leaves disagrees with the signed root.
    assert _roots(list(LogLeaf.objects.order_by("index")))[9] != root

"""Each attack of the security test, performed as an insider with raw SQL, on SQLite and
PostgreSQL: what is refused, and what the verifiers name (with a non-zero exit status)."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from django.db import DatabaseError, connection, transaction

from qyzmet.audit.services import Kind, audit_record
from qyzmet.transparency import merkle, services
from qyzmet.transparency.anchor_verify import audit_anchors_verify
from qyzmet.transparency.models import LogLeaf

from .tamper import drop_audit_triggers, drop_log_triggers, run, sql

pytestmark = pytest.mark.django_db

IIN = "900101300018"


def _audit(n: int) -> list[int]:
    return [
        audit_record(
            actor=None, kind=Kind.READ, action="read:population.person", subject_iin=IIN,
            purpose="application 7", data={"i": i},
        ).id
        for i in range(n)
    ]


def _anchored(n: int, witness_dir=None, capture=None) -> tuple[list[int], LogLeaf]:
    ids = _audit(n)
    [leaf] = services.audit_anchor_run()
    if capture is not None:
        with capture(execute=True):
            services.tree_head_current()
    else:
        services.tree_head_current()
    return ids, leaf


@pytest.fixture
def witness_dir(settings, tmp_path):
    settings.QYZMET_TREE_HEAD_WITNESSES = [{"kind": "directory", "path": str(tmp_path / "w")}]
    return tmp_path / "w"


def test_an_edited_row_inside_an_anchored_batch_is_named():
    ids, leaf = _anchored(6)
    victim = ids[3]
    drop_audit_triggers()
    sql(
        "UPDATE audit_auditentry SET subject_iin = %s, data = %s WHERE id = %s",
        ["850505400123", json.dumps({"i": 999}), victim],
    )
    status, _out, err = run("verify_audit_anchor")
    assert status == 1
    assert f"audit row {victim}: changed since anchor #{leaf.index}" in err
    assert audit_anchors_verify().rows == {victim: "changed"}  # that row, and only that one


def test_a_deleted_row_is_named():
    ids, leaf = _anchored(5)
    drop_audit_triggers()
    sql("DELETE FROM audit_auditentry WHERE id = %s", [ids[1]])
    status, _out, err = run("verify_audit_anchor")
    assert status == 1
    assert f"audit row {ids[1]}: deleted since anchor #{leaf.index}" in err
    assert audit_anchors_verify().rows == {ids[1]: "deleted"}


def test_a_row_inserted_into_an_anchored_range_is_named():
    ids, _leaf = _anchored(3)
    drop_audit_triggers()
    sql("UPDATE audit_auditentry SET id = %s WHERE id = %s", [ids[0] - 100, ids[0]])
    report = audit_anchors_verify()
    # Moved below the anchor's range: before the first anchor it is "inserted"; its old id gone.
    assert report.rows == {ids[0]: "deleted", ids[0] - 100: "inserted"}
    assert run("verify_audit_anchor")[0] == 1


def test_row_hashes_recomputed_beside_the_anchor_are_caught_by_the_anchored_root():
    """The insider edits a row and rewrites the stored row hashes to match: they no longer hash
    to the rows_root the log holds, so the change is still reported (the row cannot be named
    from forged records, the anchor is)."""
    ids, leaf = _anchored(4)
    drop_audit_triggers()
    drop_log_triggers()
    sql("UPDATE audit_auditentry SET subject_iin = %s WHERE id = %s", ["850505400123", ids[0]])
    from qyzmet.audit.selectors import audit_entries_after

    forged = b"".join(
        services.ROW_RECORD.pack(e.id, hashlib.sha256(services.audit_entry_canonical(e)).digest())
        for e in audit_entries_after(after_id=0, limit=10)
    )
    sql(
        "UPDATE transparency_auditanchorrows SET rows = %s WHERE leaf_index = %s",
        [forged, leaf.index],
    )
    status, _out, err = run("verify_audit_anchor")
    assert status == 1
    assert "no longer match its anchored rows_root" in err
    assert f"anchor #{leaf.index} (audit {ids[0]}..{ids[-1]}): its audit rows were changed" in err


def test_the_anchor_itself_recomputed_is_caught_by_the_signed_and_witnessed_heads(
    witness_dir, django_capture_on_commit_callbacks
):
    """The insider edits a row and recomputes everything the database holds about it: the row
    records, the anchor entry (rows_root, chain) and its leaf hash. The signed tree head no
    longer includes the leaf, and the witnessed head names the rewrite."""
    ids, leaf = _anchored(4, capture=django_capture_on_commit_callbacks)
    drop_audit_triggers()
    drop_log_triggers()
    sql("UPDATE audit_auditentry SET subject_iin = %s WHERE id = %s", ["850505400123", ids[2]])
    from qyzmet.audit.selectors import audit_entries_after

    rows = audit_entries_after(after_id=0, limit=10)
    records = [
        services.ROW_RECORD.pack(e.id, hashlib.sha256(services.audit_entry_canonical(e)).digest())
        for e in rows
    ]
    chain = bytes(32)
    for e in rows:
        chain = services.audit_chain_step(chain, e.id, services.audit_entry_canonical(e))
    data = json.loads(bytes(leaf.entry))
    data["rows_root"] = base64.b64encode(
        merkle.mth([services.audit_row_leaf(r) for r in records])
    ).decode()
    data["chain_hash"] = base64.b64encode(chain).decode()
    entry = services.entry_canonical(data)
    index = connection.ops.quote_name("index")
    sql(
        f"UPDATE transparency_logleaf SET entry = %s, leaf_hash = %s, entry_hash = %s WHERE {index} = %s",  # noqa: E501, S608
        [entry, merkle.leaf_hash(entry), hashlib.sha256(entry).digest(), leaf.index],
    )
    sql(
        "UPDATE transparency_auditanchorrows SET rows = %s WHERE leaf_index = %s",
        [b"".join(records), leaf.index],
    )
    assert audit_anchors_verify().rows == {}  # the forged records agree with the forged rows...
    status, _out, err = run("verify_audit_anchor", "--witness", str(witness_dir))
    assert status == 1
    label = f"anchor #{leaf.index} (audit {ids[0]}..{ids[-1]})"
    assert f"{label}: not included in the signed head" in err
    witnessed = witness_dir / "sth-00000000000000000001.json"
    assert f"witnessed head of size 1 ({witnessed}): REWRITTEN" in err


def test_an_edit_in_the_tail_is_reported_as_unanchored_and_the_tail_is_bounded():
    _anchored(3)
    tail = _audit(2)
    drop_audit_triggers()
    sql("UPDATE audit_auditentry SET subject_iin = %s WHERE id = %s", ["850505400123", tail[0]])
    status, out, _err = run("verify_audit_anchor")
    assert status == 0  # within the policy: the row is not yet anchored, and it is said so
    assert f"tail: 2 audit row(s) not yet anchored (ids {tail[0]}..{tail[1]})" in out
    assert "cannot be detected until they are anchored" in out
    # Older than the policy (here 0 s): anchoring has stopped, exit status 2.
    status, _out, err = run("verify_audit_anchor", "--max-tail-seconds", "0")
    assert status == 2 and "tail: 2 audit row(s)" in err and "policy: at most 0 s" in err
    # The minute task anchors the tail: from then on the (edited) rows are protected.
    from qyzmet.transparency.tasks import anchor_audit

    assert anchor_audit.apply().get() == 1
    status, out, _err = run("verify_audit_anchor", "--max-tail-seconds", "0")
    assert status == 0 and "every audit row is anchored" in out


def test_a_thousand_waiting_rows_are_anchored_after_the_writers_commit(
    django_capture_on_commit_callbacks,
):
    """The tail listener anchors once 1,000 rows wait, after commit, never inside the writer's
    transaction."""
    with django_capture_on_commit_callbacks(execute=True):
        _audit(1_100)
        assert not LogLeaf.objects.filter(kind="audit-anchor").exists()
    [anchor] = [json.loads(bytes(x.entry)) for x in LogLeaf.objects.filter(kind="audit-anchor")]
    assert anchor["count"] == 1_100
    with django_capture_on_commit_callbacks(execute=True):
        _audit(150)  # below the threshold: left to the minute schedule
    assert LogLeaf.objects.filter(kind="audit-anchor").count() == 1


def _refused(statement: str, params: list | None = None) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        sql(statement, params)


def test_the_log_refuses_changes_even_with_the_audit_triggers_dropped():
    """The log's triggers no longer depend on the audit trail's: with those dropped, deleting
    the anchor leaf and the newer tree heads is still refused."""
    _ids, leaf = _anchored(3)
    services.log_append(kind="document-issued", ref="d-1", data={"x": 1})
    services.tree_head_current()
    drop_audit_triggers()
    index = connection.ops.quote_name("index")
    _refused(f"DELETE FROM transparency_logleaf WHERE {index} >= %s", [leaf.index])  # noqa: S608
    _refused("DELETE FROM transparency_treehead WHERE tree_size > %s", [leaf.index])
    _refused("DELETE FROM transparency_lognode")
    _refused("DELETE FROM transparency_auditanchorrows")
    _refused("UPDATE transparency_logleaf SET ref = 'x'")
    _refused("UPDATE transparency_treehead SET tree_size = tree_size + 100")
    if connection.vendor == "postgresql":
        _refused("TRUNCATE transparency_logleaf, transparency_treehead")
    assert LogLeaf.objects.count() == 2


def test_the_audit_trail_refuses_truncate_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE meets the row trigger")
    _audit(1)
    _refused("TRUNCATE audit_auditentry")


def test_truncating_the_log_with_every_trigger_dropped_is_caught_by_the_witnessed_head(
    witness_dir, django_capture_on_commit_callbacks
):
    """The full attack: drop the audit trail's and the log's triggers, delete the anchor leaf,
    its nodes, rows and every newer tree head, re-point the head row to the size before. The
    database now agrees with itself; the witnessed head does not."""
    with django_capture_on_commit_callbacks(execute=True):
        services.log_append(kind="document-issued", ref="d-1", data={"x": 1})
        services.tree_head_current()
    ids, leaf = _anchored(4, capture=django_capture_on_commit_callbacks)
    assert sorted(p.name for p in witness_dir.iterdir()) == [
        "sth-00000000000000000001.json",
        "sth-00000000000000000002.json",
    ]
    assert run("verify_tree_heads", "--witness", str(witness_dir))[0] == 0
    drop_audit_triggers()
    drop_log_triggers()
    index = connection.ops.quote_name("index")
    sql(f"DELETE FROM transparency_logleaf WHERE {index} >= %s", [leaf.index])  # noqa: S608
    sql("DELETE FROM transparency_lognode")  # size 1 has no node of level >= 1
    sql("DELETE FROM transparency_auditanchorrows")
    sql("DELETE FROM transparency_treehead WHERE tree_size > %s", [leaf.index])
    first = LogLeaf.objects.get(index=0)
    sql(
        "UPDATE transparency_loghead SET tree_size = 1, root_hash = %s, frontier = %s",
        [bytes(first.leaf_hash), bytes(first.leaf_hash)],
    )
    status, _out, err = run("verify_tree_heads")  # without the witness it looks fine
    assert status == 0
    status, _out, err = run("verify_tree_heads", "--witness", str(witness_dir))
    assert status == 1
    assert (
        f"witnessed head of size 2 ({witness_dir / 'sth-00000000000000000002.json'}): "
        "TRUNCATED — the log has 1 entries" in err
    )
    # The anchored rows are back in the tail, and the audit verifier says so too.
    status, _out, err = run(
        "verify_audit_anchor", "--witness", str(witness_dir), "--max-tail-seconds", "0"
    )
    assert status == 1 and "TRUNCATED" in err
    assert f"tail: 4 audit row(s) not yet anchored (ids {ids[0]}..{ids[-1]})" in err

"""Documents flow into the log through the outbox; the audit trail's hash chain is anchored in
it and checked again later."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from qyzmet.audit.services import Kind, audit_record
from qyzmet.core.events import event_deliver
from qyzmet.core.models import OutboxEvent
from qyzmet.documents.services import document_annul
from qyzmet.transparency import selectors, services, tasks
from qyzmet.transparency.consumers import log_document_issued
from qyzmet.transparency.models import LogLeaf
from tests.documents.factories import document_issued

from . import rfc9162_verifier as v

pytestmark = pytest.mark.django_db


def _entry(leaf: LogLeaf) -> dict:
    return json.loads(bytes(leaf.entry))


def test_issue_and_annulment_are_logged_once_each(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = document_issued()
    [issued] = selectors.document_log_entries(public_id=document.public_id)
    assert _entry(issued) == {
        "type": "document-issued",
        "public_id": document.public_id,
        "sha256": document.sha256,
        "issuer": "mvd",
        "issued_at": document.issued_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    assert (
        bytes(issued.entry)
        == json.dumps(_entry(issued), sort_keys=True, separators=(",", ":")).encode()
    )

    # The event delivered again, and the consumer called again directly: still one entry.
    event = OutboxEvent.objects.get(topic="document.issued", payload__public_id=document.public_id)
    assert event_deliver(str(event.id))
    log_document_issued({**event.payload, "event_id": str(event.id)})
    assert LogLeaf.objects.filter(ref=document.public_id).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        document_annul(actor=None, public_id=document.public_id, reason="Қате берілген")
    issued_again, annulled = selectors.document_log_entries(public_id=document.public_id)
    assert issued_again.index == issued.index
    assert _entry(annulled)["type"] == "document-annulled"
    assert _entry(annulled)["annulled_at"].endswith("Z")
    assert annulled.index == issued.index + 1
    assert LogLeaf.objects.filter(ref=document.public_id).count() == 2


def _audit(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        audit_record(actor=None, kind=Kind.CHANGE, action="test.event", object_id=i, data={"i": i})


def test_anchor_round_trip_and_rerun_anchors_only_what_is_new():
    _audit(5)
    [first] = services.audit_anchor_run(settle_seconds=0)
    anchor = _entry(first)
    assert anchor["type"] == "audit-anchor" and anchor["count"] == 5
    assert anchor["to_id"] - anchor["from_id"] >= 4
    assert services.audit_anchor_run(settle_seconds=0) == []  # nothing new: nothing appended
    _audit(3, start=5)
    assert tasks.anchor_audit.apply().get() == 0  # the task's settle time keeps new rows waiting
    [second] = services.audit_anchor_run(settle_seconds=0)
    assert _entry(second)["previous_chain_hash"] == anchor["chain_hash"]
    assert _entry(second)["from_id"] > anchor["to_id"]
    services.tree_head_current()
    checked, problems = selectors.audit_anchor_verify()
    assert (checked, problems) == (2, [])
    call_command("verify_audit_anchor")
    # Each anchor is provably in the log under the signed head.
    sth = selectors.tree_head_latest()
    path = selectors.proof_inclusion(leaf_index=second.index, tree_size=sth.tree_size)
    assert v.verify_inclusion(
        bytes(second.leaf_hash), second.index, sth.tree_size, path, bytes(sth.root_hash)
    )


def test_anchor_chain_is_the_documented_formula():
    _audit(2)
    [leaf] = services.audit_anchor_run(settle_seconds=0)
    anchor = _entry(leaf)
    chain = bytes(32)
    from qyzmet.audit.selectors import audit_entries_after

    for entry in audit_entries_after(after_id=0, limit=10):
        digest = hashlib.sha256(services.audit_entry_canonical(entry)).digest()
        chain = hashlib.sha256(chain + entry.id.to_bytes(8, "big") + digest).digest()
    assert base64.b64decode(anchor["chain_hash"]) == chain


def test_anchor_refuses_entries_not_after_the_last_anchor():
    _audit(2)
    [leaf] = services.audit_anchor_run(settle_seconds=0)
    to_id = _entry(leaf)["to_id"]
    with pytest.raises(ValueError):
        services.audit_anchor_append(entries=[(to_id, b"{}")])
    assert services.audit_anchor_append(entries=[]) is None


def _tamper_audit(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET LOCAL session_replication_role = origin")
        else:
            cursor.execute("DROP TRIGGER audit_no_update")
            cursor.execute(sql, params)
            cursor.execute(
                "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_auditentry "
                "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;"
            )


def test_a_modified_audit_row_is_detected():
    _audit(4)
    [leaf] = services.audit_anchor_run(settle_seconds=0)
    services.tree_head_current()
    victim = _entry(leaf)["from_id"] + 1
    _tamper_audit("UPDATE audit_auditentry SET action = %s WHERE id = %s", ["forged", victim])
    checked, problems = selectors.audit_anchor_verify()
    assert checked == 1
    assert any("no longer hashes" in p for p in problems)
    with pytest.raises(CommandError):
        call_command("verify_audit_anchor")


def test_a_deleted_audit_row_is_detected():
    _audit(4)
    [leaf] = services.audit_anchor_run(settle_seconds=0)
    services.tree_head_current()
    victim = _entry(leaf)["to_id"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER audit_no_delete")
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [victim])
    _checked, problems = selectors.audit_anchor_verify()
    assert any("3 audit entries now, 4 anchored" in p for p in problems)


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_can_write_the_log_and_still_be_flushed():
    """The flush after this test must get past the append-only triggers (see migration 0002)."""
    services.log_append(kind="document-issued", ref="flush-me", data={"x": 1})
    services.tree_head_current()
    assert selectors.log_size() == 1

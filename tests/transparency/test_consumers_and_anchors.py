"""Documents flow into the log through the outbox; the audit trail's hash chain is anchored in
it and checked again later."""

from __future__ import annotations

import base64
import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from qyzmet.audit.services import Kind, audit_record
from qyzmet.core.events import event_deliver
from qyzmet.core.models import OutboxEvent
from qyzmet.documents.services import document_annul
from qyzmet.transparency import selectors, services, tasks
from qyzmet.transparency.consumers import log_document_issued
from qyzmet.transparency.models import AuditAnchorRows, LogLeaf
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
    [first] = services.audit_anchor_run()
    anchor = _entry(first)
    assert anchor["type"] == "audit-anchor" and anchor["version"] == 2 and anchor["count"] == 5
    assert anchor["to_id"] - anchor["from_id"] >= 4
    assert services.audit_anchor_run() == []  # nothing new: nothing appended
    _audit(3, start=5)
    # No settle time: rows committed a moment ago are anchored by the next run.
    assert tasks.anchor_audit.apply().get() == 1
    second = LogLeaf.objects.filter(kind="audit-anchor").order_by("-index").first()
    assert _entry(second)["previous_chain_hash"] == anchor["chain_hash"]
    assert _entry(second)["from_id"] > anchor["to_id"] and _entry(second)["count"] == 3
    checked, problems = selectors.audit_anchor_verify()
    assert (checked, problems) == (2, [])
    out = io.StringIO()
    call_command("verify_audit_anchor", stdout=out)
    assert "2 anchor(s) agree" in out.getvalue()
    assert "every audit row is anchored" in out.getvalue()
    # Each anchor is provably in the log under the signed head.
    sth = selectors.tree_head_latest()
    path = selectors.proof_inclusion(leaf_index=second.index, tree_size=sth.tree_size)
    assert v.verify_inclusion(
        bytes(second.leaf_hash), second.index, sth.tree_size, path, bytes(sth.root_hash)
    )


def test_anchor_is_the_documented_formula():
    """Chain and per-row Merkle root, recomputed here from the documented definitions."""
    _audit(3)
    [leaf] = services.audit_anchor_run()
    anchor = _entry(leaf)
    chain, row_leaves = bytes(32), []
    from qyzmet.audit.selectors import audit_entries_after

    for entry in audit_entries_after(after_id=0, limit=10):
        digest = hashlib.sha256(services.audit_entry_canonical(entry)).digest()
        chain = hashlib.sha256(chain + entry.id.to_bytes(8, "big") + digest).digest()
        row_leaves.append(v.leaf(entry.id.to_bytes(8, "big") + digest))
    assert base64.b64decode(anchor["chain_hash"]) == chain
    # RFC 9162 MTH over the 3 row leaves: H(H(l0, l1), l2)
    node = lambda a, b: hashlib.sha256(b"\x01" + a + b).digest()  # noqa: E731
    assert base64.b64decode(anchor["rows_root"]) == node(
        node(row_leaves[0], row_leaves[1]), row_leaves[2]
    )
    stored = AuditAnchorRows.objects.get(leaf_index=leaf.index)
    assert len(bytes(stored.rows)) == 3 * 40


def test_anchor_refuses_entries_not_after_the_last_anchor():
    _audit(2)
    [leaf] = services.audit_anchor_run()
    to_id = _entry(leaf)["to_id"]
    with pytest.raises(ValueError):
        services.audit_anchor_append(entries=[(to_id, b"{}")])
    assert services.audit_anchor_append(entries=[]) is None


def test_anchors_of_the_first_format_still_verify_and_name_their_range():
    """Anchors written before rows were recorded (no `version`, no `rows_root`) are checked by
    their chain and count, as before."""
    _audit(3)
    from qyzmet.audit.selectors import audit_entries_after

    rows = audit_entries_after(after_id=0, limit=10)
    chain = bytes(32)
    for entry in rows:
        chain = services.audit_chain_step(chain, entry.id, services.audit_entry_canonical(entry))
    old = {
        "type": "audit-anchor",
        "from_id": rows[0].id,
        "to_id": rows[-1].id,
        "count": 3,
        "previous_chain_hash": base64.b64encode(bytes(32)).decode(),
        "chain_hash": base64.b64encode(chain).decode(),
    }
    services.log_append(kind="audit-anchor", ref=f"{rows[-1].id:020d}", data=old)
    _audit(2, start=3)
    [new] = services.audit_anchor_run()  # version 2 continues the old chain
    assert _entry(new)["previous_chain_hash"] == old["chain_hash"]
    services.tree_head_current()
    assert selectors.audit_anchor_verify() == (2, [])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_no_update")
        else:
            cursor.execute("DROP TRIGGER audit_no_update")
        cursor.execute("UPDATE audit_auditentry SET action = 'x' WHERE id = %s", [rows[1].id])
    _checked, problems = selectors.audit_anchor_verify()
    assert problems == [
        f"anchor #0 (audit {rows[0].id}..{rows[-1].id}): the audit trail no longer hashes to "
        "the chain"
    ]


@pytest.mark.django_db(transaction=True)  # the scheduler closes connections after each task
def test_the_anchor_task_runs_every_minute_in_beat_and_in_the_embedded_scheduler(settings):
    from qyzmet.core.scheduler import Schedule, schedule_tick

    beat = settings.CELERY_BEAT_SCHEDULE.values()
    [spec] = [s for s in beat if s["task"] == "transparency.anchor_audit"]
    assert float(spec["schedule"]) <= 60.0
    schedule = Schedule.starting({"anchor": spec}, now=0.0, delay=0.0)
    _audit(2)
    assert schedule_tick(schedule, now=0.0) == ["anchor"]
    assert selectors.audit_anchor_verify() == (1, [])
    assert schedule_tick(schedule, now=59.0) == []
    assert schedule_tick(schedule, now=60.0) == ["anchor"]


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_can_write_the_log_and_still_be_flushed():
    """The flush after this test must get past the append-only triggers (see migration 0002)."""
    services.log_append(kind="document-issued", ref="flush-me", data={"x": 1})
    services.tree_head_current()
    assert selectors.log_size() == 1

"""Signed tree heads published outside the database: directory, e-mail and HTTP witnesses, after
commit through the outbox, retried when a witness fails; and the watermark that lets anchoring
skip no row of a transaction still in flight."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.core import mail
from django.db import connection

from qyzmet.audit.selectors import audit_id_watermark
from qyzmet.audit.services import Kind, audit_record
from qyzmet.core.models import OutboxEvent
from qyzmet.core.tasks import outbox_sweep
from qyzmet.transparency import services
from qyzmet.transparency.witnesses import WitnessConfigError, WitnessFailed, witnesses_configured
from qyzmet.transparency.witnesses.directory import DirectoryWitness

from .tamper import run

pytestmark = pytest.mark.django_db


def _signed(capture, n: int = 1):
    with capture(execute=True):
        for i in range(n):
            services.log_append(kind="document-issued", ref=f"w-{i}", data={"i": i})
        return services.tree_head_current()


def _verifies(document: dict) -> None:
    """The head checks with `cryptography` alone and the key it carries."""
    signature = base64.b64decode(document["tree_head_signature"])
    signed = (
        b"\x00\x01"
        + document["timestamp"].to_bytes(8, "big")
        + document["tree_size"].to_bytes(8, "big")
        + base64.b64decode(document["sha256_root_hash"])
    )
    key = load_pem_public_key(document["public_key"].encode())
    key.verify(signature[4:], signed, ec.ECDSA(hashes.SHA256()))


def test_the_directory_witness_gets_one_file_per_head_never_overwritten(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.QYZMET_TREE_HEAD_WITNESSES = [{"kind": "directory", "path": str(tmp_path)}]
    head = _signed(django_capture_on_commit_callbacks, 3)
    path = tmp_path / "sth-00000000000000000003.json"
    document = json.loads(path.read_text())
    assert document["tree_size"] == 3 == head.tree_size
    assert base64.b64decode(document["sha256_root_hash"]) == bytes(head.root_hash)
    _verifies(document)
    witness = DirectoryWitness(path=tmp_path)
    witness.publish(document)  # the same head again: accepted, nothing changes
    forged = {**document, "sha256_root_hash": base64.b64encode(bytes(32)).decode()}
    with pytest.raises(WitnessFailed, match="already holds a different head"):
        witness.publish(forged)
    assert json.loads(path.read_text()) == document
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    assert run("verify_tree_heads", "--witness", str(tmp_path))[0] == 0


def test_the_email_witness_mails_each_head(settings, django_capture_on_commit_callbacks):
    settings.QYZMET_TREE_HEAD_WITNESSES = [{"kind": "email", "to": "witness@oversight.example"}]
    _signed(django_capture_on_commit_callbacks, 2)
    [message] = mail.outbox
    assert message.to == ["witness@oversight.example"]
    assert "2" in message.subject and message.extra_headers["X-Qyzmet-Tree-Size"] == "2"
    document = json.loads(message.body)
    assert document["tree_size"] == 2
    _verifies(document)


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[bytes] = []
    status = 201

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append(body)
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver():
    _Receiver.bodies, _Receiver.status = [], 201
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/heads"
    server.shutdown()
    server.server_close()


def test_a_failing_witness_is_retried_by_the_outbox_until_it_has_the_head(
    settings, tmp_path, receiver, django_capture_on_commit_callbacks
):
    settings.QYZMET_TREE_HEAD_WITNESSES = [
        {"kind": "directory", "path": str(tmp_path)},
        {"kind": "http", "url": receiver},
    ]
    _Receiver.status = 503
    _signed(django_capture_on_commit_callbacks)
    event = OutboxEvent.objects.get(topic="transparency.tree_head_signed")
    assert event.dispatched_at is None and f"http:{receiver}: HTTP 503" in event.last_error
    assert (tmp_path / "sth-00000000000000000001.json").exists()  # the other witness has it
    _Receiver.status = 201
    outbox_sweep()
    event.refresh_from_db()
    assert event.dispatched_at is not None
    document = json.loads(_Receiver.bodies[-1])
    assert document["tree_size"] == 1
    _verifies(document)


def test_witness_configuration_errors_name_the_entry(settings):
    settings.QYZMET_TREE_HEAD_WITNESSES = [{"kind": "directory", "path": "/tmp"}, {"kind": "fax"}]
    with pytest.raises(WitnessConfigError, match=r"\[1\]: unknown kind 'fax'"):
        witnesses_configured()
    settings.QYZMET_TREE_HEAD_WITNESSES = [{"kind": "email"}]
    with pytest.raises(WitnessConfigError, match=r"\[0\]"):
        witnesses_configured()


def test_a_witnessed_head_with_a_bad_signature_is_named(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.QYZMET_TREE_HEAD_WITNESSES = [{"kind": "directory", "path": str(tmp_path)}]
    _signed(django_capture_on_commit_callbacks, 2)
    path = tmp_path / "sth-00000000000000000002.json"
    document = json.loads(path.read_text())
    document["timestamp"] += 1
    path.write_text(json.dumps(document))
    status, _out, err = run("verify_tree_heads", "--witness", str(tmp_path))
    assert status == 1
    assert f"witnessed head of size 2 ({path}): its signature does not verify" in err


@pytest.mark.django_db(transaction=True)
def test_anchoring_waits_for_a_writer_in_flight_and_then_skips_none_of_its_rows():
    """PostgreSQL hands out ids before commit: a row committed later can have a lower id than
    one already visible. The anchor waits for that writer instead of anchoring past its row."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: its largest committed id is the watermark")
    import psycopg

    params = connection.get_connection_params()
    other = psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"})
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_auditentry (at, kind, actor_label, action, object_type, "
                "object_id, subject_iin, purpose, data) VALUES (now(), 'read', 'system', "
                "'read:late', '', '', '', '', '{}') RETURNING id"
            )
            (late_id,) = cursor.fetchone()
        early = audit_record(actor=None, kind=Kind.CHANGE, action="visible.first")
        assert early.id > late_id
        assert audit_id_watermark(wait_seconds=0.2) is None  # the writer is still open
        assert services.audit_anchor_run(wait_seconds=0.2) == []
        other.commit()
    finally:
        other.close()
    [leaf] = services.audit_anchor_run()
    anchor = json.loads(bytes(leaf.entry))
    assert (anchor["from_id"], anchor["to_id"], anchor["count"]) == (late_id, early.id, 2)
    services.tree_head_current()
    assert run("verify_audit_anchor")[0] == 0

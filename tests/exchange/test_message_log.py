"""The message log: append-only at the database level, tampering detected, archives verify."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from qyzmet.exchange.messagelog import message_log_verify
from qyzmet.exchange.models import MessageLogArchive, MessageLogEntry

from .factories import SERVICE_ID, grant, machine_client, service

pytestmark = pytest.mark.django_db
PATH = f"/r1/{SERVICE_ID}/services"


def _exchanges(n: int) -> None:
    service()
    grant()
    mc = machine_client()
    for _ in range(n):
        assert mc.call(Client(), PATH, user_id="900517300017", purpose="test").status_code == 200


def _lift_triggers() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE exchange_messagelogentry DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER exchange_log_no_update")
            cursor.execute("DROP TRIGGER exchange_log_no_delete")


def test_intact_log_verifies():
    _exchanges(3)
    result = message_log_verify()
    assert result.ok, result.problems
    assert result.checked == 6
    call_command("verify_message_log")


def test_database_refuses_update_and_delete():
    _exchanges(1)
    entry = MessageLogEntry.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        MessageLogEntry.objects.filter(pk=entry.pk).update(purpose="other")
    with pytest.raises(DatabaseError), transaction.atomic():
        MessageLogEntry.objects.filter(pk=entry.pk)._raw_delete(using="default")


def test_edited_row_is_detected():
    _exchanges(2)
    entry = MessageLogEntry.objects.order_by("id")[1]
    _lift_triggers()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE exchange_messagelogentry SET purpose = %s WHERE id = %s",
                       ["looked for fun", entry.pk])  # fmt: skip
    result = message_log_verify()
    assert not result.ok
    assert any(f"entry {entry.pk}: content altered" in p for p in result.problems)
    with pytest.raises(CommandError):
        call_command("verify_message_log")


def test_rehashed_edit_is_caught_by_the_chain_or_the_signature():
    _exchanges(2)
    entry = MessageLogEntry.objects.filter(direction="response").order_by("id").first()
    from qyzmet.exchange.messagelog import entry_hash

    row = MessageLogEntry.objects.filter(pk=entry.pk).values().get()
    row["body"] = '{"forged": true}'
    _lift_triggers()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE exchange_messagelogentry SET body = %s, entry_hash = %s "
                       "WHERE id = %s", [row["body"], entry_hash(row["prev_hash"], row),
                                         entry.pk])  # fmt: skip
    problems = message_log_verify().problems
    assert any("chain broken" in p for p in problems)
    assert any("body does not match its hash" in p for p in problems)


def test_removed_row_is_detected():
    _exchanges(2)
    entry = MessageLogEntry.objects.order_by("id")[1]
    _lift_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM exchange_messagelogentry WHERE id = %s", [entry.pk])
    problems = message_log_verify().problems
    assert any("chain broken" in p for p in problems)


def test_archive_moves_old_entries_to_a_signed_file_that_still_verifies(tmp_path):
    _exchanges(2)
    cut = timezone.now() + dt.timedelta(seconds=1)
    MessageLogEntry.objects.count()
    out = tmp_path / "log-2026.jsonl"
    call_command("archive_message_log", before=cut.isoformat(), out=str(out))
    assert MessageLogEntry.objects.count() == 0
    assert MessageLogArchive.objects.count() == 1
    lines = out.read_text().splitlines()
    assert json.loads(lines[0])["entries"] == 4 and len(lines) == 5
    _exchanges_more()
    call_command("verify_message_log", archive=[str(out)])
    assert message_log_verify(archives=[out]).checked == 6
    # A changed archive no longer verifies.
    out.write_text(out.read_text().replace('"purpose": "test"', '"purpose": "fun"', 1))
    with pytest.raises(CommandError):
        call_command("verify_message_log", archive=[str(out)])


def _exchanges_more() -> None:
    from qyzmet.exchange.models import ClientKey

    key = ClientKey.objects.first()
    assert key is not None
    mc = machine_client("KZ/GOV/990340001052/tax")
    grant(client_id=mc.client_id)
    assert mc.call(Client(), PATH, user_id="900517300017", purpose="x").status_code == 200


def test_archived_rows_only_may_be_deleted():
    _exchanges(1)
    first = MessageLogEntry.objects.order_by("id").first()
    MessageLogArchive.objects.create(first_id=0, last_id=first.pk - 1, first_prev_hash="0",
                                     last_hash="0", entries=0, file_name="x",
                                     file_sha256="0")  # fmt: skip
    with pytest.raises(DatabaseError), transaction.atomic():
        MessageLogEntry.objects.filter(pk=first.pk)._raw_delete(using="default")

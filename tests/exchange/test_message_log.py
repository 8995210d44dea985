"""The message log: append-only at the database level, tampering detected, archives verify."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from qyzmet.exchange import messagelog
from qyzmet.exchange.messagelog import entry_hash, message_log_seal, message_log_verify
from qyzmet.exchange.models import MessageLogArchive, MessageLogEntry, MessageLogSeal

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
            cursor.execute("DROP TRIGGER IF EXISTS exchange_log_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS exchange_log_no_delete")


def _seal():
    seal = message_log_seal()
    assert seal is not None
    return seal


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_intact_log_verifies_before_and_after_sealing():
    _exchanges(3)
    before = message_log_verify()
    assert before.ok, before.problems
    assert (before.checked, before.seals, before.unsealed) == (6, 0, 6)
    seal = _seal()
    assert (seal.entries, seal.ranges) == (6, f"{seal.first_id}-{seal.first_id + 5}")
    after = message_log_verify()
    assert after.ok, after.problems
    assert (after.checked, after.seals, after.unsealed) == (6, 1, 0)
    assert message_log_seal() is None  # nothing left to seal
    _exchanges_more()
    call_command("verify_message_log")  # seals the new exchange first
    assert MessageLogSeal.objects.count() == 2
    assert message_log_verify().unsealed == 0


def test_writers_do_not_chain_at_insert():
    _exchanges(1)
    rows = list(MessageLogEntry.objects.order_by("id").values("prev_hash", "entry_hash"))
    assert [r["prev_hash"] for r in rows] == ["", ""]
    assert rows[0]["entry_hash"] != rows[1]["entry_hash"]


def test_database_refuses_update_and_delete():
    _exchanges(1)
    entry = MessageLogEntry.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        MessageLogEntry.objects.filter(pk=entry.pk).update(purpose="other")
    with pytest.raises(DatabaseError), transaction.atomic():
        MessageLogEntry.objects.filter(pk=entry.pk)._raw_delete(using="default")
    seal = _seal()
    with pytest.raises(DatabaseError), transaction.atomic():
        MessageLogSeal.objects.filter(pk=seal.pk).update(ranges="1-2")
    with pytest.raises(DatabaseError), transaction.atomic():
        MessageLogSeal.objects.filter(pk=seal.pk)._raw_delete(using="default")


def test_edited_row_is_detected_sealed_or_not():
    _exchanges(2)
    entry = MessageLogEntry.objects.order_by("id")[1]
    _lift_triggers()
    _sql("UPDATE exchange_messagelogentry SET purpose = %s WHERE id = %s",
         ["looked for fun", entry.pk])  # fmt: skip
    result = message_log_verify()
    assert any(f"entry {entry.pk}: content altered" in p for p in result.problems)
    with pytest.raises(CommandError):
        call_command("verify_message_log")
    # The sealer refuses the altered entry (and its request: an exchange is sealed whole).
    assert not MessageLogSeal.objects.exists()


def _rehash(entry_pk: int, **changes) -> None:
    row = MessageLogEntry.objects.filter(pk=entry_pk).values().get()
    row.update(changes)
    sets = ", ".join(f"{k} = %s" for k in changes)
    _lift_triggers()
    statement = f"UPDATE exchange_messagelogentry SET {sets}, entry_hash = %s WHERE id = %s"  # noqa: S608
    _sql(statement, [*changes.values(), entry_hash(row["prev_hash"], row), entry_pk])


def test_rehashed_edit_of_a_sealed_entry_breaks_its_seal():
    _exchanges(2)
    _seal()
    entry = MessageLogEntry.objects.filter(direction="request").order_by("id").first()
    # The purpose of a request is in what the client signed; `outcome` is not signed at all:
    # only the seal catches a rehashed edit of it.
    _rehash(entry.pk, outcome="Server.ServerProxy.AccessDenied")
    problems = message_log_verify().problems
    assert any("digest does not match" in p for p in problems), problems
    assert not any("content altered" in p for p in problems)


def test_rehashed_edit_of_an_unsealed_entry_is_caught_by_what_was_signed():
    _exchanges(2)
    entry = MessageLogEntry.objects.filter(direction="response").order_by("id").first()
    _rehash(entry.pk, body='{"forged": true}')
    problems = message_log_verify().problems
    assert any(f"entry {entry.pk}: body does not match its hash" in p for p in problems), problems
    # ... and so is an edit of `outcome`, which no signed text holds: it must fit the signed
    # status and body, and the response repeats it (tests/exchange/test_messagelog_tamper.py).
    other = MessageLogEntry.objects.filter(direction="request").order_by("id").last()
    _rehash(other.pk, outcome="Server.ServerProxy.AccessDenied")
    problems = message_log_verify().problems
    assert any(f"entry {other.pk + 1}: outcome differs from its request" in p
               for p in problems), problems  # fmt: skip


def test_removed_sealed_row_is_detected():
    _exchanges(2)
    _seal()
    entry = MessageLogEntry.objects.order_by("id")[1]
    _lift_triggers()
    _sql("DELETE FROM exchange_messagelogentry WHERE id = %s", [entry.pk])
    problems = message_log_verify().problems
    assert any(f"sealed entries removed: {entry.pk}" in p for p in problems), problems


def test_reordered_sealed_rows_are_detected():
    _exchanges(2)
    _seal()
    a, b = MessageLogEntry.objects.order_by("id").values_list("id", flat=True)[:2]
    _lift_triggers()
    _sql("UPDATE exchange_messagelogentry SET id = %s WHERE id = %s", [-1, a])
    _sql("UPDATE exchange_messagelogentry SET id = %s WHERE id = %s", [a, b])
    _sql("UPDATE exchange_messagelogentry SET id = %s WHERE id = %s", [b, -1])
    result = message_log_verify()
    assert not any("content altered" in p for p in result.problems)  # each row is intact...
    assert any("digest does not match" in p for p in result.problems)  # ...but not in place


def _lift_seal_triggers() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE exchange_messagelogseal DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS exchange_seal_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS exchange_seal_no_delete")


def test_altered_or_removed_seal_is_detected():
    _exchanges(1)
    first = _seal()
    _exchanges_more()
    second = _seal()
    _exchanges_more_again()
    third = _seal()
    _lift_seal_triggers()
    _sql("UPDATE exchange_messagelogseal SET ranges = %s WHERE id = %s",
         [f"{first.first_id}", first.pk])  # fmt: skip
    problems = message_log_verify().problems
    assert any(f"seal {first.pk}: seal altered" in p for p in problems), problems
    _sql("DELETE FROM exchange_messagelogseal WHERE id = %s", [second.pk])
    problems = message_log_verify().problems
    assert any(f"seal {third.pk}: seal chain broken" in p for p in problems), problems


class _Undo(Exception):
    pass


def _exchange_rows() -> list[dict]:
    """The two rows of a real exchange, whose own INSERT is then rolled back: a genuine pair
    to write again under other ids (as a long transaction commits behind a seal)."""
    mc = machine_client("KZ/GOV/990340001054/akimat")
    grant(client_id=mc.client_id)
    try:
        with transaction.atomic():
            assert mc.call(Client(), PATH, user_id="900517300017", purpose="z").status_code == 200
            rows = list(MessageLogEntry.objects.order_by("-id").values()[:2])
            raise _Undo
    except _Undo:
        pass
    return sorted(rows, key=lambda r: r["id"])


def test_entry_committed_behind_a_seal_is_sealed_later():
    """A long transaction can commit an exchange whose ids a newer seal has passed: it is not
    covered by that seal (a gap), counts as unsealed, and the next seal takes it."""
    _exchanges(1)
    top = MessageLogEntry.objects.order_by("-id").values_list("id", flat=True)[0]
    late = [{**row, "id": top + 4 + n} for n, row in enumerate(_exchange_rows())]
    ahead = [{**row, "id": top + 9 + n} for n, row in enumerate(_exchange_rows())]
    MessageLogEntry.objects.bulk_create([MessageLogEntry(**row) for row in ahead])
    first = _seal()
    assert first.ranges.endswith(f",{top + 9}-{top + 10}")
    MessageLogEntry.objects.bulk_create([MessageLogEntry(**row) for row in late])  # behind it
    result = message_log_verify()
    assert result.ok and result.unsealed == 2, result.problems
    second = _seal()
    assert second.ranges == f"{top + 4}-{top + 5}"
    result = message_log_verify()
    assert result.ok and (result.unsealed, result.seals) == (0, 2)


def test_gateway_seals_every_n_entries_after_commit(settings, django_capture_on_commit_callbacks):
    settings.QYZMET_EXCHANGE_SEAL_EVERY = 4
    settings.QYZMET_EXCHANGE_SEAL_GRACE = 0
    messagelog._since_seal = 0
    with django_capture_on_commit_callbacks(execute=True):
        _exchanges(1)
    assert MessageLogSeal.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        _exchanges_more()
    assert MessageLogSeal.objects.get().entries == 4
    call_command("seal_message_log", grace=0)
    assert message_log_verify().ok


def test_archive_moves_old_sealed_entries_to_a_signed_file_that_still_verifies(tmp_path):
    _exchanges(2)
    cut = timezone.now() + dt.timedelta(seconds=1)
    out = tmp_path / "log-2026.jsonl"
    call_command("archive_message_log", before=cut.isoformat(), out=str(out))
    assert MessageLogEntry.objects.count() == 0
    assert MessageLogArchive.objects.count() == 1
    lines = out.read_text().splitlines()
    assert json.loads(lines[0])["entries"] == 4 and len(lines) == 6  # header, seal, 4 entries
    _exchanges_more()
    call_command("verify_message_log", archive=[str(out)])
    result = message_log_verify(archives=[out])
    assert result.ok and result.checked == 6 and result.seals == 3  # 1 in the file, 2 here
    # A changed archive no longer verifies.
    out.write_text(out.read_text().replace('"purpose": "test"', '"purpose": "fun"', 1))
    with pytest.raises(CommandError):
        call_command("verify_message_log", archive=[str(out)])


def _exchanges_more() -> None:
    mc = machine_client("KZ/GOV/990340001052/tax")
    grant(client_id=mc.client_id)
    assert mc.call(Client(), PATH, user_id="900517300017", purpose="x").status_code == 200


def _exchanges_more_again() -> None:
    mc = machine_client("KZ/GOV/990340001053/customs")
    grant(client_id=mc.client_id)
    assert mc.call(Client(), PATH, user_id="900517300017", purpose="y").status_code == 200


def test_archived_rows_only_may_be_deleted():
    _exchanges(1)
    first = MessageLogEntry.objects.order_by("id").first()
    MessageLogArchive.objects.create(first_id=0, last_id=first.pk - 1, first_prev_hash="0",
                                     last_hash="0", entries=0, file_name="x",
                                     file_sha256="0")  # fmt: skip
    with pytest.raises(DatabaseError), transaction.atomic():
        MessageLogEntry.objects.filter(pk=first.pk)._raw_delete(using="default")


def test_scheduled_sealing_task_seals_everything_pending():
    from qyzmet.exchange.tasks import message_log_seal_task

    _exchanges(2)
    assert message_log_verify().unsealed == 4
    assert message_log_seal_task(grace_seconds=0) == 4
    assert message_log_seal_task(grace_seconds=0) == 0
    assert message_log_verify().unsealed == 0

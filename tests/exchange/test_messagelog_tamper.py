"""The insider's attacks on the message log, done for real: lift the append-only triggers with
raw SQL, edit rows, recompute `entry_hash` (and the seal chain) with the project's own hashing
functions, then ask `verify_message_log` and `seal_message_log`.

What an insider with database access cannot redo is a signature: the client's over its request
and the gateway's over its response (the gateway key lives in a key file or an HSM in
production, not in the database). Every meaningful column is compared with those signed texts
(qyzmet/exchange/logcheck.py), so each forged column is named, sealed or not, and sealing stops
at the first inconsistent entry."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from importlib import import_module

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from qyzmet.exchange import logcheck, signing
from qyzmet.exchange.messagelog import (
    GENESIS,
    MessageLogInconsistent,
    entry_hash,
    message_log_seal,
    message_log_verify,
    ranges_ids,
    seal_digest,
    seal_hash,
)
from qyzmet.exchange.models import MessageLogEntry, MessageLogSeal

from .factories import SERVICE_ID, grant, machine_client, service

pytestmark = pytest.mark.django_db
PATH = f"/r1/{SERVICE_ID}/services"
CITIZEN = "900517300017"
OTHER_CITIZEN = "851231400123"
_TRIGGERS = import_module("qyzmet.exchange.migrations.0002_message_log_append_only")
_SEAL_TRIGGERS = import_module("qyzmet.exchange.migrations.0003_directory_cache_and_seals")


# --- the insider's tools ----------------------------------------------------------------------


def _sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def _triggers_drop() -> None:
    """What the insider runs: DROP TRIGGER, not a Django API."""
    if connection.vendor == "postgresql":
        _sql("DROP TRIGGER exchange_log_no_change ON exchange_messagelogentry")
        _sql("DROP TRIGGER exchange_seal_no_change ON exchange_messagelogseal")
    else:
        for name in ("exchange_log_no_update", "exchange_log_no_delete",
                     "exchange_seal_no_update", "exchange_seal_no_delete"):  # fmt: skip
            _sql(f"DROP TRIGGER {name}")


def _triggers_create() -> None:
    """The migrations' own statements, as the insider would restore them to hide the deed."""
    if connection.vendor == "postgresql":
        _sql(_TRIGGERS.POSTGRES[1])
        _sql(_SEAL_TRIGGERS.POSTGRES[-1])
    else:
        _sql(_TRIGGERS.SQLITE[0])
        for sql in (*_TRIGGERS.SQLITE_DELETE_TRIGGERS[:1], *_SEAL_TRIGGERS._sqlite()[-2:]):
            _sql(sql)


def _update_refused() -> bool:
    entry = MessageLogEntry.objects.values_list("pk", flat=True).first()
    try:
        with transaction.atomic():
            MessageLogEntry.objects.filter(pk=entry).update(purpose="probe")
    except DatabaseError:
        return True
    return False


@pytest.fixture
def insider() -> Iterator[None]:
    """The triggers are dropped for the test and put back (and checked) at its end."""
    _triggers_drop()
    yield
    _triggers_create()
    assert _update_refused()


def _forge(entry_id: int, **changes) -> None:
    """Change columns and recompute `entry_hash` with the project's own function."""
    row = MessageLogEntry.objects.filter(pk=entry_id).values().get()
    row.update(changes)
    params = {**changes, "entry_hash": entry_hash(row["prev_hash"], row)}
    if "at" in params:
        params["at"] = connection.ops.adapt_datetimefield_value(params["at"])
    sets = ", ".join(f"{column} = %s" for column in params)
    _sql(f"UPDATE exchange_messagelogentry SET {sets} WHERE id = %s",  # noqa: S608
         [*params.values(), entry_id])  # fmt: skip


def _reseal(*, sign: bool) -> None:
    """Recompute every seal's digest and the chain after the edit, as the insider would; only
    an insider holding the gateway's private key (`sign`) can also redo the signatures."""
    prev = GENESIS
    hashes = dict(MessageLogEntry.objects.values_list("id", "entry_hash"))
    for seal in MessageLogSeal.objects.order_by("id").values():
        seal["digest"] = seal_digest((i, hashes[i]) for i in ranges_ids(seal["ranges"]))
        seal["prev_hash"], seal["seal_hash"] = prev, seal_hash(prev, seal)
        signature = signing.gateway_signer().sign(seal["seal_hash"]) if sign \
            else seal["signature"]  # fmt: skip
        _sql("UPDATE exchange_messagelogseal SET digest = %s, prev_hash = %s, seal_hash = %s, "
             "signature = %s WHERE id = %s",
             [seal["digest"], prev, seal["seal_hash"], signature, seal["id"]])  # fmt: skip
        prev = seal["seal_hash"]


# --- the traffic --------------------------------------------------------------------------------


@pytest.fixture
def mc():
    service()
    grant()
    return machine_client()


def _exchange(mc, *, user_id: str = CITIZEN, purpose: str = "application 7 for service x",
              status: int = 200, **kw) -> tuple[int, int]:  # fmt: skip
    """One call through the gateway; the ids of its request and response entries."""
    assert mc.call(Client(), PATH, user_id=user_id, purpose=purpose, **kw).status_code == status
    newest = MessageLogEntry.objects.order_by("-id").values_list("id", flat=True)[:2]
    response, request = newest
    return request, response


def _verify() -> tuple[str, int]:
    """`verify_message_log` as cron runs it: (its stderr, its exit status)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_message_log", stdout=out, stderr=err)
    except CommandError as exc:
        return err.getvalue() + str(exc), exc.returncode
    return out.getvalue(), 0


def _seal_refused() -> str:
    err = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("seal_message_log", grace=0, stderr=err)
    assert "Sealing REFUSED" in str(refused.value)
    return err.getvalue() + str(refused.value)


def _sealed_ids() -> set[int]:
    return {i for s in MessageLogSeal.objects.values_list("ranges", flat=True)
            for i in ranges_ids(s)}  # fmt: skip


# --- the attacks ------------------------------------------------------------------------------


def test_forged_end_user_and_purpose_of_an_unsealed_request_are_named_and_not_sealed(mc,
                                                                                      insider):
    before = _exchange(mc)
    request, response = _exchange(mc)
    after = _exchange(mc)
    # The insider makes the log say another citizen's data was read, for another reason, in
    # both rows of the exchange, each with its entry_hash recomputed.
    for entry in (request, response):
        _forge(entry, user_id=OTHER_CITIZEN, purpose="tax audit 2026-17")
    out, status = _verify()
    assert status == 1
    assert f"entry {request}: user_id differs from the signed request" in out
    assert f"entry {request}: purpose differs from the signed request" in out
    assert "content altered" not in out  # the hashes were recomputed: only the signed text tells
    # verify_message_log sealed the honest exchange before it and nothing from it on.
    assert set(before) <= _sealed_ids()
    assert not {request, response, *after} & _sealed_ids()
    refused = _seal_refused()
    assert f"entry {request}: user_id differs from the signed request" in refused
    assert not {request, response, *after} & _sealed_ids()


def test_forged_response_status_401_to_200_is_named_and_not_sealed(mc, insider):
    bad_key = signing.Signer(signing.key_generate(), mc.signer.key_id)
    refused = type(mc)(mc.client_id, bad_key)
    request, response = _exchange(refused, status=401)
    _forge(response, status=200)
    out, status = _verify()
    assert status == 1
    assert f"entry {response}: status differs from the signed response" in out
    assert f"entry {response}: outcome differs from the signed response (status 401)" in out
    # A thorough insider also makes it look forwarded: outcome "ok" in both rows, the request
    # no longer marked rejected (so its signature is checked: it does not verify), no body.
    for entry in (request, response):
        _forge(entry, outcome="ok")
    _forge(request, signer=mc.signer.key_id)
    _forge(response, body="")
    out, status = _verify()
    assert status == 1
    assert f"entry {response}: status differs from the signed response" in out
    assert f"entry {request}: signature does not verify" in out
    assert f"entry {response}" in _seal_refused()
    assert not {request, response} & _sealed_ids()


# (row, column, forged value, what verify_message_log says about which row)
FORGERIES = [
    ("request", "client", "KZ/GOV/990340001052/tax", "request",
     "client differs from the signed request"),
    ("request", "service", "KZ/GOV/990340020029/testreg/other", "request",
     "service differs from the signed request's path"),
    ("request", "method", "DELETE", "request", "method differs from the signed request"),
    ("request", "path", f"/r1/{SERVICE_ID}/other", "request",
     "path differs from the signed request"),
    ("request", "message_id", "forged-id", "request",
     "message_id differs from the signed request"),
    ("request", "body_hash", signing.body_hash(b"x"), "request",
     "body_hash differs from the signed request"),
    ("request", "status", 200, "request", "status differs from the signed request"),
    ("request", "signed", "qyzmet-exchange-request/1\nGET", "request",
     "signed text is not a request's"),
    ("request", "signer", "rejected:x", "request", "signer: marked rejected or not against"),
    ("request", "request_id", "0" * 32, "response", "its request entry is missing"),
    ("request", "at", dt.timedelta(hours=-3), "response", "at differs from its request"),
    ("request", "outcome", "Server.ServerProxy.AccessDenied", "response",
     "outcome differs from its request"),
    ("request", "direction", "response", "request", "signed text is not a response's"),
    ("response", "request_id", "0" * 32, "response",
     "request_id differs from the signed response"),
    ("response", "message_id", "forged-id", "response",
     "message_id differs from the signed response"),
    ("response", "body_hash", signing.body_hash(b"x"), "response",
     "body_hash differs from the signed response"),
    ("response", "body", '{"people": []}', "response", "body does not match its hash"),
    ("response", "at", dt.timedelta(hours=-3), "response",
     "at differs from the signed response's timestamp"),
    ("response", "outcome", "Server.ServerProxy.AccessDenied", "response",
     "outcome differs from the signed response (status 200)"),
    ("response", "user_id", OTHER_CITIZEN, "response", "user_id differs from its request"),
    ("response", "purpose", "curiosity", "response", "purpose differs from its request"),
    ("response", "client", "KZ/GOV/990340001052/tax", "response",
     "client differs from its request"),
    ("response", "service", "", "response", "service differs from its request"),
    ("response", "signer", "0" * 32, "response", "signer: signed with an unknown key"),
    ("response", "signature", signing.sign(signing.key_generate(), "x"), "response",
     "signature does not verify"),
]  # fmt: skip


@pytest.mark.parametrize("row,column,value,named,says", FORGERIES,
                         ids=[f"{f[0]}.{f[1]}" for f in FORGERIES])  # fmt: skip
def test_each_meaningful_column_forged_and_rehashed_is_named(mc, insider, row, column, value,
                                                             named, says):  # fmt: skip
    ids = dict(zip(("request", "response"), _exchange(mc), strict=True))
    if isinstance(value, dt.timedelta):
        value = MessageLogEntry.objects.values_list("at", flat=True).get(pk=ids[row]) + value
    _forge(ids[row], **{column: value})
    out, status = _verify()
    assert status == 1
    assert f"entry {ids[named]}: {says}" in out, out
    assert "content altered" not in out
    assert f"entry {ids[named]}: {says}" in _seal_refused()
    assert not set(ids.values()) & _sealed_ids()


def test_forged_sealed_entry_is_named_even_with_the_seal_chain_recomputed(mc, insider):
    request, response = _exchange(mc)
    later = _exchange(mc)
    message_log_seal()
    _forge(request, user_id=OTHER_CITIZEN)
    _forge(response, user_id=OTHER_CITIZEN)
    _reseal(sign=False)  # digest and chain redone; the gateway's signature cannot be
    out, status = _verify()
    assert status == 1
    assert f"entry {request}: user_id differs from the signed request" in out
    assert "the gateway's signature does not verify" in out
    # Even an insider holding the gateway's key (re-signing every seal) cannot sign as the
    # client: the forged end user is still named.
    _reseal(sign=True)
    out, status = _verify()
    assert status == 1
    assert f"entry {request}: user_id differs from the signed request" in out
    assert "seal" not in out.replace("Sealing refused", "")
    assert set(later) <= _sealed_ids()


def test_removed_entries_are_named(mc, insider):
    sealed_request, sealed_response = _exchange(mc)
    message_log_seal()
    request, response = _exchange(mc)
    _sql("DELETE FROM exchange_messagelogentry WHERE id = %s", [sealed_response])
    _sql("DELETE FROM exchange_messagelogentry WHERE id = %s", [response])
    out, status = _verify()
    assert status == 1
    assert f"sealed entries removed: {sealed_response}" in out
    assert f"entry {sealed_request}: its response entry is missing" in out
    assert f"entry {request}: its response entry is missing" in out
    assert f"entry {request}" in _seal_refused()
    assert request not in _sealed_ids()


def test_truncated_tail_after_a_seal(mc, insider):
    first = _exchange(mc)
    out, status = _verify()
    assert status == 0
    head = out.rsplit("Newest seal: ", 1)[1].strip()
    _exchange(mc)
    out, status = _verify()
    assert status == 0
    newer_head = out.rsplit("Newest seal: ", 1)[1].strip()
    # The insider cuts the last seal and its exchange off the end ...
    newest = MessageLogSeal.objects.order_by("-id").first()
    _sql("DELETE FROM exchange_messagelogentry WHERE id BETWEEN %s AND %s",
         [newest.first_id, newest.last_id])  # fmt: skip
    _sql("DELETE FROM exchange_messagelogseal WHERE id = %s", [newest.pk])
    # ... the database alone still reads as a shorter, intact log (docs/exchange.md says so)
    assert message_log_verify().ok
    # ... but the head an earlier run printed is gone: kept outside, it tells.
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("verify_message_log", head=[head, newer_head], stderr=err)
    assert failed.value.returncode == 1
    assert f"seal {newer_head}: reported by an earlier verification, now gone" in err.getvalue()
    assert f"seal {head}:" not in err.getvalue()
    assert set(first) <= _sealed_ids()
    # Cutting entries but keeping their seal is named at once.
    _sql("DELETE FROM exchange_messagelogentry WHERE id = %s", [first[1]])
    assert any(f"sealed entries removed: {first[1]}" in p for p in message_log_verify().problems)


def test_whole_unsealed_exchange_removed_is_the_window_sealing_closes(mc, insider):
    """Documented limit (docs/exchange.md): both rows of a not yet sealed exchange deleted
    leave nothing to compare with. The gateway's seal every SEAL_EVERY entries, the scheduled
    `seal_message_log` and the --head check keep that window small."""
    _exchange(mc)
    request, response = _exchange(mc)
    _sql("DELETE FROM exchange_messagelogentry WHERE id IN (%s, %s)", [request, response])
    assert message_log_verify().ok


def test_sealer_refuses_in_the_api_too_and_seals_whole_exchanges_before(mc, insider):
    honest = _exchange(mc)
    _, response = _exchange(mc)
    _forge(response, status=500)
    with pytest.raises(MessageLogInconsistent) as refused:
        message_log_seal()
    assert refused.value.sealed is not None
    assert set(ranges_ids(refused.value.sealed.ranges)) == set(honest)
    assert refused.value.problems[0].startswith(f"entry {response}: status differs")
    with pytest.raises(MessageLogInconsistent) as again:  # and again, sealing nothing
        message_log_seal()
    assert again.value.sealed is None


def test_scheduled_sealing_task_refuses_too(mc, insider):
    from qyzmet.exchange.tasks import message_log_seal_task

    request, _ = _exchange(mc)
    _forge(request, purpose="looked for fun")
    with pytest.raises(MessageLogInconsistent, match=f"entry {request}: purpose differs"):
        message_log_seal_task(grace_seconds=0)
    assert request not in _sealed_ids()


# --- the ground the attacks stand on ----------------------------------------------------------


def test_dropped_triggers_come_back_with_a_rollback(mc):
    """DDL is transactional on PostgreSQL and on SQLite: a rolled-back DROP TRIGGER leaves the
    log append-only (what the `insider` fixture does not rely on, but may)."""
    _exchange(mc)
    assert _update_refused()
    with pytest.raises(RuntimeError), transaction.atomic():
        _triggers_drop()
        assert not _update_refused()
        raise RuntimeError("roll back")
    assert _update_refused()


def test_every_kind_of_real_traffic_verifies_and_seals(mc, settings):
    """No false alarm: each answer the gateway gives, with and without bodies kept."""
    from django.test import Client as HttpClient

    from qyzmet.exchange import headers

    http = HttpClient()
    _exchange(mc)
    mc.call(http, f"/r1/{SERVICE_ID.rsplit('/', 1)[0]}/listMethods")
    mc.call(http, f"/r1/{SERVICE_ID}/services", query={"q": "a/b?c"}, user_id=CITIZEN,
            purpose="қызмет №7 / услуга")  # fmt: skip
    mc.call(http, "/r1/KZ/GOV/990340020029/testreg/nothing/x", user_id=CITIZEN, purpose="p")
    mc.call(http, "/r1/KZ/GOV", user_id=CITIZEN, purpose="p")
    mc.call(http, PATH)  # no user id
    mc.call(http, PATH, user_id=CITIZEN)  # no purpose
    mc.call(http, PATH, user_id=CITIZEN, purpose="p", timestamp=0)
    h = mc.headers(method="GET", path=PATH, user_id=CITIZEN, purpose="p")
    http.get(PATH, headers=h)
    http.get(PATH, headers=h)  # replayed
    http.get(PATH, headers={**h, headers.SIGNATURE: "AAAA", headers.MESSAGE_ID: "m2"})
    http.get(PATH, headers={headers.MESSAGE_ID: "m3"})  # no client
    http.get(PATH, headers={headers.CLIENT: mc.client_id})  # no message id
    http.get(PATH, headers={**h, headers.CLIENT: "KZ/GOV/1/ghost", headers.MESSAGE_ID: "m4"})
    service(f"{SERVICE_ID}-closed")  # no right granted
    mc.call(http, f"/r1/{SERVICE_ID}-closed/x", user_id=CITIZEN, purpose="p")
    service(f"{SERVICE_ID}-down", base_url="")
    grant(service_id=f"{SERVICE_ID}-down")
    mc.call(http, f"/r1/{SERVICE_ID}-down/x", user_id=CITIZEN, purpose="p")
    mc.call(http, PATH, method="post", body=b'{"a": 1}', user_id=CITIZEN, purpose="p")
    settings.QYZMET_EXCHANGE_LOG_BODIES = False
    _exchange(mc)
    mc.call(http, PATH)
    outcomes = set(MessageLogEntry.objects.values_list("outcome", flat=True))
    assert len(outcomes) >= 12, outcomes
    result = message_log_verify()
    assert result.ok, result.problems
    call_command("seal_message_log", grace=0)
    assert message_log_verify().unsealed == 0


def test_every_refusal_the_gateway_gives_has_its_status_on_record():
    """logcheck.OUTCOME_STATUS must know each X-Road code gateway.py and transport.py answer
    with, and with the same status: else a real refusal would read as a forgery."""
    import re
    from pathlib import Path

    from qyzmet.exchange import gateway, transport

    found: dict[str, int] = {}
    for module in (gateway, transport):
        text = Path(module.__file__).read_text()
        pattern = r'(?:Refusal|Forwarded)\((\d{3}),.*?"([A-Z][\w.]+)"'
        for status, code in re.findall(pattern, text):
            found[code] = int(status)
    assert len(found) >= 14
    assert {c: logcheck.OUTCOME_STATUS.get(c) for c in found} == found

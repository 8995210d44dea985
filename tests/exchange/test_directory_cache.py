"""The per-process directory cache and the replay store: a revoked right or key stops the very
next call — whoever revoked it, in this process or another — and a message id passes once."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qyzmet.exchange import directory, gateway
from qyzmet.exchange.models import AccessRight, SeenMessage
from qyzmet.exchange.services import access_right_revoke

from .factories import CLIENT_ID, SERVICE_ID, grant, machine_client, service

PATH = f"/r1/{SERVICE_ID}/services"
PERSONAL = {"user_id": "900517300017", "purpose": "application 7 for service x"}
ROOT = Path(__file__).resolve().parents[2]


def _ready():
    service()
    grant()
    return machine_client()


@pytest.mark.django_db
def test_unchanged_directory_costs_one_token_read_per_call():
    mc = _ready()
    for _ in range(2):  # the first call creates the gateway's key: a directory change
        assert mc.call(Client(), PATH, **PERSONAL).status_code == 200
    loads = directory.stats["loads"]
    with CaptureQueriesContext(connection) as queries:
        assert mc.call(Client(), PATH, **PERSONAL).status_code == 200
    assert directory.stats["loads"] == loads  # the snapshot was reused...
    directory_reads = [q["sql"] for q in queries.captured_queries
                       if "exchange_" in q["sql"] and "exchange_messagelogentry" not in q["sql"]
                       and "exchange_seenmessage" not in q["sql"]]  # fmt: skip
    # ...after one read of the token (nothing else of the directory is read).
    assert directory_reads == [directory._VERSION_SQL]


@pytest.mark.django_db
def test_revoke_in_this_process_is_effective_at_once():
    mc = _ready()
    assert mc.call(Client(), PATH, **PERSONAL).status_code == 200  # cached with the right
    access_right_revoke(actor=None, service_id=SERVICE_ID, client_id=CLIENT_ID,
                        managed_orgs=None)  # fmt: skip
    assert mc.call(Client(), PATH, **PERSONAL).status_code == 403


@pytest.mark.django_db
def test_change_behind_our_back_is_seen_too():
    """A DELETE in SQL (a DBA, the admin, another application): the triggers change the token."""
    mc = _ready()
    assert mc.call(Client(), PATH, **PERSONAL).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM exchange_accessright")
    assert mc.call(Client(), PATH, **PERSONAL).status_code == 403
    with connection.cursor() as cursor:
        cursor.execute("UPDATE exchange_clientkey SET revoked_at = %s",
                       [connection.ops.adapt_datetimefield_value(timezone.now())])  # fmt: skip
    grant()
    assert mc.call(Client(), PATH, **PERSONAL).status_code == 401  # the key is gone


@pytest.mark.django_db
def test_rolled_back_grant_leaves_no_stale_right_in_the_cache():
    service()
    mc = machine_client()
    with pytest.raises(RuntimeError), transaction.atomic():
        grant()
        assert mc.call(Client(), PATH, **PERSONAL).status_code == 200  # cached with the grant
        raise RuntimeError("roll back")
    assert not AccessRight.objects.exists()
    assert mc.call(Client(), PATH, **PERSONAL).status_code == 403


def _other_process(code: str) -> None:
    cfg = connection.settings_dict
    url = (f"postgres://{cfg['USER']}:{cfg['PASSWORD'] or ''}@{cfg['HOST'] or '127.0.0.1'}:"
           f"{cfg['PORT'] or 5432}/{cfg['NAME']}")  # fmt: skip
    script = ("import django; django.setup()\n"
              "from qyzmet.exchange.services import access_right_grant, access_right_revoke\n"
              + code)  # fmt: skip
    env = {**os.environ, "QYZMET_DATABASE_URL": url, "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}",
           "DJANGO_SETTINGS_MODULE": "qyzmet.settings.embedded"}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.django_db(transaction=True)
def test_revoke_in_another_process_is_effective_at_once():
    if connection.vendor != "postgresql":
        pytest.skip("a second process needs a database it can reach (PostgreSQL)")
    mc = _ready()
    assert mc.call(Client(), PATH, **PERSONAL).status_code == 200  # this process has cached it
    args = f"service_id={SERVICE_ID!r}, client_id={CLIENT_ID!r}, managed_orgs=None, actor=None"
    _other_process(f"access_right_revoke({args})")
    assert mc.call(Client(), PATH, **PERSONAL).status_code == 403
    _other_process(f"access_right_grant({args})")
    assert mc.call(Client(), PATH, **PERSONAL).status_code == 200


@pytest.mark.django_db
def test_message_id_is_claimed_once_by_the_unique_key():
    assert gateway.nonce_claim(client_id=CLIENT_ID, message_id="m-1")
    assert not gateway.nonce_claim(client_id=CLIENT_ID, message_id="m-1")
    # The refused claim did not break the transaction (no savepoint needed on PostgreSQL).
    assert SeenMessage.objects.filter(message_id="m-1").count() == 1
    assert gateway.nonce_claim(client_id="KZ/GOV/990340001052/tax", message_id="m-1")
    # The constraint is what decides: a second row cannot be forced in.
    with pytest.raises(IntegrityError), transaction.atomic():
        SeenMessage.objects.create(client=CLIENT_ID, message_id="m-1")


@pytest.mark.django_db
def test_replay_of_a_whole_signed_request_is_refused_and_logged():
    mc = _ready()
    h = mc.headers(method="GET", path=PATH, **PERSONAL)
    assert Client().get(PATH, headers=h).status_code == 200
    replay = Client().get(PATH, headers=h)
    assert replay.status_code == 401
    from qyzmet.exchange.models import MessageLogEntry

    assert MessageLogEntry.objects.filter(
        outcome="Server.ServerProxy.ReplayedMessage", direction="response").count() == 1


@pytest.mark.django_db
def test_old_message_ids_are_pruned():
    assert gateway.nonce_claim(client_id=CLIENT_ID, message_id="old")
    SeenMessage.objects.filter(message_id="old").update(
        seen_at=timezone.now() - dt.timedelta(hours=1))  # fmt: skip
    assert gateway.nonce_claim(client_id=CLIENT_ID, message_id="new")
    assert gateway.nonce_prune() == 1
    assert list(SeenMessage.objects.values_list("message_id", flat=True)) == ["new"]


@pytest.mark.django_db
def test_lookups_reuse_the_snapshot_validated_in_the_same_transaction():
    from qyzmet.exchange import selectors

    service()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        assert selectors.registry_service_id(registry="testreg", service_code="catalog")
        assert selectors.registry_service_id(registry="testreg", service_code="catalog")
    reads = [q for q in queries.captured_queries if q["sql"] == directory._VERSION_SQL]
    assert len(reads) == 1
    # A service added later in the same transaction is still found (a miss reads again) ...
    with transaction.atomic():
        assert selectors.registry_service_id(registry="testreg", service_code="other") is None
        service(f"{SERVICE_ID.rsplit('/', 1)[0]}/other")
        assert selectors.registry_service_id(registry="testreg", service_code="other")
    # ... and a rolled-back one is forgotten with its transaction.
    with pytest.raises(RuntimeError), transaction.atomic():
        service(f"{SERVICE_ID.rsplit('/', 1)[0]}/gone")
        assert selectors.registry_service_id(registry="testreg", service_code="gone")
        raise RuntimeError("roll back")
    assert selectors.registry_service_id(registry="testreg", service_code="gone") is None

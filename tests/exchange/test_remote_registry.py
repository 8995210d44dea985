"""A registry in a second process: the gateway (pytest-django's live server) forwards over real
HTTP to a gunicorn process serving the population registry from the same PostgreSQL database,
and the citizen's application still gets its evidence.

PostgreSQL only: on SQLite the caller's write transaction would lock the file the remote
registry must write its access log to (a real remote registry has its own database)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.db import connection

from qyzmet.exchange.messagelog import message_log_verify
from qyzmet.exchange.models import MessageLogEntry
from qyzmet.exchange.services import exchange_sync

ROOT = Path(__file__).resolve().parents[2]
POPULATION = "KZ/GOV/990340020029/population/facts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def remote_registry(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: two processes writing one SQLite file would deadlock")
    cfg = connection.settings_dict
    url = (f"postgres://{cfg['USER']}:{cfg['PASSWORD'] or ''}@{cfg['HOST'] or '127.0.0.1'}:"
           f"{cfg['PORT'] or 5432}/{cfg['NAME']}")  # fmt: skip
    port = _free_port()
    env = {**os.environ, "QYZMET_DATABASE_URL": url, "PYTHONPATH": str(ROOT),
           "DJANGO_SETTINGS_MODULE": "tests.exchange.remote_settings"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "qyzmet.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/r1/listClients", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise RuntimeError(process.stdout.read().decode())
            time.sleep(0.2)
        else:
            raise RuntimeError("the remote registry did not start")
        yield base
    finally:
        # The master and its worker: the worker's database session must be gone before the
        # test database is dropped.
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        for _ in range(50):
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                               "AND pid <> pg_backend_pid()", [cfg["NAME"]])
                if cursor.fetchone()[0] == 0:
                    break
            time.sleep(0.1)


def test_citizen_journey_with_a_remote_registry(remote_registry, live_server, settings):
    from qyzmet.audit.models import AuditEntry
    from tests.portal.factories import catalog_loaded, citizen, submitted

    settings.QYZMET_GATEWAY_VERIFIER = "qyzmet.exchange.provider.gateway_request_verify"
    settings.QYZMET_REGISTRY_CLIENT = "qyzmet.exchange.registry_client.GatewayRegistryClient"
    settings.QYZMET_EXCHANGE_GATEWAY_URL = live_server.url
    settings.QYZMET_EXCHANGE_BASE_URLS = {
        POPULATION: f"{remote_registry}/data/population/1.0/facts"}
    exchange_sync()
    catalog_loaded()
    user = citizen()
    application = submitted(user)
    assert application.evidence
    assert MessageLogEntry.objects.filter(service=POPULATION, direction="response",
                                          status=200).exists()  # fmt: skip
    # The remote registry (the other process) recorded the read, with the purpose.
    purpose = f"submitting an application for service {application.service_code}"
    assert AuditEntry.objects.filter(kind="read", subject_iin=user.iin, purpose=purpose).exists()
    assert message_log_verify().ok

    # The registry goes down: the application is kept, waiting for its evidence.
    from qyzmet.applications.models import Application

    settings.QYZMET_EXCHANGE_BASE_URLS = {
        POPULATION: f"http://127.0.0.1:{_free_port()}/data/population/1.0/facts"}
    waiting = submitted(citizen())
    assert waiting.state == Application.AWAITING_EVIDENCE
    assert waiting.evidence_pending == ["person"]

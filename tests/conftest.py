"""Shared fixtures. App-specific factories live in tests/<app>/factories.py."""

import threading

import pytest


@pytest.fixture(scope="session", autouse=True)
def _server_threads_close_their_connections():
    """The live server answers in threads of its own, each with its own database connection,
    kept open (CONN_MAX_AGE) while a browser or HTTP client holds the socket open. Closed after
    each request, no such thread still holds the test database when it is dropped."""
    from django.core.signals import request_finished
    from django.db import connections

    def close(**_kwargs) -> None:
        if threading.current_thread() is not threading.main_thread():
            connections.close_all()

    request_finished.connect(close, weak=False, dispatch_uid="tests-server-threads-close")
    yield
    request_finished.disconnect(dispatch_uid="tests-server-threads-close")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.QYZMET_MODEL_STORE = tmp_path / "models"


# SQLite delete triggers of the append-only tables, as (create statements, drop statements).
# The transparency log's triggers are armed only while the audit trail's exists.
def _sqlite_delete_triggers() -> tuple[list[str], list[str]]:
    from importlib import import_module

    audit = import_module("qyzmet.audit.migrations.0002_append_only_triggers")
    exchange = import_module("qyzmet.exchange.migrations.0002_message_log_append_only")
    create = [audit.SQLITE_DELETE_TRIGGER, *exchange.SQLITE_DELETE_TRIGGERS]
    drop = ["DROP TRIGGER IF EXISTS audit_no_delete", *exchange.SQLITE_DROP_DELETE_TRIGGERS]
    return create, drop


@pytest.fixture(autouse=True)
def _append_only_flush_permit(request):
    """Transactional tests end with a flush that deletes every row. PostgreSQL truncates (its
    row triggers stay armed); SQLite deletes, so its delete triggers are lifted for that flush
    and put back before the next test."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "live_server" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    ) or "transactional_db" in request.fixturenames
    uses_db = marker is not None or "db" in request.fixturenames
    if not (transactional or uses_db):
        yield
        return
    from django.db import connection

    request.getfixturevalue("transactional_db" if transactional else "db")
    create, drop = _sqlite_delete_triggers()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for sql in create:
                cursor.execute(sql)
    yield
    if transactional and connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for sql in drop:
                cursor.execute(sql)

"""Shared fixtures. App-specific factories live in tests/<app>/factories.py."""

import re
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


@pytest.fixture(scope="session", autouse=True)
def _mci_table_of_the_tests(tmp_path_factory):
    """Fees in MCI quoted for today read a table that has this year (tests/mci_table.py), so no
    test fails on 1 January for want of the new year's index; test_fees reads the real file."""
    from django.test import override_settings

    from tests.mci_table import mci_table_for_tests

    with override_settings(QYZMET_MCI_FILE=mci_table_for_tests(tmp_path_factory.mktemp("mci"))):
        yield


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.QYZMET_MODEL_STORE = tmp_path / "models"


# The append-only guards a flush must get past, as migrated: {name: statement that creates it}.
# SQLite flushes by DELETE (its BEFORE DELETE triggers refuse), PostgreSQL by TRUNCATE (its
# BEFORE TRUNCATE statement triggers refuse). Read from the database, not listed here, so the
# guards of every app are covered and none depends on another being there.
_FLUSH_GUARDS: dict[str, str] = {}
_SQLITE_DELETE = re.compile(r"\bBEFORE\s+DELETE\s+ON\b", re.IGNORECASE)


def _flush_guards(cursor, vendor: str) -> dict[str, str]:
    """The guards present now: name -> CREATE statement (PostgreSQL names carry the table)."""
    if vendor == "sqlite":
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        return {name: sql for name, sql in cursor.fetchall() if _SQLITE_DELETE.search(sql)}
    if vendor == "postgresql":
        cursor.execute(
            "SELECT tgname || ' ON ' || tgrelid::regclass::text, pg_get_triggerdef(oid) "
            "FROM pg_trigger WHERE NOT tgisinternal AND tgtype & 32 <> 0"  # 32: TRUNCATE
        )
        return dict(cursor.fetchall())
    return {}


@pytest.fixture(autouse=True)
def _append_only_flush_permit(request):
    """Transactional tests end with a flush that empties every table, which the append-only
    guards refuse. Their guards are lifted for that flush and every guard known at the start of
    the session is put back before the next test (also one a test itself dropped)."""
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
    vendor = connection.vendor
    with connection.cursor() as cursor:
        present = _flush_guards(cursor, vendor)
        if not _FLUSH_GUARDS:
            _FLUSH_GUARDS.update(present)
        for name, sql in _FLUSH_GUARDS.items():
            if name not in present:
                cursor.execute(sql)
    yield
    if transactional:
        with connection.cursor() as cursor:
            for name in _flush_guards(cursor, vendor):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session, shared by every browser test wherever it lives.
    Playwright's sync API keeps an event loop running in this thread while it is open, so a
    second instance (e.g. a module that imported a session fixture of its own) cannot start."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: install Debian's chromium package"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()

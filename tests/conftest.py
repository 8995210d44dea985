"""Shared fixtures. App-specific factories live in tests/<app>/factories.py."""

import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _audit_flush_permit(request):
    """Transactional tests end with a flush that deletes every row. PostgreSQL truncates (its
    row triggers stay armed); SQLite deletes, so its delete trigger is lifted for that flush."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "live_server" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    )
    uses_db = marker is not None or "db" in request.fixturenames
    if not (transactional or uses_db):
        yield
        return
    from importlib import import_module

    from django.db import connection

    migration = import_module("qyzmet.audit.migrations.0002_append_only_triggers")
    request.getfixturevalue("transactional_db" if transactional else "db")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(migration.SQLITE_DELETE_TRIGGER)
    yield
    if transactional and connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS audit_no_delete")

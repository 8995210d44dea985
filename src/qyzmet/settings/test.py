"""Tests: the embedded settings, with QYZMET_DATABASE_URL pointing at PostgreSQL in CI's second
pass and QYZMET_CELERY_BROKER_URL at a real broker for the worker tests."""

from .embedded import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests run scheduled tasks themselves, when they choose (tests/core/test_scheduler.py).
QYZMET_EMBEDDED_SCHEDULER = False
# Tests need fast hashing; production and the demo keep Argon2 first.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
# Analytics pictures: redrawn in the caller, never by a thread behind a test's transaction;
# tests that check the after-save precompute turn it on (qyzmet.appeals.chart_cache).
QYZMET_CHART_REFRESH = "inline"
QYZMET_CHART_PRECOMPUTE = False

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A test database in a file (in memory-backed /dev/shm where there is one), not Django's
    # shared in-memory one: with that, the live server's request threads all share the test's
    # one connection, and two concurrent requests (the analytics page and its charts) deadlock,
    # one holding SQLite's connection mutex while its Python SQL function waits for the GIL,
    # the other holding the GIL while it waits for the mutex. With a file, each thread has its
    # own connection and SQLite's own locking (WAL, a busy timeout) orders them.
    import os as _os
    import tempfile as _tempfile

    _shm = "/dev/shm"  # noqa: S108 (a per-process file name, removed after the run)
    _where = _shm if _os.access(_shm, _os.W_OK) else _tempfile.gettempdir()
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": _os.path.join(_where, f"qyzmet-test-{_os.getpid()}.sqlite3")
    }

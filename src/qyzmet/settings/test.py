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

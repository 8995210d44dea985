"""Production: everything from environment variables. Refuses to start with a default secret key
or with DEBUG on; `qyzmet check --deploy` refuses weak or published secrets and demo data
(qyzmet/core/checks.py, qyzmet/countries/kz/checks.py; docs/operations.md)."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import QYZMET_PAYMENT_PROVIDERS as _PROVIDERS
from .base import database_from_url


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Environment variable {name} is required in production")
    return value


SECRET_KEY = _env("QYZMET_SECRET_KEY")
if len(SECRET_KEY) < 50 or "not-for-production" in SECRET_KEY or "insecure" in SECRET_KEY:
    raise ImproperlyConfigured("QYZMET_SECRET_KEY must be a random value of at least 50 characters")

DEBUG = os.environ.get("QYZMET_DEBUG", "0") == "1"
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (unset QYZMET_DEBUG)")
# Demo commands (demo_load) refuse to run when this is set.
QYZMET_PRODUCTION = True
# The deploy checks on data (demo users, the demo Open311 key) read this database even when
# `check --deploy` is run without `--database`.
QYZMET_DEPLOY_CHECK_DATABASES = ["default"]

ALLOWED_HOSTS = [h for h in _env("QYZMET_ALLOWED_HOSTS").split(",") if h]
DATABASES = {"default": database_from_url(_env("QYZMET_DATABASE_URL"))}
CELERY_BROKER_URL = _env("QYZMET_CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = False
QYZMET_PUBLIC_BASE_URL = _env("QYZMET_PUBLIC_BASE_URL")
QYZMET_LOG_KEY_PASSPHRASE = _env("QYZMET_LOG_KEY_PASSPHRASE")
QYZMET_PKI_PASSPHRASE = _env("QYZMET_PKI_PASSPHRASE")
# The card sandbox is offered only where its secret is set (a staging deployment, say).
QYZMET_PAYMENT_PROVIDERS = {
    code: options for code, options in _PROVIDERS.items()
    if code != "sandbox" or options.get("secret")
}

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = _env("QYZMET_EMAIL_HOST", "localhost")
EMAIL_PORT = int(_env("QYZMET_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = _env("QYZMET_EMAIL_FROM", "noreply@localhost")

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = os.environ.get("QYZMET_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True

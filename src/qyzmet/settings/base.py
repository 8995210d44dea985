"""Settings shared by every deployment. Deployment-specific values live in embedded.py and
production.py; nothing secret is ever written here."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = Path.cwd()
VAR_DIR = BASE_DIR / "var"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    # Leaflet's built files as static files (docs/adr/0055-maps.md); no Python of it is used.
    "leaflet",
    "qyzmet.core",
    "qyzmet.audit",
    "qyzmet.identity",
    "qyzmet.catalog",
    "qyzmet.registries.population",
    "qyzmet.registries.legal_entities",
    "qyzmet.registries.vehicles",
    "qyzmet.registries.real_estate",
    "qyzmet.registries.criminal_records",
    "qyzmet.registries.consent",
    "qyzmet.registries.govstack",
    "qyzmet.registries.change_events",
    "qyzmet.exchange",
    "qyzmet.signatures",
    "qyzmet.transparency",
    "qyzmet.ai",
    "qyzmet.appeals",
    "qyzmet.applications",
    "qyzmet.documents",
    "qyzmet.notifications",
    "qyzmet.payments",
    "qyzmet.participation",
    "qyzmet.dialogue",
    "qyzmet.budgets",
    "qyzmet.opendata",
    "qyzmet.portal",
    "qyzmet.backoffice",
    "qyzmet.api",
    "qyzmet.countries.kz",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the request: bad bytes and oversized bodies stop here.
    "qyzmet.core.input_guard.InputGuardMiddleware",
    # The resolver's 404 and ninja's 405 on /api/ as problem+json, like every other API error.
    "qyzmet.core.api_fallbacks.ApiFallbackProblemMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qyzmet.identity.client.ClientAddressMiddleware",
    "qyzmet.core.cache_control.PersonalDataNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "qyzmet.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "qyzmet.urls"
WSGI_APPLICATION = "qyzmet.wsgi.application"
AUTH_USER_MODEL = "identity.User"
LOGIN_URL = "/login/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]


def database_from_url(url: str) -> dj_database_url.DBConfig:
    """One DATABASE_URL decides the engine; SQLite gets WAL-friendly options."""
    cfg = dj_database_url.parse(url, conn_max_age=60)
    if cfg["ENGINE"].endswith("sqlite3"):
        cfg["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        cfg["CONN_MAX_AGE"] = 0
    return cfg


PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions expire after 30 minutes of inactivity and when the browser closes.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "kk"
LANGUAGES = [("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Almaty"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Request bodies (qyzmet.core.input_guard answers 413 above the limit). One 5 MB attachment
# with its form is the largest ordinary request; the routes that carry more files name theirs:
# a PDF copy to check (10 MB), a file and its signature (10 MB each), five 5 MB appeal photos
# (multipart on the portal; base64 in JSON through the API: 4/3 of the bytes).
_MB = 1024 * 1024
QYZMET_REQUEST_MAX_BYTES = 6 * _MB
QYZMET_REQUEST_MAX_BYTES_BY_ROUTE = {
    "document-verify": 11 * _MB,
    "signature-verify": 21 * _MB,
    "appeal-new": 26 * _MB,
    "api-v1:appeal_create": 34 * _MB,
    # A camt.053 statement may be 10 MB (payments.camt053.MAX_BYTES), plus the form around it.
    "bo-finance-statement-upload": 11 * _MB,
    "api-v1:statement_upload": 11 * _MB,
}
# Django's own cap on a body read into memory: the largest route limit (the guard is tighter).
DATA_UPLOAD_MAX_MEMORY_SIZE = max(QYZMET_REQUEST_MAX_BYTES_BY_ROUTE.values())
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * _MB
# Routes for machine clients: refusals there are problem+json (RFC 9457), or the route family's
# own error format; elsewhere a page. Bodies of the binary types are not read as text.
QYZMET_MACHINE_PREFIXES = ("/api/", "/r1/", "/data/", "/pki/", "/open311/")
QYZMET_INPUT_REFUSAL_RENDERERS = {"/open311/": "qyzmet.appeals.open311.input_refused"}
QYZMET_BINARY_BODY_TYPES = ("application/ocsp-request", "application/timestamp-query")

# Platform settings (all overridable per deployment).
QYZMET_COUNTRY = "kz"
QYZMET_SERVICE_PACKAGE_DIRS = [PACKAGE_DIR / "countries" / "kz" / "services"]
QYZMET_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
QYZMET_UPLOAD_CONTENT_TYPES = ["application/pdf", "image/jpeg", "image/png"]
QYZMET_LOGIN_MAX_FAILURES = 5
QYZMET_LOGIN_LOCKOUT_MINUTES = 15
QYZMET_OTP_TTL_SECONDS = 300
# Failed sign-ins (wrong passwords and wrong sign-in codes) lock an IIN per client address at
# QYZMET_LOGIN_MAX_FAILURES and from all addresses at the per-IIN limit (identity/throttle.py).
QYZMET_LOGIN_MAX_FAILURES_PER_IIN = 20
QYZMET_LOGIN_FAILURE_WINDOW_SECONDS = 3600
# One-time codes: how many are sent and how many wrong ones are tried, per IIN and per client
# address, for sign-in (OTP) and for signing (SIGN). Past a limit: 429 + Retry-After, no SMS.
QYZMET_OTP_CODES_PER_WINDOW = 3
QYZMET_OTP_CODES_PER_ADDRESS = 20
QYZMET_OTP_CODE_WINDOW_SECONDS = 900
QYZMET_OTP_WRONG_CODES_PER_WINDOW = 10
QYZMET_OTP_WRONG_CODES_PER_ADDRESS = 50
QYZMET_OTP_WRONG_CODE_WINDOW_SECONDS = 3600
QYZMET_SIGN_CODES_PER_WINDOW = 3
QYZMET_SIGN_CODES_PER_ADDRESS = 20
QYZMET_SIGN_CODE_WINDOW_SECONDS = 900
QYZMET_SIGN_WRONG_CODES_PER_WINDOW = 10
QYZMET_SIGN_WRONG_CODES_PER_ADDRESS = 50
QYZMET_SIGN_WRONG_CODE_WINDOW_SECONDS = 3600
# Reverse proxies in front of the web process that append to X-Forwarded-For (0: ignore it).
QYZMET_TRUSTED_PROXY_COUNT = 0
# The embedded demo keeps the clear text of its outbox SMS in memory for /dev/otp/; the
# database only ever holds them with one-time codes masked. Never on in production.
QYZMET_DEMO_SMS_INBOX = False
QYZMET_SMS_CHANNEL = "qyzmet.notifications.channels.OutboxSmsChannel"
# Evidence is fetched through the exchange gateway (access rights, signed messages, message log);
# the registries accept only requests that carry the gateway's proof.
QYZMET_REGISTRY_CLIENT = "qyzmet.exchange.registry_client.GatewayRegistryClient"
QYZMET_GATEWAY_VERIFIER = "qyzmet.exchange.provider.gateway_request_verify"
# How long the facts a citizen was shown may be reused by signing and submission before they
# are read again (one read per registry per application; a fact that changed is shown, ADR 0060).
QYZMET_EVIDENCE_MAX_AGE_SECONDS = int(os.environ.get("QYZMET_EVIDENCE_MAX_AGE_SECONDS", "900"))
# Where people reach this site: printed under and encoded in the QR code of every result
# document. `make run` exports it; a deployment sets its own address.
QYZMET_PUBLIC_BASE_URL = os.environ.get("QYZMET_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
# Map tiles for the appeals maps: an OpenStreetMap-style template
# ("https://tile.example/{z}/{x}/{y}.png") and its attribution (HTML allowed). Empty: the map
# draws only the district outlines shipped in the country pack, with no request leaving the site
# (docs/operations.md, "Maps").
QYZMET_MAP_TILES_URL = os.environ.get("QYZMET_MAP_TILES_URL", "")
QYZMET_MAP_TILES_ATTRIBUTION = os.environ.get("QYZMET_MAP_TILES_ATTRIBUTION", "")
QYZMET_API_TOKEN_TTL_SECONDS = 8 * 3600
# Payment providers: options per plug-in code (docs/payments.md). The card sandbox is its own
# process (`qyzmet payments_sandbox`, which `make run` starts); its secret (API bearer and webhook
# signing key) comes from the environment: the embedded settings give a demo value, production
# offers the sandbox only when QYZMET_PAYMENT_SANDBOX_SECRET is set.
QYZMET_PAYMENT_PROVIDERS: dict[str, dict] = {
    "sandbox": {
        "base_url": os.environ.get("QYZMET_PAYMENT_SANDBOX_URL", "http://127.0.0.1:8025"),
        "secret": os.environ.get("QYZMET_PAYMENT_SANDBOX_SECRET", ""),
        "timeout": float(os.environ.get("QYZMET_PAYMENT_SANDBOX_TIMEOUT", "5")),
    },
    # Pay by reference: the invoice paid at any bank, seen in imported camt.053 statements;
    # the account's details (iban, bic, beneficiary, ...) are options, demo values otherwise.
    "reference": {},
}

CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "qyzmet.core.tasks.outbox_sweep", "schedule": 30.0},
    "identity-throttle-sweep": {
        "task": "qyzmet.identity.tasks.throttle_sweep", "schedule": 3600.0,
    },
    "deadlines-flag": {"task": "qyzmet.applications.tasks.deadlines_flag", "schedule": 3600.0},
    # Applications waiting for a registry that did not answer (backoff 1, 2, 4 ... 60 minutes).
    "applications-evidence-retry": {
        "task": "qyzmet.applications.tasks.evidence_retry_due",
        "schedule": 60.0,
    },
    # Every minute: the unanchored audit tail is at most a minute old (docs/transparency.md).
    "transparency-anchor-audit": {"task": "transparency.anchor_audit", "schedule": 60.0},
    "appeals-deadlines-flag": {"task": "qyzmet.appeals.tasks.deadlines_flag", "schedule": 3600.0},
    "appeals-media-fetch-sweep": {
        "task": "qyzmet.appeals.tasks.media_fetch_sweep", "schedule": 600.0,
    },
    "exchange-message-log-seal": {
        "task": "qyzmet.exchange.tasks.message_log_seal", "schedule": 60.0,
    },
    # Daily: a new version of every generated open dataset whose data changed.
    "opendata-publish-all": {"task": "qyzmet.opendata.tasks.publish_all", "schedule": 86400.0},
    # Hourly: draft legal acts whose comment period is over move to "summary due".
    "participation-legal-acts-close": {
        "task": "qyzmet.participation.tasks.legal_acts_close_due", "schedule": 3600.0,
    },
    # Hourly: open-dialogue questions past their due date are marked overdue.
    "dialogue-overdue-mark": {"task": "qyzmet.dialogue.tasks.overdue_mark", "schedule": 3600.0},
    # Payments: pending attempts polled (lost webhooks, a crash after the provider's success),
    # unsent refunds sent again; unpaid payments past their time expire; yesterday reconciled.
    "payments-attempts-poll": {"task": "qyzmet.payments.tasks.attempts_poll_due", "schedule": 60.0},
    "payments-expire": {"task": "qyzmet.payments.tasks.payments_expire_due", "schedule": 300.0},
    "payments-reconcile": {"task": "qyzmet.payments.tasks.reconcile_yesterday", "schedule": 3600.0},
    # Webhooks are applied after each one is accepted; this drains whatever an enqueue lost.
    "payments-webhooks-apply": {"task": "qyzmet.payments.tasks.webhooks_apply", "schedule": 10.0},
    # Daily: identity documents expiring within 30 days are announced once (registry events).
    "population-document-expiring-scan": {
        "task": "qyzmet.registries.population.tasks.document_expiring_scan", "schedule": 86400.0,
    },
}
# Payments (docs/payments.md); the providers are QYZMET_PAYMENT_PROVIDERS above.
# How long a citizen has to pay before the application lapses.
QYZMET_PAYMENT_EXPIRY_HOURS = float(os.environ.get("QYZMET_PAYMENT_EXPIRY_HOURS", "72"))
# The lifetime of a provider's hosted page: no second attempt and no expiry while one is younger.
QYZMET_PAYMENT_PAGE_TIMEOUT_SECONDS = int(
    os.environ.get("QYZMET_PAYMENT_PAGE_TIMEOUT_SECONDS", "900")
)
# Pending attempts are polled (a lost webhook) after this, doubling up to the maximum.
QYZMET_PAYMENT_POLL_AFTER_SECONDS = 60
QYZMET_PAYMENT_POLL_MAX_SECONDS = 3600
# Refunds above this (tiyn; 50 000 ₸) need a second officer's approval.
QYZMET_REFUND_FOUR_EYES_TIYN = int(os.environ.get("QYZMET_REFUND_FOUR_EYES_TIYN", "5000000"))
# Open legal acts: the shortest public comment period a draft may be published with (days).
QYZMET_LEGAL_ACTS_MIN_COMMENT_DAYS = int(os.environ.get("QYZMET_LEGAL_ACTS_MIN_COMMENT_DAYS", "10"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
QYZMET_CALENDAR_FILE = PACKAGE_DIR / "countries" / "kz" / "calendar.yaml"
QYZMET_PKI_ALGORITHM = "ecdsa-p256"
# A directory of PEM trust roots (e.g. NCA RK's) for signatures made elsewhere; our own root is
# always trusted.
QYZMET_TRUST_ROOTS_DIR = os.environ.get("QYZMET_TRUST_ROOTS_DIR")
QYZMET_AGENCIES_FILE = PACKAGE_DIR / "countries" / "kz" / "agencies.yaml"
QYZMET_DEMO_SMS_PAGE = False
# Identifier formats usable in service forms (`format: iin`); each validator raises ValueError
# with the reason.
QYZMET_ID_FORMATS = {
    "iin": "qyzmet.countries.kz.identifiers.iin_validate",
    "bin": "qyzmet.countries.kz.identifiers.bin_validate",
}

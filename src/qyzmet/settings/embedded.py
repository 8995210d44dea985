"""The embedded default: SQLite, tasks run eagerly in-process, email and SMS land in the
database and console so a demo needs no outside service."""

import os

from .base import *  # noqa: F403
from .base import QYZMET_PAYMENT_PROVIDERS as _PROVIDERS
from .base import VAR_DIR, database_from_url

DEBUG = os.environ.get("QYZMET_DEBUG", "1") == "1"
# A fixed key is acceptable only here: the embedded mode is a local demo; production refuses it.
SECRET_KEY = os.environ.get("QYZMET_SECRET_KEY", "embedded-demo-key-not-for-production")
# The card sandbox's shared secret, fixed for the demo on the same terms.
QYZMET_PAYMENT_PROVIDERS = {
    **_PROVIDERS,
    "sandbox": {
        **_PROVIDERS["sandbox"],
        "secret": os.environ.get(
            "QYZMET_PAYMENT_SANDBOX_SECRET", "sandbox-demo-secret-not-for-production"
        ),
    },
}
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "[::1]"]

(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
# Serve static files straight from the apps: no collectstatic step in the embedded mode.
WHITENOISE_USE_FINDERS = True
DATABASES = {
    "default": database_from_url(
        os.environ.get("QYZMET_DATABASE_URL", f"sqlite:///{VAR_DIR / 'qyzmet.sqlite3'}")
    )
}

CELERY_BROKER_URL = os.environ.get("QYZMET_CELERY_BROKER_URL", "memory://localhost/")
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("QYZMET_CELERY_BROKER_URL")
CELERY_TASK_EAGER_PROPAGATES = True
# No broker, no beat: the web process runs CELERY_BEAT_SCHEDULE itself (qyzmet.core.scheduler).
QYZMET_EMBEDDED_SCHEDULER = CELERY_TASK_ALWAYS_EAGER

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# /dev/otp/ shows the demo's SMS with their codes, from memory only (notifications/demo_inbox.py).
QYZMET_DEMO_SMS_INBOX = True
DEFAULT_FROM_EMAIL = "noreply@qyzmet.local"

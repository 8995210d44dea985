"""Settings of the processes the payment fault tests start (the web server, the Celery worker and
beat): the test settings with polling in seconds instead of minutes, so a lost webhook is made
good while the test watches, and a beat that runs only the payments' poll sweep and the webhook
drain, each every second."""

from qyzmet.settings.test import *  # noqa: F403

QYZMET_PAYMENT_POLL_AFTER_SECONDS = 1
QYZMET_PAYMENT_POLL_MAX_SECONDS = 2
CELERY_BEAT_SCHEDULE = {
    "payments-attempts-poll": {"task": "qyzmet.payments.tasks.attempts_poll_due", "schedule": 1.0},
    "payments-webhooks-apply": {"task": "qyzmet.payments.tasks.webhooks_apply", "schedule": 1.0},
}

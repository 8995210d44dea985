"""The Celery application. In the embedded default tasks run eagerly in-process; in production
RabbitMQ or Redis carries them (see settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qyzmet.settings.embedded")

app = Celery("qyzmet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

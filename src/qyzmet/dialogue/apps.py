"""Open dialogue: citizens ask the head of an agency a public question; the agency answers
within its deadline; questions, answers and ratings are public."""
from django.apps import AppConfig

# Hourly: published questions past their due date become "overdue" (idempotent).
BEAT = {"dialogue-overdue-mark": {"task": "qyzmet.dialogue.tasks.overdue_mark",
                                  "schedule": 3600.0}}


class DialogueConfig(AppConfig):
    name = "qyzmet.dialogue"
    label = "dialogue"

    def ready(self) -> None:
        from django.conf import settings

        from . import datasets  # noqa: F401  (registers this app's open datasets)

        # The schedule entry lives with the app (settings stay shared by all apps); celery beat
        # and the embedded scheduler both read CELERY_BEAT_SCHEDULE after the apps are ready.
        schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None)
        if isinstance(schedule, dict):
            for name, entry in BEAT.items():
                schedule.setdefault(name, entry)

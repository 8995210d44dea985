"""Open legal acts: draft acts published for public comment, comments moderated and answered,
a signed summary when the comment period ends."""
from django.apps import AppConfig
from django.conf import settings

# Closing comment periods that are over, hourly. Registered here so the component is one
# app; settings may override the entry (same key) or the schedule.
BEAT_ENTRY = {"task": "qyzmet.participation.tasks.legal_acts_close_due", "schedule": 3600.0}


class ParticipationConfig(AppConfig):
    name = "qyzmet.participation"
    label = "participation"

    def ready(self) -> None:
        from . import (
            datasets,  # noqa: F401  (registers this app's open datasets)
            tasks,  # noqa: F401  (the beat task below)
        )

        schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None)
        if isinstance(schedule, dict):
            schedule.setdefault("participation-legal-acts-close", BEAT_ENTRY)

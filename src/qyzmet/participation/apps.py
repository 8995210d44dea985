"""Open legal acts: draft acts published for public comment, comments moderated and answered,
a signed summary when the comment period ends."""

from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "qyzmet.participation"
    label = "participation"

    def ready(self) -> None:
        # Registers this app's open datasets, and the hourly task of CELERY_BEAT_SCHEDULE.
        from . import datasets, tasks  # noqa: F401

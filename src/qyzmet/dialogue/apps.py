"""Open dialogue: citizens ask the head of an agency a public question; the agency answers
within its deadline; questions, answers and ratings are public."""

from django.apps import AppConfig


class DialogueConfig(AppConfig):
    name = "qyzmet.dialogue"
    label = "dialogue"

    def ready(self) -> None:
        # Registers this app's open datasets, and the hourly task of CELERY_BEAT_SCHEDULE.
        from . import datasets, tasks  # noqa: F401

from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "qyzmet.participation"
    label = "participation"

    def ready(self) -> None:
        from . import datasets  # noqa: F401  (registers this app's open datasets)

from django.apps import AppConfig


class DialogueConfig(AppConfig):
    name = "qyzmet.dialogue"
    label = "dialogue"

    def ready(self) -> None:
        from . import datasets  # noqa: F401  (registers this app's open datasets)

from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "qyzmet.transparency"
    label = "transparency"

    def ready(self) -> None:
        from . import consumers, tasks  # noqa: F401  (registers the consumers and tasks)

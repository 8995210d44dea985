from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "qyzmet.applications"
    label = "applications"

    def ready(self) -> None:
        from . import consumers  # noqa: F401  (registers the event consumers)

from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "qyzmet.appeals"
    label = "appeals"

    def ready(self) -> None:
        from . import consumers  # noqa: F401  (registers the event consumers)
        from .chart_cache import signals_connect

        signals_connect()  # analytics pictures drawn again after appeals change

from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "qyzmet.opendata"
    label = "opendata"
    verbose_name = "Open data"

    def ready(self) -> None:
        # The platform's generated datasets register themselves on import
        # (qyzmet.core.open_datasets.register); other apps register theirs from their own ready().
        from . import datasets, performance_datasets  # noqa: F401

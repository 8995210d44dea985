from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "qyzmet.opendata"
    label = "opendata"
    verbose_name = "Open data"

    def ready(self) -> None:
        # The platform's generated datasets register themselves on import (publishers.register).
        from . import datasets  # noqa: F401

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "qyzmet.core"
    label = "core"
    verbose_name = "Shared kernel"

    def ready(self) -> None:
        # Registers the deploy checks (qyzmet.E001…): `qyzmet check --deploy`.
        from . import checks  # noqa: F401

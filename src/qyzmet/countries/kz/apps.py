from django.apps import AppConfig


class KzConfig(AppConfig):
    name = "qyzmet.countries.kz"
    label = "kz"
    verbose_name = "Kazakhstan country pack"

    def ready(self) -> None:
        # Registers the deploy checks on demo data (qyzmet.E006, qyzmet.E007).
        from . import checks  # noqa: F401

from django.apps import AppConfig


class GovstackConfig(AppConfig):
    """The GovStack Digital Registries Data API and its schema-described registries (their tables
    keep their `criminal_records_` names: see models.py)."""

    name = "qyzmet.registries.govstack"
    label = "govstack"
    verbose_name = "GovStack Digital Registries Data API"

    def ready(self) -> None:
        # qyzmet.E009: the Data API's wire mappings match the registry descriptors.
        from . import checks  # noqa: F401

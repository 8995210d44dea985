from django.apps import AppConfig


class CriminalRecordsConfig(AppConfig):
    name = "qyzmet.registries.criminal_records"
    label = "criminal_records"

    def ready(self) -> None:
        # The GovStack Data API's tables live under this app's label until it is an app of its
        # own; so does its system check (qyzmet.E009: wire mappings match the descriptors).
        from qyzmet.registries.govstack import checks  # noqa: F401

from django.apps import AppConfig


class CriminalRecordsConfig(AppConfig):
    name = "qyzmet.registries.criminal_records"
    label = "criminal_records"

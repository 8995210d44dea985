from django.apps import AppConfig


class LegalEntitiesConfig(AppConfig):
    name = "qyzmet.registries.legal_entities"
    label = "legal_entities"
    verbose_name = "Legal entities registry (ГБД ЮЛ)"

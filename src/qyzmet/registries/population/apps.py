from django.apps import AppConfig


class PopulationConfig(AppConfig):
    name = "qyzmet.registries.population"
    label = "population"
    verbose_name = "Population registry (ГБД ФЛ)"

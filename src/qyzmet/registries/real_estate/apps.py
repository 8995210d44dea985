from django.apps import AppConfig


class RealEstateConfig(AppConfig):
    name = "qyzmet.registries.real_estate"
    label = "real_estate"

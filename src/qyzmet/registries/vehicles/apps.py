from django.apps import AppConfig


class VehiclesConfig(AppConfig):
    name = "qyzmet.registries.vehicles"
    label = "vehicles"

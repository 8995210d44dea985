from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "qyzmet.applications"
    label = "applications"

from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "qyzmet.appeals"
    label = "appeals"

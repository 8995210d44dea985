from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "qyzmet.transparency"
    label = "transparency"

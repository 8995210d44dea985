from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "qyzmet.ai"
    label = "ai"

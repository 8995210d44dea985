from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "qyzmet.signatures"
    label = "signatures"

from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "qyzmet.participation"
    label = "participation"

from django.apps import AppConfig


class DialogueConfig(AppConfig):
    name = "qyzmet.dialogue"
    label = "dialogue"

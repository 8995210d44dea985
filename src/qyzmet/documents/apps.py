from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "qyzmet.documents"
    label = "documents"

from django.apps import AppConfig


class KzConfig(AppConfig):
    name = "qyzmet.countries.kz"
    label = "kz"
    verbose_name = "Kazakhstan country pack"

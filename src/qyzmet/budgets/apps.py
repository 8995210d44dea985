from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "qyzmet.budgets"
    label = "budgets"

    def ready(self) -> None:
        from . import datasets  # noqa: F401  (registers this app's open datasets)

from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "qyzmet.budgets"
    label = "budgets"

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "qyzmet.payments"
    label = "payments"

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "qyzmet.payments"
    label = "payments"

    def ready(self) -> None:
        from . import receipts  # noqa: F401  (registers the receipt consumer of payment.succeeded)

"""`qyzmet payments_sandbox`: run the sandbox card acquirer as its own process, with defaults
from this deployment's settings (the secret and address of `QYZMET_PAYMENT_PROVIDERS["sandbox"]`,
the page timeout of `QYZMET_PAYMENT_PAGE_TIMEOUT_SECONDS`, the database in `var/`) so `make run`
needs no options. The server itself is Django-free (`qyzmet.payments.sandbox`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qyzmet.payments.sandbox import server


def _defaults() -> server.Config:
    options = getattr(settings, "QYZMET_PAYMENT_PROVIDERS", {}).get("sandbox", {})
    address = urlsplit(str(options.get("base_url", "http://127.0.0.1:8025")))
    return server.Config(
        host=address.hostname or "127.0.0.1",
        port=address.port or 8025,
        db=str(settings.VAR_DIR / "sandbox.sqlite3"),
        secret=str(options.get("secret") or ""),
        page_timeout=float(getattr(settings, "QYZMET_PAYMENT_PAGE_TIMEOUT_SECONDS", 900)),
        timezone=settings.TIME_ZONE,
    )


class Command(BaseCommand):
    help = "Run the sandbox card acquirer (hosted card page, API, webhooks) as its own server."

    def add_arguments(self, parser) -> None:
        server.arguments_add(parser, defaults=_defaults())

    def handle(self, *args, **options) -> None:
        if not options["secret"]:
            raise CommandError("No secret: set QYZMET_PAYMENT_SANDBOX_SECRET or pass --secret.")
        try:
            server.serve(server.config_from(options), out=self.stdout)
        except OSError as exc:
            raise CommandError(f"The sandbox could not listen: {exc}") from exc

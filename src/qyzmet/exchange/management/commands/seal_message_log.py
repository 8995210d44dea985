"""`qyzmet seal_message_log [--grace SECONDS]`: link the not yet sealed message-log entries
into a signed seal (run it from cron or Celery beat; the gateway also seals every
QYZMET_EXCHANGE_SEAL_EVERY entries)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from qyzmet.exchange.messagelog import message_log_seal


class Command(BaseCommand):
    help = "Seal the exchange message log's unsealed entries (hash chain + gateway signature)."

    def add_arguments(self, parser):
        parser.add_argument("--grace", type=float, default=2.0,
                            help="leave out entries younger than this many seconds")  # fmt: skip

    def handle(self, *args, grace: float, **options) -> None:
        sealed = 0
        while (seal := message_log_seal(grace_seconds=grace)) is not None:
            sealed += seal.entries
        self.stdout.write(self.style.SUCCESS(f"Sealed {sealed} entries."))

"""`qyzmet seal_message_log [--grace SECONDS]`: link the not yet sealed message-log entries
into a signed seal (run it from cron or Celery beat; the gateway also seals every
QYZMET_EXCHANGE_SEAL_EVERY entries). Each entry is first checked against what was signed; an
inconsistent one stops sealing there (exit 1, the entry and column named)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from qyzmet.exchange.messagelog import MessageLogInconsistent, message_log_seal


class Command(BaseCommand):
    help = "Seal the exchange message log's unsealed entries (hash chain + gateway signature)."

    def add_arguments(self, parser):
        parser.add_argument("--grace", type=float, default=2.0,
                            help="leave out entries younger than this many seconds")  # fmt: skip

    def handle(self, *args, grace: float, **options) -> None:
        sealed = 0
        try:
            while (seal := message_log_seal(grace_seconds=grace)) is not None:
                sealed += seal.entries
        except MessageLogInconsistent as exc:
            sealed += exc.sealed.entries if exc.sealed else 0
            for problem in exc.problems[:50]:
                self.stderr.write(problem)
            raise CommandError(
                f"Sealing REFUSED after {sealed} entries: the message log is inconsistent "
                f"({len(exc.problems)} problem(s), first: {exc.problems[0]})."
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"Sealed {sealed} entries."))

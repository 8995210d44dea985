"""`qyzmet verify_message_log [--archive FILE ...]`: check the hash chain and signatures."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qyzmet.exchange.messagelog import message_log_verify


class Command(BaseCommand):
    help = "Verify the exchange message log (and archive files): exit 1 when tampered."

    def add_arguments(self, parser):
        parser.add_argument("--archive", action="append", default=[])

    def handle(self, *args, archive: list[str], **options) -> None:
        result = message_log_verify(archives=[Path(a) for a in archive])
        for problem in result.problems[:50]:
            self.stderr.write(problem)
        if not result.ok:
            raise CommandError(
                f"Message log NOT intact: {len(result.problems)} problem(s) in "
                f"{result.checked} entries."
            )
        self.stdout.write(self.style.SUCCESS(f"Message log intact: {result.checked} entries."))

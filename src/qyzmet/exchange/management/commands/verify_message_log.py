"""`qyzmet verify_message_log [--archive FILE ...] [--no-seal]`: seal what is not sealed yet,
then check entries, seals and signatures (docs/exchange.md says what each check proves)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qyzmet.exchange.messagelog import message_log_seal, message_log_verify


class Command(BaseCommand):
    help = "Verify the exchange message log (and archive files): exit 1 when tampered."

    def add_arguments(self, parser):
        parser.add_argument("--archive", action="append", default=[])
        parser.add_argument("--no-seal", action="store_true",
                            help="only read: do not seal the unsealed tail first")  # fmt: skip

    def handle(self, *args, archive: list[str], no_seal: bool, **options) -> None:
        if not no_seal:
            while message_log_seal(grace_seconds=0) is not None:
                pass
        result = message_log_verify(archives=[Path(a) for a in archive])
        for problem in result.problems[:50]:
            self.stderr.write(problem)
        if not result.ok:
            raise CommandError(
                f"Message log NOT intact: {len(result.problems)} problem(s) in "
                f"{result.checked} entries."
            )
        self.stdout.write(self.style.SUCCESS(
            f"Message log intact: {result.checked} entries, {result.seals} seals, "
            f"{result.unsealed} not sealed yet."))  # fmt: skip

"""`qyzmet verify_message_log [--archive FILE ...] [--head SEAL_HASH ...] [--no-seal]`: seal
what is not sealed yet, then check every entry against what was signed, the seals and the signatures
(docs/exchange.md says what each check proves). Exit 1 on any problem, each line naming the
entry (or seal) and the column. It prints the newest seal's hash: keep it outside the database
and pass it back with --head, so that seals cut off the end of the chain are noticed too."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qyzmet.exchange.messagelog import (
    MessageLogInconsistent,
    message_log_seal,
    message_log_verify,
)


class Command(BaseCommand):
    help = "Verify the exchange message log (and archive files): exit 1 when tampered."

    def add_arguments(self, parser):
        parser.add_argument("--archive", action="append", default=[])
        parser.add_argument("--head", action="append", default=[],
                            help="a seal hash an earlier run printed: it must still be there")
        parser.add_argument("--no-seal", action="store_true",
                            help="only read: do not seal the unsealed tail first")  # fmt: skip

    def handle(self, *args, archive: list[str], head: list[str], no_seal: bool,
               **options) -> None:  # fmt: skip
        refused = ""
        if not no_seal:
            try:
                while message_log_seal(grace_seconds=0) is not None:
                    pass
            except MessageLogInconsistent as exc:  # verification below names every problem
                refused = f" Sealing refused at {exc.problems[0].split(':', 1)[0]}."
        result = message_log_verify(archives=[Path(a) for a in archive], heads=head)
        for problem in result.problems[:50]:
            self.stderr.write(problem)
        if not result.ok or refused:
            raise CommandError(
                f"Message log NOT intact: {len(result.problems)} problem(s) in "
                f"{result.checked} entries.{refused}"
            )
        self.stdout.write(self.style.SUCCESS(
            f"Message log intact: {result.checked} entries, {result.seals} seals, "
            f"{result.unsealed} not sealed yet. Newest seal: {result.head or '-'}"))  # fmt: skip

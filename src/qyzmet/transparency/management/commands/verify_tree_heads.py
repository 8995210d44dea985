"""`qyzmet verify_tree_heads --witness DIR`: check the transparency log against the signed tree
heads its witnesses hold (and its own), by signature and RFC 9162 consistency; name every
witnessed head the log disagrees with (truncated or rewritten). Exit status 1 on any problem."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qyzmet.transparency.witness_verify import witness_directories_verify


class Command(BaseCommand):
    help = "Check the transparency log against tree heads witnessed outside the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--witness",
            action="append",
            default=[],
            metavar="DIR",
            help="a directory of witnessed heads (sth-*.json); repeatable",
        )

    def handle(self, *args, **options) -> None:
        if not options["witness"]:
            self.stderr.write(
                "no --witness given: the log is checked against its own heads only, which an "
                "insider who rewrites the database can rewrite too"
            )
        checked, problems = witness_directories_verify([Path(d) for d in options["witness"]])
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) against {checked} tree head(s)")
        self.stdout.write(f"{checked} tree head(s) agree with the log")

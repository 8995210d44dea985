"""`qyzmet verify_audit_anchor`: recompute what every audit anchor in the transparency log
committed to from the audit trail as it is now, name each audit row changed, deleted or
inserted, and report the tail not yet anchored.

Exit status: 0 when everything agrees and the tail is within the policy; 1 when anything was
changed (rows, anchors, the log, or a witnessed head disagrees: `--witness DIR`); 2 when nothing
was changed but the tail is older than the policy (anchoring has stopped: the newest rows are
unprotected).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qyzmet.transparency.anchor_verify import audit_anchors_verify
from qyzmet.transparency.witness_verify import witness_directories_verify


class Command(BaseCommand):
    help = "Check the audit trail against its anchors in the transparency log, row by row."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--witness",
            action="append",
            default=[],
            metavar="DIR",
            help="also check the log against the tree heads witnessed in DIR (repeatable)",
        )
        parser.add_argument(
            "--max-tail-seconds",
            type=float,
            default=None,
            help="the oldest unanchored row may be this old (QYZMET_AUDIT_ANCHOR_TAIL_MAX_SECONDS)",
        )

    def handle(self, *args, **options) -> None:
        report = audit_anchors_verify(tail_max=options["max_tail_seconds"])
        problems = list(report.problems)
        heads = 0
        if options["witness"]:
            heads, found = witness_directories_verify([Path(d) for d in options["witness"]])
            problems += found
        for problem in problems:
            self.stderr.write(problem)
        (self.stderr if report.tail_over_policy else self.stdout).write(report.tail_line())
        if problems:
            raise CommandError(
                f"{len(problems)} problem(s) in {report.anchors} anchor(s), "
                f"{len(report.rows)} audit row(s) named"
            )
        if report.tail_over_policy:
            raise CommandError(
                "the unanchored tail is older than the policy: is the anchor task running?",
                returncode=2,
            )
        witnessed_note = f", {heads} tree head(s) agree" if options["witness"] else ""
        self.stdout.write(
            f"{report.anchors} anchor(s) agree with the audit trail{witnessed_note}"
        )

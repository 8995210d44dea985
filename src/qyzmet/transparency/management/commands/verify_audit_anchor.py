"""`qyzmet verify_audit_anchor`: recompute the audit trail's hash chain and compare it with the
anchors in the transparency log. Exit status 1 when anything disagrees."""

from django.core.management.base import BaseCommand, CommandError

from qyzmet.transparency.selectors import audit_anchor_verify


class Command(BaseCommand):
    help = "Check the audit trail against its hash-chain anchors in the transparency log."

    def handle(self, *args, **options) -> None:
        checked, problems = audit_anchor_verify()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in {checked} anchor(s)")
        self.stdout.write(f"{checked} anchor(s) agree with the audit trail")

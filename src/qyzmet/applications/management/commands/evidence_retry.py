"""`qyzmet evidence_retry`: retry the waiting applications whose evidence retry is due (run it
from cron where celery beat does not run, e.g. the embedded default; beat runs the same sweep
every minute)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from qyzmet.applications.services import evidence_retry_due


class Command(BaseCommand):
    help = "Retry reading the registry evidence of applications waiting for it (those now due)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500,
                            help="at most this many applications in one run")  # fmt: skip

    def handle(self, *args, limit: int, **options) -> None:
        counts = evidence_retry_due(limit=limit)
        self.stdout.write(
            self.style.SUCCESS(
                "Evidence retry: {started} started, {waiting} still waiting, {skipped} skipped, "
                "{failed} failed.".format(**counts)
            )
        )

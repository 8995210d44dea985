"""Publish a new version of every generated open dataset whose data changed (beat does this
daily; run it by hand after loading data)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from qyzmet.opendata.services import publish_all


class Command(BaseCommand):
    help = "Publish every registered open dataset whose data changed."

    def handle(self, *args, **options) -> None:
        report = publish_all()
        self.stdout.write(
            f"open data: {report['published']} published, {report['unchanged']} unchanged, "
            f"{report['failed']} failed"
        )
        if report["failed"]:
            raise CommandError("failed: " + ", ".join(report["failed_names"]))

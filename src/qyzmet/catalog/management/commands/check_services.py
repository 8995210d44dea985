"""`qyzmet check_services`: validate every service package, then load them.

Each problem is printed as `FILE:POINTER: reason` (one per line, like a compiler), and the exit
code is 1 when there is any. With no problems the packages are synced into the database, so
`make db` both checks and loads them."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qyzmet.catalog.services import PackageInvalid, catalog_sync
from qyzmet.catalog.validation import packages_collect


class Command(BaseCommand):
    help = "Validate the service packages (FILE:POINTER: reason) and load them into the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-sync", action="store_true", help="only validate; do not touch the database"
        )

    def handle(self, *args, **options) -> None:
        collected = packages_collect()
        errors = collected.errors
        if not errors and not options["no_sync"]:
            try:
                report = catalog_sync()
            except PackageInvalid as exc:
                errors = exc.errors
            else:
                self.stdout.write(f"{len(collected.packages)} package(s) valid; {report.summary()}")
                return
        for error in errors:
            self.stderr.write(str(error))
        if errors:
            raise CommandError(f"{len(errors)} service package error(s)", returncode=1)
        self.stdout.write(f"{len(collected.packages)} package(s) valid")

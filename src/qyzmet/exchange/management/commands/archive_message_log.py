"""`qyzmet archive_message_log --before YYYY-MM-DD --out FILE`: move old entries to a signed file
(JSON lines + FILE.sig); `verify_message_log --archive FILE` still verifies them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from qyzmet.exchange.messagelog import message_log_archive


class Command(BaseCommand):
    help = "Archive message-log entries older than a date to a signed JSON-lines file."

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="YYYY-MM-DD or an ISO datetime")
        parser.add_argument("--out", required=True)

    def handle(self, *args, before: str, out: str, **options) -> None:
        try:
            when = dt.datetime.fromisoformat(before)
        except ValueError as exc:
            raise CommandError(f"--before: {exc}") from exc
        if timezone.is_naive(when):
            when = timezone.make_aware(when)
        try:
            archive = message_log_archive(actor=None, before=when, out=Path(out))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if archive is None:
            self.stdout.write("Nothing to archive.")
            return
        self.stdout.write(self.style.SUCCESS(
            f"Archived {archive.entries} entries to {out} (signature {out}.sig)."))

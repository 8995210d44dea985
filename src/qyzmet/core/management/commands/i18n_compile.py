"""Compile every .po catalogue under the package to .mo with polib, so no GNU gettext is needed."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the kk/ru/en translation catalogues (.po -> .mo) without GNU gettext."

    def handle(self, *args, **options) -> None:
        count = 0
        for po_path in Path(settings.PACKAGE_DIR).rglob("*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            count += 1
        self.stdout.write(f"compiled {count} catalogue(s)")

"""`qyzmet exchange_sync [--file PATH]`: load the country pack's members, services and rights."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qyzmet.exchange.conf import platform_client
from qyzmet.exchange.services import KZ_PACK, PackError, client_signer, exchange_sync


class Command(BaseCommand):
    help = "Load exchange members, services and access rights from exchange.yaml (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(KZ_PACK))

    def handle(self, *args, file: str, **options) -> None:
        try:
            counts = exchange_sync(path=Path(file))
        except (PackError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        signer = client_signer(client_id=platform_client())
        self.stdout.write(
            "Exchange: {members} members, {subsystems} subsystems, {services} services, "
            "{rights} rights created or changed.".format(**counts)
        )
        self.stdout.write(f"Platform client {platform_client()} signs with key {signer.key_id}.")

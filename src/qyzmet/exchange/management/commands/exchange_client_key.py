"""`qyzmet exchange_client_key --client ID --out key.pem [--algorithm ed25519|es256]`: make a
key pair for a machine client subsystem, register its public half, write the private half."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qyzmet.core.problem import Problem
from qyzmet.exchange import signing
from qyzmet.exchange.services import client_key_register


class Command(BaseCommand):
    help = "Generate and register a signing key for an exchange client subsystem."

    def add_arguments(self, parser):
        parser.add_argument("--client", required=True)
        parser.add_argument("--out", required=True)
        parser.add_argument("--algorithm", choices=["ed25519", "es256"], default="ed25519")

    def handle(self, *args, client: str, out: str, algorithm: str, **options) -> None:
        key = signing.key_generate(algorithm)
        try:
            registered = client_key_register(
                actor=None, subsystem_id=client, public_pem=signing.public_pem(key)
            )
        except Problem as exc:
            raise CommandError(exc.detail) from exc
        path = Path(out)
        path.write_text(signing.private_pem(key))
        os.chmod(path, 0o600)
        self.stdout.write(self.style.SUCCESS(f"Key {registered.key_id} registered for {client}."))

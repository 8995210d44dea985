"""`qyzmet pki_init`: create the platform's CA hierarchy, OCSP responders and TSA (idempotent)."""

from django.core.management.base import BaseCommand

from qyzmet.signatures.services import pki_init


class Command(BaseCommand):
    help = "Create the root CA, issuing CAs, OCSP responder and TSA certificates if missing."

    def handle(self, *args, **options):
        made = pki_init()
        if made:
            summary = ", ".join(f"{count} {kind}" for kind, count in sorted(made.items()))
            self.stdout.write(f"PKI created: {summary}")
        else:
            self.stdout.write("PKI already complete; nothing created")

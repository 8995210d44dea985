"""Test data for the citizen's and the officer's pages: people known to the population registry
who can sign in, officers of an agency, the catalog loaded, and applications made through the
real services (so every case has a real history, deadline and evidence)."""

from __future__ import annotations

from typing import Any

from qyzmet.applications import services as app_services
from qyzmet.catalog.services import catalog_sync
from qyzmet.exchange.services import exchange_sync
from qyzmet.signatures.services import pki_init
from tests.identity.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.registries.factories import PersonFactory

SERVICE = "kz.address-certificate"
AGENCY = "kz-mvd"

# The smallest files whose first bytes say what they are.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def catalog_loaded() -> None:
    """The service catalogue, the exchange gateway's members, services and access rights
    (evidence is fetched through the gateway) and the PKI (signing)."""
    catalog_sync()
    exchange_sync()
    pki_init()  # submissions and decisions are signed


def citizen(**person: Any):
    """A person in the population registry who has an account (same IIN)."""
    record = PersonFactory(**person)
    return UserFactory(iin=record.iin, full_name=record.full_name)


def agency(code: str = AGENCY):
    from qyzmet.identity.models import Organisation

    existing = Organisation.objects.filter(code=code).first()
    return existing or OrganisationFactory(code=code)


def officer(code: str = AGENCY, role: str = "officer"):
    return MembershipFactory(organisation=agency(code), role=role).user


def submitted(user, *, data: dict | None = None, key: str | None = None):
    application, _ = app_services.application_submit(
        actor=user, service_code=SERVICE, data=data or {"purpose": "bank"}, idempotency_key=key
    )
    return application

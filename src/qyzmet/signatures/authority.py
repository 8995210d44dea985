"""Loading the platform's own CA, TSA, OCSP and seal material from the database.

Internal to the signatures app: services and selectors use it; other apps do not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from django.utils import timezone

from .keystore import key_decrypt
from .models import Certificate

ROOT = "root"
ISSUING = {
    "citizens": "Qyzmet Citizens CA",
    "officials": "Qyzmet Officials CA",
    "seals": "Qyzmet Organisation Seals CA",
    "services": "Qyzmet Trust Services CA",
}
CA_FOR_KIND = {"person": "citizens", "official": "officials", "seal": "seals", "tsa": "services"}


class PkiNotInitialised(RuntimeError):
    """`pki_init` has not been run."""


@dataclass(frozen=True)
class Material:
    """A certificate in both libraries' forms and, for our own keys, the private key."""

    row: Certificate
    cert: x509.Certificate
    asn1: asn1_x509.Certificate
    key: Any | None

    @property
    def serial(self) -> int:
        return self.cert.serial_number


def material(row: Certificate, *, with_key: bool = True, cache_key: bool = True) -> Material:
    der = bytes(row.der)
    key = None
    if with_key and row.key_pem_encrypted:
        key = key_decrypt(bytes(row.key_pem_encrypted), cache=cache_key)
    return Material(
        row=row,
        cert=x509.load_der_x509_certificate(der),
        asn1=asn1_x509.Certificate.load(der),
        key=key,
    )


def ca_row(code: str) -> Certificate:
    row = (
        Certificate.objects.filter(ca_code=code, revoked_at__isnull=True)
        .select_related("issuer")
        .first()
    )
    if row is None:
        raise PkiNotInitialised(f"no live CA {code!r}: run `qyzmet pki_init`")
    return row


def ca(code: str) -> Material:
    return material(ca_row(code))


def ca_rows() -> list[Certificate]:
    """Every CA certificate we hold, live or not: a revoked CA's certificates still need answers."""
    return list(Certificate.objects.filter(kind__in=("root", "ca")).order_by("pk"))


def chain_above(row: Certificate) -> list[asn1_x509.Certificate]:
    """The issuing CAs above `row`, nearest first, root last."""
    chain = []
    current = row.issuer
    while current is not None:
        chain.append(asn1_x509.Certificate.load(bytes(current.der)))
        current = current.issuer
    return chain


def service_material(*, kind: str, issuer: Certificate) -> Material | None:
    """The newest live, unexpired certificate of `kind` (tsa, ocsp) under `issuer`."""
    row = (
        Certificate.objects.filter(
            kind=kind, issuer=issuer, revoked_at__isnull=True, not_after__gt=timezone.now()
        )
        .select_related("issuer")
        .order_by("-pk")
        .first()
    )
    return material(row) if row is not None else None

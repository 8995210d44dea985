"""PKI test material: the real hierarchy (through `pki_init`), people with phones, and foreign
certificates made with `cryptography` the way another CA (or `openssl req`) would make them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from qyzmet.notifications.selectors import sms_demo_messages
from qyzmet.signatures.services import pki_init
from tests.identity.factories import UserFactory
from tests.registries.factories import PersonFactory


def pki_ready() -> None:
    pki_init()


def signer(**overrides: Any):
    """A citizen in the registry, with an account and a phone to receive signing codes."""
    record = PersonFactory()
    fields = {"iin": record.iin, "full_name": record.full_name}
    fields.update(overrides)
    return UserFactory(**fields)


def sms_code(user) -> str:
    """The last one-time code texted to the person, read as their phone would show it (the
    demo inbox: the database keeps it masked)."""
    text = sms_demo_messages(phone=user.phone, limit=1)[0].text
    return re.search(r"\b(\d{6})\b", text).group(1)


@dataclass
class Foreign:
    """A foreign CA and one end-entity certificate under it."""

    ca_cert: x509.Certificate
    ca_key: Any
    cert: x509.Certificate
    key: Any

    def pem(self, what: str) -> bytes:
        if what == "ca":
            return self.ca_cert.public_bytes(serialization.Encoding.PEM)
        if what == "cert":
            return self.cert.public_bytes(serialization.Encoding.PEM)
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def foreign_pki(
    *, not_before: dt.datetime | None = None, days: int = 365, name: str = "Foreign Test CA"
) -> Foreign:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=3650))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or now - dt.timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "ТЕСТОВ ТЕСТ"),
                    x509.NameAttribute(NameOID.SERIAL_NUMBER, "IIN900517300017"),
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
                ]
            )
        )
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return Foreign(ca_cert=ca_cert, ca_key=ca_key, cert=cert, key=key)

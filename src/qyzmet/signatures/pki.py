"""Building X.509 certificates and CRLs with `cryptography`: pure functions, no database.

Subject layout follows NCA RK's certificates (documented in docs/security.md): a person's IIN is
the `serialNumber` attribute written "IIN" + 12 digits, an organisation's BIN is an
`organizationalUnitName` written "BIN" + 12 digits, the country is KZ.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LIFETIME_DAYS = {
    "root": 20 * 365,
    "ca": 10 * 365,
    "person": 365,
    "official": 365,
    "seal": 3 * 365,
    "tsa": 5 * 365,
    "ocsp": 365,
}
BACKDATE = dt.timedelta(minutes=5)  # tolerate clock skew of relying parties


def _fit(text: str, limit: int = 64) -> str:
    """At most `limit` UTF-8 bytes, cut on a character boundary: `cryptography` counts bytes
    for the RFC 5280 upper bounds, and a Kazakh agency name easily exceeds 64 of them."""
    data = text.strip().encode()[:limit]
    return data.decode(errors="ignore").strip() or "?"


def subject_name(
    *,
    common_name: str,
    iin: str = "",
    bin_: str = "",
    organisation: str = "",
    surname: str = "",
    given_name: str = "",
) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, _fit(common_name))]
    if surname:
        attributes.append(x509.NameAttribute(NameOID.SURNAME, _fit(surname)))
    if given_name:
        attributes.append(x509.NameAttribute(NameOID.GIVEN_NAME, _fit(given_name)))
    if iin:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, f"IIN{iin}"))
    attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"))
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(organisation)))
    if bin_:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"BIN{bin_}"))
    return x509.Name(attributes)


def certificate_build(
    *,
    kind: str,
    subject: x509.Name,
    public_key: Any,
    issuer_cert: x509.Certificate | None,
    issuer_key: Any,
    now: dt.datetime,
    base_url: str,
    issuer_ca_code: str,
    ca_code: str = "",
) -> x509.Certificate:
    """One certificate of `kind`. `issuer_cert` None means self-signed (the root)."""
    serial = x509.random_serial_number()
    not_after = now + dt.timedelta(days=LIFETIME_DAYS[kind])
    if issuer_cert is not None:
        not_after = min(not_after, issuer_cert.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert is not None else subject)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    issuer_public = issuer_cert.public_key() if issuer_cert is not None else public_key
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False
    )
    is_ca = kind in ("root", "ca")
    builder = builder.add_extension(
        x509.BasicConstraints(
            ca=is_ca, path_length=(None if kind == "root" else 0) if is_ca else None
        ),
        critical=True,
    )
    builder = builder.add_extension(
        x509.KeyUsage(
            digital_signature=not is_ca,
            content_commitment=kind in ("person", "official", "seal"),
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=is_ca,
            crl_sign=is_ca,
            encipher_only=False,
            decipher_only=False,
        ),
        critical=True,
    )
    if kind == "tsa":
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    if kind == "ocsp":
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=True
        )
        builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
    if kind in ("person", "official"):
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    if issuer_cert is not None and kind != "ocsp":
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[
                            x509.UniformResourceIdentifier(
                                f"{base_url}/pki/crl/{issuer_ca_code}.crl"
                            )
                        ],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(f"{base_url}/pki/ocsp"),
                    )
                ]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def crl_build(
    *,
    issuer_cert: x509.Certificate,
    issuer_key: Any,
    revoked: list[tuple[int, dt.datetime, str]],
    now: dt.datetime,
    number: int,
    next_update: dt.timedelta = dt.timedelta(hours=24),
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer_cert.subject)
        .last_update(now)
        .next_update(now + next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()),
            critical=False,
        )
    )
    for serial, when, reason in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
        if reason and reason != "unspecified":
            entry = entry.add_extension(x509.CRLReason(x509.ReasonFlags[reason]), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(issuer_key, hashes.SHA256())


def is_ec(key: Any) -> bool:
    return isinstance(key, ec.EllipticCurvePrivateKey)

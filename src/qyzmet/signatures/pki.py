"""Building X.509 certificates and CRLs with `cryptography`: pure functions, no database.

Subject layout follows NCA RK's certificates (documented in docs/security.md): a person's IIN is
the `serialNumber` attribute written "IIN" + 12 digits, an organisation's BIN is an
`organizationalUnitName` written "BIN" + 12 digits, the country is KZ.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import warnings
from typing import Any, cast

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPublicKeyTypes
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


# RFC 5280 Appendix A: ub-common-name and ub-organization-name are 64, counted in characters
# of the DirectoryString (zlint and X.520 count them so), not in UTF-8 bytes. A Kazakh or
# Russian agency name of 40 letters is 80 bytes and fits.
UB_NAME = 64
# X.520 `name` (id-at-name, 2.5.4.41): ub-name is 32768. It carries an agency's full name when
# the CN and O had to be shortened; 256 characters keep the RFC 4514 text of the whole subject
# within the 500 characters of Certificate.subject.
ID_AT_NAME = x509.ObjectIdentifier("2.5.4.41")
FULL_NAME_MAX = 256
ELLIPSIS = "…"
# Left dangling before the ellipsis, these read badly ("Министерство юстиции (…"): dropped.
_DANGLING = " ,;:-–—(/&«"

# cryptography counts UTF-8 bytes for the CN bound: it refuses more than 64 unless told not to
# validate, and then warns, also each time such a certificate is parsed. We bound characters
# ourselves (name_shorten), so for our code that warning is noise: a person's name of 33
# Cyrillic letters already passes 64 bytes. (pytest restores the warning filters around each
# test, so tests that read such certificates filter it themselves.)
warnings.filterwarnings(
    "ignore",
    message=r"Attribute's length must be >= 1 and <= 64",
    category=UserWarning,
    module=r"qyzmet\.",
)


def name_clean(text: str) -> str:
    """NFC, with runs of white space made one space: the text whose characters are counted."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def name_shorten(text: str, limit: int = UB_NAME) -> str:
    """`text` in at most `limit` characters. A longer text ends after its last whole word that
    fits, followed by an ellipsis; it is never cut inside a word or inside a character (text is
    NFC-normalised first, so Kazakh letters are single code points, and a cut never separates a
    combining mark from its letter). Only a first word longer than the limit is cut inside,
    because nothing else would fit."""
    text = name_clean(text)
    if len(text) <= limit:
        return text or "?"
    room = limit - len(ELLIPSIS)
    cut = text.rfind(" ", 0, room + 1)  # the space after the last word that fits whole
    if cut <= 0:
        cut = room
        while cut > 0 and unicodedata.combining(text[cut]):
            cut -= 1
    head = text[:cut].rstrip(_DANGLING) or text[:cut]
    return head + ELLIPSIS


def _attribute(oid: x509.ObjectIdentifier, value: str) -> x509.NameAttribute:
    if oid == NameOID.COMMON_NAME and len(value.encode()) > UB_NAME:
        # Within 64 characters (name_shorten) but over 64 bytes: see the filter above.
        return x509.NameAttribute(oid, value, _validate=False)
    return x509.NameAttribute(oid, value)


def subject_name(
    *,
    common_name: str,
    iin: str = "",
    bin_: str = "",
    organisation: str = "",
    surname: str = "",
    given_name: str = "",
) -> x509.Name:
    """The subject of one of our certificates. Names longer than the X.509 upper bounds are
    shortened at a word boundary with an ellipsis (name_shorten); the full name of the
    organisation (or, for a person without one, of the subject) then also goes into the X.520
    `name` attribute, which has no such bound, so that verifiers show it whole."""
    cn, cn_full = name_shorten(common_name), name_clean(common_name)
    attributes = [_attribute(NameOID.COMMON_NAME, cn)]
    if surname:
        attributes.append(_attribute(NameOID.SURNAME, name_shorten(surname)))
    if given_name:
        attributes.append(_attribute(NameOID.GIVEN_NAME, name_shorten(given_name)))
    if iin:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, f"IIN{iin}"))
    attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"))
    org_full = name_clean(organisation)
    org = name_shorten(org_full) if org_full else ""
    if org:
        attributes.append(_attribute(NameOID.ORGANIZATION_NAME, org))
    if bin_:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"BIN{bin_}"))
    full = org_full if org != org_full else cn_full if cn != cn_full else ""
    if full:
        attributes.append(_attribute(ID_AT_NAME, name_shorten(full, FULL_NAME_MAX)))
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
    # An issuer's certificate holds a signing key (never X25519/X448): it signs certificates.
    issuer_public = (
        cast(CertificateIssuerPublicKeyTypes, issuer_cert.public_key())
        if issuer_cert is not None
        else public_key
    )
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
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                cast(CertificateIssuerPublicKeyTypes, issuer_cert.public_key())  # as above
            ),
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

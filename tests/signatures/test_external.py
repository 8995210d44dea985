"""Signatures made elsewhere (here: by the openssl CLI with a foreign CA, as NCALayer would
with NCA RK's), judged against the configured trust roots, with a precise reason each time."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from qyzmet.signatures.selectors import signature_external_verify

from .conftest import openssl, requires_openssl
from .factories import Foreign, foreign_pki

pytestmark = [pytest.mark.django_db, requires_openssl]

CONTENT = "Өтініш: мекенжай анықтамасы\n".encode()


def _sign(foreign: Foreign, tmp_path, content: bytes = CONTENT, *extra: str) -> bytes:
    (tmp_path / "content").write_bytes(content)
    (tmp_path / "cert.pem").write_bytes(foreign.pem("cert"))
    (tmp_path / "key.pem").write_bytes(foreign.pem("key"))
    openssl(
        "cms",
        "-sign",
        "-binary",
        "-outform",
        "DER",
        "-md",
        "sha256",
        "-in",
        str(tmp_path / "content"),
        "-signer",
        str(tmp_path / "cert.pem"),
        "-inkey",
        str(tmp_path / "key.pem"),
        "-out",
        str(tmp_path / "sig.p7s"),
        *extra,
    )
    return (tmp_path / "sig.p7s").read_bytes()


@pytest.fixture
def trust_dir(settings, tmp_path, pki):
    directory = tmp_path / "trust"
    directory.mkdir()
    settings.QYZMET_TRUST_ROOTS_DIR = str(directory)
    return directory


def test_trusted_once_its_root_is_configured(trust_dir, tmp_path):
    foreign = foreign_pki()
    der = _sign(foreign, tmp_path)
    verdict = signature_external_verify(payload_bytes=CONTENT, cms_der=der)
    assert (verdict.valid, verdict.reason) == (False, "untrusted")
    assert "trusted root" in verdict.message
    (trust_dir / "foreign-root.pem").write_bytes(foreign.pem("ca"))
    verdict = signature_external_verify(payload_bytes=CONTENT, cms_der=der)
    assert (verdict.valid, verdict.reason) == (True, "ok")
    assert verdict.signer_iin == "900517300017"
    assert verdict.signing_time is not None


def test_der_pem_and_base64_are_all_accepted(trust_dir, tmp_path):
    foreign = foreign_pki()
    (trust_dir / "root.pem").write_bytes(foreign.pem("ca"))
    der = _sign(foreign, tmp_path)
    pem = b"-----BEGIN CMS-----\n" + base64.encodebytes(der) + b"-----END CMS-----\n"
    for form in (der, pem, base64.b64encode(der)):
        assert signature_external_verify(payload_bytes=CONTENT, cms_der=form).valid


def test_other_bytes_are_rejected(trust_dir, tmp_path):
    foreign = foreign_pki()
    (trust_dir / "root.pem").write_bytes(foreign.pem("ca"))
    der = _sign(foreign, tmp_path)
    verdict = signature_external_verify(payload_bytes=CONTENT + b".", cms_der=der)
    assert (verdict.valid, verdict.reason) == (False, "bytes_differ")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda der: b"",
        lambda der: b"hello, this is not a signature",
        lambda der: der[: len(der) // 2],
        lambda der: b"\x30\x03\x02\x01\x01",
        lambda der: b"\x31" + der[1:],
        lambda der: der + b"trailing bytes",
    ],
)
def test_a_broken_structure_is_named(trust_dir, tmp_path, mangle):
    der = _sign(foreign_pki(), tmp_path)
    verdict = signature_external_verify(payload_bytes=CONTENT, cms_der=mangle(der))
    assert (verdict.valid, verdict.reason) == (False, "broken_structure")
    assert "damaged" in verdict.message


def test_a_tampered_signature_value_is_named(trust_dir, tmp_path):
    foreign = foreign_pki()
    (trust_dir / "root.pem").write_bytes(foreign.pem("ca"))
    der = bytearray(_sign(foreign, tmp_path))
    der[-5] ^= 0x01  # inside the ECDSA signature value at the end of the SignerInfo
    verdict = signature_external_verify(payload_bytes=CONTENT, cms_der=bytes(der))
    assert not verdict.valid
    assert verdict.reason in ("bad_signature", "broken_structure")


def test_an_expired_certificate_is_named(trust_dir, tmp_path):
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    foreign = foreign_pki(not_before=past, days=30)
    (trust_dir / "root.pem").write_bytes(foreign.pem("ca"))
    verdict = signature_external_verify(payload_bytes=CONTENT, cms_der=_sign(foreign, tmp_path))
    assert (verdict.valid, verdict.reason) == (False, "expired")


def test_a_certificate_revoked_in_a_configured_crl_is_named(trust_dir, tmp_path):
    foreign = foreign_pki()
    (trust_dir / "root.pem").write_bytes(foreign.pem("ca"))
    der = _sign(foreign, tmp_path)
    now = dt.datetime.now(dt.UTC)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(foreign.ca_cert.subject)
        .last_update(now)
        .next_update(now + dt.timedelta(1))
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(foreign.cert.serial_number)
            .revocation_date(now)
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
        .sign(foreign.ca_key, hashes.SHA256())
    )
    (trust_dir / "foreign.crl").write_bytes(crl.public_bytes(serialization.Encoding.DER))
    verdict = signature_external_verify(payload_bytes=CONTENT, cms_der=der)
    assert (verdict.valid, verdict.reason, verdict.revocation_reason) == (
        False,
        "revoked",
        "key_compromise",
    )


def test_a_crl_not_signed_by_the_issuer_is_ignored(trust_dir, tmp_path):
    foreign, impostor = foreign_pki(), foreign_pki()
    (trust_dir / "root.pem").write_bytes(foreign.pem("ca"))
    now = dt.datetime.now(dt.UTC)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(foreign.ca_cert.subject)
        .last_update(now)
        .next_update(now + dt.timedelta(1))
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(foreign.cert.serial_number)
            .revocation_date(now)
            .build()
        )
        .sign(impostor.ca_key, hashes.SHA256())
    )
    (trust_dir / "forged.crl").write_bytes(crl.public_bytes(serialization.Encoding.DER))
    assert signature_external_verify(payload_bytes=CONTENT, cms_der=_sign(foreign, tmp_path)).valid


def test_der_ending_in_a_whitespace_byte_is_not_trimmed(trust_dir, tmp_path):
    """DER is binary: a signature whose last byte is 0x20 or 0x0a must reach the parser whole."""
    from qyzmet.signatures.cms import cms_bytes_normalise

    der = b"\x30\x03\x02\x01\x20"
    assert cms_bytes_normalise(der) == der
    assert cms_bytes_normalise(b"\n" + base64.b64encode(der) + b"\n") == der

"""The hierarchy, keys at rest, subjects in NCA RK's layout, revocation and CRLs."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from qyzmet.core.problem import Problem
from qyzmet.signatures.algorithms import GOST_2015, AlgorithmUnavailable, algorithm_get
from qyzmet.signatures.authority import ca_row
from qyzmet.signatures.keystore import passphrase
from qyzmet.signatures.models import Certificate
from qyzmet.signatures.selectors import certificate_status, crl_der
from qyzmet.signatures.services import (
    certificate_for_user,
    certificate_revoke,
    pki_init,
    seal_certificate,
)
from tests.identity.factories import MembershipFactory
from tests.portal.factories import agency

from .conftest import openssl, pem_of, requires_openssl
from .factories import signer

pytestmark = pytest.mark.django_db


def _cert(row: Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(bytes(row.der))


def test_pki_init_builds_the_hierarchy_once(capsys):
    call_command("pki_init")
    assert "PKI created: 4 ca, 5 ocsp, 1 root, 1 tsa" in capsys.readouterr().out
    call_command("pki_init")
    assert "nothing created" in capsys.readouterr().out
    assert pki_init() == {}
    root = _cert(ca_row("root"))
    assert root.issuer == root.subject
    for code in ("citizens", "officials", "seals", "services"):
        ca = _cert(ca_row(code))
        assert ca.issuer == root.subject
        ca.verify_directly_issued_by(root)
        assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_ca_keys_are_encrypted_at_rest(pki):
    for row in Certificate.objects.filter(kind__in=("root", "ca", "ocsp", "tsa")):
        pem = bytes(row.key_pem_encrypted)
        assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        with pytest.raises(TypeError):  # no password: refused
            serialization.load_pem_private_key(pem, password=None)
        with pytest.raises(ValueError):
            serialization.load_pem_private_key(pem, password=b"wrong passphrase")
        key = serialization.load_pem_private_key(pem, password=passphrase())
        assert key.public_key() == _cert(row).public_key()


def test_a_passphrase_is_required_outside_the_embedded_mode(settings, monkeypatch):
    monkeypatch.delenv("QYZMET_PKI_PASSPHRASE", raising=False)
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "qyzmet.settings.production")
    settings.SECRET_KEY = "a-real-production-secret-" + "x" * 40
    with pytest.raises(ImproperlyConfigured):
        passphrase()
    monkeypatch.setenv("QYZMET_PKI_PASSPHRASE", "from the vault")
    assert passphrase() == b"from the vault"


def test_gost_is_a_plug_in_point_not_a_silent_fallback():
    with pytest.raises(AlgorithmUnavailable, match="GOST provider"):
        algorithm_get(GOST_2015)
    assert algorithm_get("rsa-3072").cms_signature_algorithm == "sha256_rsa"


def test_person_certificate_carries_the_iin_as_nca_rk_does(pki):
    user = signer(full_name="Әлиев Ғалым Қайратұлы")
    cert = _cert(certificate_for_user(user=user))
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == f"IIN{user.iin}"
    assert cert.subject.get_attributes_for_oid(NameOID.SURNAME)[0].value == "Әлиев"
    assert cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "KZ"
    cert.verify_directly_issued_by(_cert(ca_row("citizens")))
    # The same live certificate is reused, not reissued.
    assert certificate_for_user(user=user).serial == str(cert.serial_number)


def test_official_and_seal_certificates_carry_the_bin(pki):
    org = agency("kz-mvd")
    official = MembershipFactory(organisation=org, role="officer").user
    cert = _cert(certificate_for_user(user=official, organisation_code="kz-mvd"))
    units = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    assert units == [f"BIN{org.bin}"]
    serial_attribute = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0]
    assert serial_attribute.value == f"IIN{official.iin}"
    cert.verify_directly_issued_by(_cert(ca_row("officials")))
    seal = _cert(seal_certificate(organisation_code="kz-mvd"))
    assert [
        a.value for a in seal.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    ] == [f"BIN{org.bin}"]
    assert seal_certificate(organisation_code="kz-mvd").serial == str(seal.serial_number)


def test_an_official_certificate_needs_a_role_in_the_organisation(pki):
    agency("kz-mvd")
    with pytest.raises(Problem) as caught:
        certificate_for_user(user=signer(), organisation_code="kz-mvd")
    assert caught.value.status == 403


@requires_openssl
def test_openssl_verifies_the_chain(pki_files, tmp_path):
    user = signer()
    leaf = tmp_path / "leaf.pem"
    leaf.write_bytes(pem_of(certificate_for_user(user=user)))
    result = openssl(
        "verify",
        "-CAfile",
        str(pki_files["root"]),
        "-untrusted",
        str(pki_files["citizens"]),
        str(leaf),
    )
    assert result.stdout.strip().endswith("OK")


@requires_openssl
def test_revocation_is_immediate_and_published_in_the_crl(pki, tmp_path):
    user = signer()
    row = certificate_for_user(user=user)
    assert certificate_status(serial=row.serial).state == "good"
    certificate_revoke(actor=user, serial=row.serial, reason="key_compromise")
    status = certificate_status(serial=row.serial)
    assert (status.state, status.reason) == ("revoked", "key_compromise")
    path = tmp_path / "citizens.crl"
    path.write_bytes(crl_der(ca_code="citizens"))
    text = openssl("crl", "-inform", "DER", "-in", str(path), "-noout", "-text").stdout
    assert f"{int(row.serial):X}" in text.upper().replace(":", "")
    assert "Key Compromise" in text
    crl = x509.load_der_x509_crl(bytes(path.read_bytes()))
    assert crl.is_signature_valid(_cert(ca_row("citizens")).public_key())
    # A second revocation is a conflict, and a new certificate can be issued after it.
    with pytest.raises(Problem) as caught:
        certificate_revoke(actor=user, serial=row.serial, reason="superseded")
    assert caught.value.status == 409
    assert certificate_for_user(user=user).serial != row.serial


def test_only_the_owner_or_a_superuser_may_revoke(pki):
    owner, other = signer(), signer()
    row = certificate_for_user(user=owner)
    with pytest.raises(Problem) as caught:
        certificate_revoke(actor=other, serial=row.serial, reason="key_compromise")
    assert caught.value.status == 404
    with pytest.raises(Problem) as caught:
        certificate_revoke(actor=owner, serial=row.serial, reason="because")
    assert caught.value.status == 422
    other.is_superuser = True
    assert certificate_revoke(actor=other, serial=row.serial, reason="privilege_withdrawn")


def test_a_plug_in_algorithm_signs_cms_through_the_registry(pki):
    """The GOST/HSM seam: a key object naming a registered algorithm is used via `sign()`."""
    import datetime as dt

    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from qyzmet.signatures.algorithms import Algorithm, algorithm_register
    from qyzmet.signatures.cms import cms_integrity_fast, cms_sign

    inner = ec.generate_private_key(ec.SECP256R1())
    calls = []

    class HandleKey:
        qyzmet_algorithm = "test-hsm"

    algorithm_register(
        Algorithm(
            name="test-hsm",
            generate=HandleKey,
            sign=lambda key, data: (
                calls.append(data) or inner.sign(data, ec.ECDSA(hashes.SHA256()))
            ),
            cms_signature_algorithm="sha256_ecdsa",
        )
    )
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hsm")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(inner.public_key())
        .serial_number(7)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(inner, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    cms_der = cms_sign(
        data=b"x",
        private_key=HandleKey(),
        cert=asn1_x509.Certificate.load(der),
        chain=[],
        signing_time=now,
    )
    assert len(calls) == 1
    assert cms_integrity_fast(data=b"x", cms_der=cms_der, cert_der=der) == ""


def test_long_kazakh_names_fit_the_rfc5280_bounds(pki):
    from qyzmet.signatures.pki import subject_name

    name = "Қазақстан Республикасы Ішкі істер министрлігінің Көші-қон қызметі комитеті"
    subject = subject_name(common_name=name, organisation=name, bin_="123456789012")
    cn = subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    # 64 characters, not bytes (RFC 5280), cut after a whole word (tests/signatures/
    # test_seal_names.py has the full story).
    assert len(cn) <= 64 and cn.endswith("…") and name.startswith(cn[:-1])
    from tests.identity.factories import OrganisationFactory

    # An agency whose official name is longer than X.509's 64-character bound.
    OrganisationFactory(code="kz-long-name", name_kk=name, name_ru=name, name_en=name)
    row = seal_certificate(organisation_code="kz-long-name")
    organisation = _cert(row).subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    assert len(organisation) <= 64 and name.startswith(organisation[:-1])


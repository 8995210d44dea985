"""OCSP (RFC 6960), CRL and TSA (RFC 3161) endpoints, checked by the openssl CLI over HTTP."""

from __future__ import annotations

import base64
from urllib.parse import quote

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from qyzmet.signatures.authority import ca_row
from qyzmet.signatures.services import certificate_for_user, certificate_revoke

from .conftest import openssl, pem_of, requires_openssl
from .factories import signer

pytestmark = [requires_openssl]


def _ocsp(live_server, files, leaf, *extra: str) -> str:
    result = openssl(
        "ocsp",
        "-issuer",
        str(files["citizens"]),
        *extra,
        "-url",
        f"{live_server.url}/pki/ocsp",
        "-CAfile",
        str(files["root"]),
        "-resp_text",
        check=False,
    )
    return result.stdout + result.stderr


@pytest.mark.django_db(transaction=True)
def test_openssl_ocsp_good_revoked_unknown(live_server, pki_files, tmp_path):
    user = signer()
    row = certificate_for_user(user=user)
    leaf = tmp_path / "leaf.pem"
    leaf.write_bytes(pem_of(row))

    out = _ocsp(live_server, pki_files, leaf, "-cert", str(leaf))
    assert "Response verify OK" in out
    assert f"{leaf}: good" in out

    certificate_revoke(actor=user, serial=row.serial, reason="key_compromise")
    out = _ocsp(live_server, pki_files, leaf, "-cert", str(leaf))
    assert "Response verify OK" in out
    assert f"{leaf}: revoked" in out
    assert "Reason: keyCompromise" in out
    assert "Revocation Time:" in out

    out = _ocsp(live_server, pki_files, leaf, "-serial", "0x1234567890")
    assert "Response verify OK" in out
    assert "0x1234567890: unknown" in out


@pytest.mark.django_db(transaction=True)
def test_ocsp_get_form_and_bad_requests(live_server, pki):
    row = certificate_for_user(user=signer())
    cert = x509.load_der_x509_certificate(bytes(row.der))
    issuer = x509.load_der_x509_certificate(bytes(ca_row("citizens").der))
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build()
    encoded = quote(base64.b64encode(request.public_bytes(serialization.Encoding.DER)), safe="")
    response = httpx.get(f"{live_server.url}/pki/ocsp/{encoded}")
    assert response.headers["content-type"] == "application/ocsp-response"
    answer = ocsp.load_der_ocsp_response(response.content)
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert answer.serial_number == cert.serial_number

    garbage = httpx.post(
        f"{live_server.url}/pki/ocsp",
        content=b"\x30\x03junk",
        headers={"content-type": "application/ocsp-request"},
    )
    assert ocsp.load_der_ocsp_response(garbage.content).response_status == (
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )
    # A certificate of someone else's CA: we are not authorised to answer for it. (SHA-1 is
    # what RFC 6960 clients use for CertID by default, openssl included.)
    foreign = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(
            issuer,
            issuer,
            hashes.SHA1(),  # noqa: S303 - the CertID hash RFC 6960 clients send
        )
        .build()
    )
    other = httpx.post(
        f"{live_server.url}/pki/ocsp",
        content=foreign.public_bytes(serialization.Encoding.DER),
        headers={"content-type": "application/ocsp-request"},
    )
    assert ocsp.load_der_ocsp_response(other.content).response_status == (
        ocsp.OCSPResponseStatus.UNAUTHORIZED
    )
    wrong_type = httpx.post(
        f"{live_server.url}/pki/ocsp", content=b"x", headers={"content-type": "text/plain"}
    )
    assert wrong_type.status_code == 415


@pytest.mark.django_db(transaction=True)
def test_crl_endpoint_serves_der_signed_by_the_ca(live_server, pki):
    response = httpx.get(f"{live_server.url}/pki/crl/citizens.crl")
    assert response.headers["content-type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    ca = x509.load_der_x509_certificate(bytes(ca_row("citizens").der))
    assert crl.is_signature_valid(ca.public_key())
    assert httpx.get(f"{live_server.url}/pki/crl/nosuch.crl").status_code == 404
    assert httpx.get(f"{live_server.url}/pki/ca/root.crt").content == bytes(ca_row("root").der)


@pytest.mark.django_db(transaction=True)
def test_openssl_ts_verifies_our_timestamp(live_server, pki_files, tmp_path):
    data = tmp_path / "data.txt"
    data.write_bytes("Қызмет — дерек".encode())
    query = tmp_path / "q.tsq"
    openssl("ts", "-query", "-data", str(data), "-sha256", "-cert", "-out", str(query))
    response = httpx.post(
        f"{live_server.url}/pki/tsa",
        content=query.read_bytes(),
        headers={"content-type": "application/timestamp-query"},
    )
    assert response.headers["content-type"] == "application/timestamp-reply"
    reply = tmp_path / "r.tsr"
    reply.write_bytes(response.content)
    text = openssl("ts", "-reply", "-in", str(reply), "-text").stdout
    assert "Status: Granted." in text
    verified = openssl(
        "ts",
        "-verify",
        "-data",
        str(data),
        "-in",
        str(reply),
        "-CAfile",
        str(pki_files["root"]),
        "-untrusted",
        str(pki_files["services"]),
        check=False,
    )
    assert "Verification: OK" in verified.stdout, verified.stderr
    other = tmp_path / "other.txt"
    other.write_bytes(b"different")
    failed = openssl(
        "ts",
        "-verify",
        "-data",
        str(other),
        "-in",
        str(reply),
        "-CAfile",
        str(pki_files["root"]),
        "-untrusted",
        str(pki_files["services"]),
        check=False,
    )
    assert "Verification: OK" not in failed.stdout

    bad = httpx.post(
        f"{live_server.url}/pki/tsa",
        content=b"not a query",
        headers={"content-type": "application/timestamp-query"},
    )
    assert bad.status_code == 200  # RFC 3161: a rejection is a TimeStampResp
    text = tmp_path / "bad.tsr"
    text.write_bytes(bad.content)
    assert "Status: Rejected" in openssl("ts", "-reply", "-in", str(text), "-text").stdout

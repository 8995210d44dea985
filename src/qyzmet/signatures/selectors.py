"""Reads of the signatures app: certificate status, CRLs and OCSP answers, and verification of
signatures made here or elsewhere — each failure with one precise reason.

Revocation is read from the `Certificate` table at the moment of the question, so a revocation
is effective for OCSP, CRLs and every verification from the instant it commits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificateIssuerPublicKeyTypes,
)
from cryptography.x509 import ocsp
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qyzmet.core.coroutines import coroutine_run

from . import pki
from .authority import ROOT, PkiNotInitialised, ca_row, ca_rows, material, service_material
from .cms import (
    CmsStructureError,
    cms_bytes_normalise,
    cms_integrity_fast,
    cms_parse,
    cms_signing_time,
)
from .models import Certificate, SignatureRequest, SignedPayload

logger = logging.getLogger(__name__)
CLOCK_SKEW = dt.timedelta(minutes=5)


# --- status --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateStatus:
    state: str  # "good" | "revoked" | "unknown"
    revoked_at: dt.datetime | None = None
    reason: str = ""


def _status_of(row: Certificate | None) -> CertificateStatus:
    if row is None:
        return CertificateStatus("unknown")
    if row.revoked_at is not None:
        return CertificateStatus("revoked", row.revoked_at, row.revocation_reason)
    return CertificateStatus("good")


def certificate_status(*, serial: int | str) -> CertificateStatus:
    return _status_of(Certificate.objects.filter(serial=str(serial)).first())


def certificate_ours(*, der: bytes) -> Certificate | None:
    """The row of a certificate we issued — the same bytes, not merely the same serial."""
    cert = x509.load_der_x509_certificate(der)
    row = (
        Certificate.objects.filter(serial=str(cert.serial_number)).select_related("issuer").first()
    )
    return row if row is not None and bytes(row.der) == der else None


def ca_certificate_der(*, ca_code: str) -> bytes:
    return bytes(ca_row(ca_code).der)


def certificates_of_user(*, user_id: int) -> list[Certificate]:
    return list(Certificate.objects.filter(user_id=user_id).order_by("-pk"))


def signature_request_get(*, user_id: int, request_id: str) -> SignatureRequest:
    """The person's own signing request; someone else's is simply not found."""
    from qyzmet.core.problem import not_found

    row = SignatureRequest.objects.filter(pk=request_id, user_id=user_id).first()
    if row is None:
        raise not_found("signature request")
    return row


def signed_payload_for_request(*, request_id: str) -> SignedPayload | None:
    return SignedPayload.objects.select_related("certificate").filter(request_id=request_id).first()


def signatures_for_ref(*, ref: str) -> list[SignedPayload]:
    """The signatures made over requests created with this `ref`, oldest first."""
    return list(
        SignedPayload.objects.select_related("certificate", "request")
        .filter(request__ref=ref)
        .order_by("pk")
    )


# --- CRL -----------------------------------------------------------------------------------


def crl_der(*, ca_code: str, now: dt.datetime | None = None) -> bytes:
    """A fresh CRL of CA `ca_code`, DER. Built on request from the table, so it is never stale."""
    ca = material(ca_row(ca_code))
    now = now or timezone.now()
    revoked = [
        (int(row.serial), row.revoked_at, row.revocation_reason)
        for row in Certificate.objects.filter(issuer=ca.row, revoked_at__isnull=False)
        if row.revoked_at is not None  # as filtered; says so to the type checker
    ]
    crl = pki.crl_build(
        issuer_cert=ca.cert,
        issuer_key=ca.key,
        revoked=revoked,
        now=now,
        number=int(now.timestamp() * 1000),
    )
    return crl.public_bytes(serialization.Encoding.DER)


# --- OCSP (RFC 6960) -----------------------------------------------------------------------


def _raw_public_key(cert: x509.Certificate) -> bytes:
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return asn1_keys.PublicKeyInfo.load(spki)["public_key"].contents[1:]


@lru_cache(maxsize=256)
def _ca_ids(pk: int, der: bytes, algorithm: str) -> tuple[bytes, bytes]:
    cert = x509.load_der_x509_certificate(der)
    name = cert.subject.public_bytes()
    key = _raw_public_key(cert)
    return hashlib.new(algorithm, name).digest(), hashlib.new(algorithm, key).digest()


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )


def ocsp_respond(*, request_der: bytes, now: dt.datetime | None = None) -> bytes:
    """An RFC 6960 OCSPResponse (DER) for a DER OCSPRequest: good, revoked (with time and
    reason) or unknown for any serial under one of our CAs; `unauthorized` for other issuers;
    `malformedRequest` for bytes that are not a (single-certificate) request."""
    try:
        request = ocsp.load_der_ocsp_request(request_der)
        algorithm = request.hash_algorithm
        name_hash, key_hash, serial = (
            request.issuer_name_hash,
            request.issuer_key_hash,
            request.serial_number,
        )
    except Exception:  # every parse failure is the client's malformed request
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    issuer = None
    for ca in ca_rows():
        if _ca_ids(ca.pk, bytes(ca.der), algorithm.name) == (name_hash, key_hash):
            issuer = ca
            break
    if issuer is None:
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    responder = service_material(kind="ocsp", issuer=issuer) or material(issuer)
    row = Certificate.objects.filter(issuer=issuer, serial=str(serial)).first()
    status = _status_of(row)
    now = now or timezone.now()
    cert_status = {
        "good": ocsp.OCSPCertStatus.GOOD,
        "revoked": ocsp.OCSPCertStatus.REVOKED,
        "unknown": ocsp.OCSPCertStatus.UNKNOWN,
    }[status.state]
    reason = None
    if status.state == "revoked" and status.reason not in ("", "unspecified"):
        reason = x509.ReasonFlags[status.reason]
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=name_hash,
        issuer_key_hash=key_hash,
        serial_number=serial,
        algorithm=algorithm,
        cert_status=cert_status,
        this_update=now,
        next_update=now + dt.timedelta(minutes=10),
        revocation_time=status.revoked_at if status.state == "revoked" else None,
        revocation_reason=reason,
    )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder.cert)
    if responder.row.pk != issuer.pk:
        builder = builder.certificates([responder.cert])
    for extension in request.extensions:
        if isinstance(extension.value, x509.OCSPNonce):
            builder = builder.add_extension(extension.value, critical=False)
    # material() loads the key of a CA or OCSP row: the platform holds both, and they sign.
    responder_key = cast(CertificateIssuerPrivateKeyTypes, responder.key)
    return builder.sign(responder_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


# --- trust roots ---------------------------------------------------------------------------


def _pem_or_der_certs(data: bytes) -> list[x509.Certificate]:
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def trust_roots() -> list[x509.Certificate]:
    """Our root plus every certificate in `QYZMET_TRUST_ROOTS_DIR` (*.pem, *.crt, *.cer):
    trust roots are data — adding NCA RK's roots is copying their files there."""
    roots: list[x509.Certificate] = []
    with contextlib.suppress(PkiNotInitialised):
        roots.append(x509.load_der_x509_certificate(bytes(ca_row(ROOT).der)))
    directory = getattr(settings, "QYZMET_TRUST_ROOTS_DIR", None)
    if directory and Path(directory).is_dir():
        for path in sorted(Path(directory).iterdir()):
            if path.suffix.lower() in (".pem", ".crt", ".cer"):
                try:
                    roots.extend(_pem_or_der_certs(path.read_bytes()))
                except ValueError:
                    logger.warning("trust root %s is not a certificate; ignored", path)
    return roots


def _foreign_crls() -> list[x509.CertificateRevocationList]:
    """CRLs of foreign CAs, from `*.crl` files in the trust roots directory (PEM or DER)."""
    directory = getattr(settings, "QYZMET_TRUST_ROOTS_DIR", None)
    crls = []
    if directory and Path(directory).is_dir():
        for path in sorted(Path(directory).glob("*.crl")):
            data = path.read_bytes()
            try:
                crls.append(
                    x509.load_pem_x509_crl(data)
                    if b"-----BEGIN" in data
                    else x509.load_der_x509_crl(data)
                )
            except ValueError:
                logger.warning("CRL %s is unreadable; ignored", path)
    return crls


# --- verdicts ------------------------------------------------------------------------------

REASONS = {
    "ok": _("The signature is valid."),
    "broken_structure": _("The signature file is damaged or is not a CMS signature."),
    "bytes_differ": _(
        "The signed content differs from these bytes: it was changed after "
        "signing, or this is another file."
    ),
    "bad_signature": _("The signature value does not match the signer's key."),
    "untrusted": _("The signer's certificate does not lead to a trusted root."),
    "expired": _("The signer's certificate had expired when the signature was made."),
    "not_yet_valid": _("The signer's certificate was not yet valid when the signature was made."),
    "revoked": _("The signer's certificate has been revoked."),
    "ca_revoked": _("A certificate authority above the signer has been revoked."),
    "unknown_certificate": _("The certificate claims to be ours, but we never issued it."),
    "chain_invalid": _("The signer's certificate chain is not valid for signing."),
    "signing_time_in_future": _("The signing time lies in the future."),
    "unsigned": _("The document carries no electronic signature."),
    "modified_after_signing": _("The document was changed after it was signed."),
    "no_timestamp": _("The signature has no valid timestamp from the time-stamping authority."),
}


@dataclass(frozen=True)
class Verdict:
    """The answer to "is this signature good?": `reason` is a stable code, `message` the
    same in words; the signer fields are filled when the signature could be read."""

    valid: bool
    reason: str
    message: str
    signer_subject: str = ""
    signer_iin: str = ""
    signer_bin: str = ""
    certificate_serial: str = ""
    signing_time: dt.datetime | None = None
    timestamp_time: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    revocation_reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def _verdict(reason: str, **facts: Any) -> Verdict:
    return Verdict(valid=reason == "ok", reason=reason, message=str(REASONS[reason]), **facts)


def _subject_facts(cert: asn1_x509.Certificate) -> dict[str, str]:
    native = cert.subject.native
    iin = str(native.get("serial_number", ""))
    units = native.get("organizational_unit_name", "")
    units = units if isinstance(units, list) else [units]
    bin_ = next((u[3:] for u in units if str(u).startswith("BIN")), "")
    return {
        "signer_subject": cert.subject.human_friendly,
        "signer_iin": iin[3:] if iin.startswith("IIN") else "",
        "signer_bin": bin_,
        "certificate_serial": str(cert.serial_number),
    }


_TRUST_REASONS = {
    "NO_CERTIFICATE_CHAIN_FOUND": "untrusted",
    "OUT_OF_BOUNDS_NO_POE": "expired",
    "OUT_OF_BOUNDS_NOT_REVOKED": "expired",
    "EXPIRED": "expired",
    "NOT_YET_VALID": "not_yet_valid",
    "REVOKED_NO_POE": "revoked",
    "REVOKED": "revoked",
    "REVOKED_CA_NO_POE": "ca_revoked",
}


def _validation_context(*, moment: dt.datetime, extra_certs: list) -> Any:
    from pyhanko_certvalidator import ValidationContext

    ours = [asn1_x509.Certificate.load(bytes(row.der)) for row in ca_rows()]
    return ValidationContext(
        trust_roots=[
            asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
            for c in trust_roots()
        ],
        other_certs=[*ours, *extra_certs],
        moment=moment,
        allow_fetching=False,
        # Revocation is checked below against our own table and configured CRLs, which gives
        # an exact reason and needs no network; certvalidator checks chain and validity.
        revocation_mode="soft-fail",
    )


def _revocation_reason(cert_der: bytes, path_ders: list[bytes]) -> tuple[str, dict]:
    """'' when not revoked; else 'revoked'/'ca_revoked'/'unknown_certificate' and facts."""
    row = certificate_ours(der=cert_der)
    cert = x509.load_der_x509_certificate(cert_der)
    our_ca_subjects = {
        x509.load_der_x509_certificate(bytes(r.der)).subject.public_bytes(): r for r in ca_rows()
    }
    issuer_row = our_ca_subjects.get(cert.issuer.public_bytes())
    if row is None and issuer_row is not None:
        return "unknown_certificate", {}
    if row is not None:
        if row.revoked_at is not None:
            return "revoked", {
                "revoked_at": row.revoked_at,
                "revocation_reason": row.revocation_reason,
            }
        current = row.issuer
        while current is not None:
            if current.revoked_at is not None:
                return "ca_revoked", {
                    "revoked_at": current.revoked_at,
                    "revocation_reason": current.revocation_reason,
                }
            current = current.issuer
        return "", {}
    # A foreign certificate: consult the configured CRLs of its issuer, if we have one whose
    # signature checks out against the issuer certificate.
    issuers = [x509.load_der_x509_certificate(d) for d in path_ders]
    issuers += trust_roots()
    for crl in _foreign_crls():
        if crl.issuer != cert.issuer:
            continue
        issuer_cert = next((c for c in issuers if c.subject == cert.issuer), None)
        if issuer_cert is None or not crl.is_signature_valid(
            # A CRL's issuer signs, so its key is a signing one (never X25519/X448).
            cast(CertificateIssuerPublicKeyTypes, issuer_cert.public_key())
        ):
            continue
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is not None:
            reason = ""
            try:
                reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.name
            except x509.ExtensionNotFound:
                reason = "unspecified"
            return "revoked", {"revoked_at": entry.revocation_date_utc, "revocation_reason": reason}
    return "", {}


def _key_usage(cert: asn1_x509.Certificate) -> Any:
    """Signing needs digitalSignature or nonRepudiation when the certificate says what its key
    is for; a certificate without a keyUsage extension may be used for anything (RFC 5280
    §4.2.1.3). pyHanko's default would demand nonRepudiation alone."""
    from pyhanko.sign.validation.settings import KeyUsageConstraints

    if cert.key_usage_value is None:
        return KeyUsageConstraints(key_usage=set())  # empty: any usage (None means default)
    return KeyUsageConstraints(
        key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
    )


def _trust_problem(status: Any) -> str:
    indic = getattr(status, "trust_problem_indic", None)
    if indic is None:
        return "" if status.trusted else "untrusted"
    return _TRUST_REASONS.get(indic.name, "chain_invalid")


def signature_external_verify(
    *, payload_bytes: bytes, cms_der: bytes, now: dt.datetime | None = None
) -> Verdict:
    """Verify a detached CMS/CAdES signature over `payload_bytes` made anywhere (NCALayer,
    `openssl cms -sign`, or us): structure, integrity, chain to a trust root, the certificate's
    validity at the signing time (the signed signingTime attribute, else now) and revocation.
    Revocation counts whenever it happened: without a trusted timestamp, a claimed signing
    time before the revocation proves nothing."""
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    now = now or timezone.now()
    try:
        signed_data_der = cms_bytes_normalise(cms_der)
        signed_data = cms_parse(signed_data_der)
    except CmsStructureError as exc:
        return _verdict("broken_structure", details={"error": str(exc)})
    signer_info = signed_data["signer_infos"][0]
    certs = [c.chosen for c in (signed_data["certificates"] or []) if c.name == "certificate"]
    sid = signer_info["sid"]
    signer_cert = None
    for cert in certs:
        if sid.name == "issuer_and_serial_number":
            if (
                cert.issuer == sid.chosen["issuer"]
                and cert.serial_number == sid.chosen["serial_number"].native
            ):
                signer_cert = cert
        elif cert.key_identifier == sid.chosen.native:
            signer_cert = cert
    if signer_cert is None:
        return _verdict(
            "broken_structure",
            details={"error": "the signer's certificate is not in the signature"},
        )
    facts: dict[str, Any] = _subject_facts(signer_cert)
    try:
        signing_time = cms_signing_time(signer_info)
    except Exception:
        return _verdict("broken_structure", **facts, details={"error": "bad signingTime"})
    facts["signing_time"] = signing_time
    moment = signing_time or now
    if moment > now + CLOCK_SKEW:
        return _verdict("signing_time_in_future", **facts)
    try:
        integrity = cms_integrity_fast(
            data=payload_bytes, cms_der=signed_data_der, cert_der=signer_cert.dump()
        )
    except Exception as exc:  # a malformed attribute or signature value
        return _verdict("broken_structure", **facts, details={"error": str(exc)})
    if integrity:
        return _verdict(integrity, **facts)
    context = _validation_context(moment=moment, extra_certs=certs)
    try:
        status = coroutine_run(
            async_validate_detached_cms(
                payload_bytes,
                signed_data,
                signer_validation_context=context,
                key_usage_settings=_key_usage(signer_cert),
            )
        )
    except Exception as exc:  # malformed attributes surface here
        return _verdict("broken_structure", **facts, details={"error": str(exc)})
    if not status.intact:
        return _verdict("bytes_differ", **facts)
    if not status.valid:
        return _verdict("bad_signature", **facts)
    problem = _trust_problem(status)
    if problem:
        return _verdict(problem, **facts)
    revoked, revocation = _revocation_reason(signer_cert.dump(), [c.dump() for c in certs])
    if revoked:
        return _verdict(revoked, **facts, **revocation)
    return _verdict("ok", **facts)


def pdf_signature_verify(*, pdf_bytes: bytes, now: dt.datetime | None = None) -> Verdict:
    """Verify the (last) PAdES signature of a PDF: the whole file covered and unmodified since,
    a valid signature chaining to a trust root, an RFC 3161 timestamp, and the signer's
    certificate not revoked."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    now = now or timezone.now()
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # any parse failure is a broken file
        return _verdict("broken_structure", details={"error": str(exc)})
    if not signatures:
        return _verdict("unsigned")
    embedded = signatures[-1]
    try:
        signer_cert = embedded.signer_cert
        certs = [
            c.chosen
            for c in (embedded.signed_data["certificates"] or [])
            if c.name == "certificate"
        ]
    except Exception as exc:
        return _verdict("broken_structure", details={"error": str(exc)})
    facts: dict[str, Any] = _subject_facts(signer_cert)
    context = _validation_context(moment=now, extra_certs=certs)
    try:
        status = coroutine_run(
            async_validate_pdf_signature(
                embedded,
                signer_validation_context=context,
                key_usage_settings=_key_usage(signer_cert),
            )
        )
    except Exception as exc:
        return _verdict("broken_structure", **facts, details={"error": str(exc)})
    ts = status.timestamp_validity
    facts["signing_time"] = status.signer_reported_dt
    facts["timestamp_time"] = ts.timestamp if ts is not None else None
    if not status.intact:
        return _verdict("bytes_differ", **facts)
    if not status.valid:
        return _verdict("bad_signature", **facts)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return _verdict("modified_after_signing", **facts)
    problem = _trust_problem(status)
    if problem:
        return _verdict(problem, **facts)
    if ts is None or not (ts.intact and ts.valid and ts.trusted):
        return _verdict("no_timestamp", **facts)
    revoked, revocation = _revocation_reason(signer_cert.dump(), [c.dump() for c in certs])
    if revoked:
        return _verdict(revoked, **facts, **revocation)
    return _verdict("ok", **facts)

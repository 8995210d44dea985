"""Writes of the signatures app: building the PKI, issuing and revoking certificates, signing by
people after a one-time code, and sealing result PDFs.

Authorisation that depends on the caller (who may revoke what, who may sign for an agency) is
checked here, so every edge (API, portal, other apps) gets the same rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass
from typing import Any

from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from qyzmet.audit.services import Kind, audit_record
from qyzmet.core.coroutines import coroutine_run
from qyzmet.core.problem import FieldError, Problem, conflict, forbidden, not_found, validation
from qyzmet.identity.client import client_address
from qyzmet.identity.selectors import organisation_get, user_has_role
from qyzmet.identity.throttle import SIGN, code_issue_take, wrong_code_count, wrong_codes_check
from qyzmet.notifications.channels import sms_code_send

from . import pki
from .algorithms import algorithm_get
from .authority import (
    CA_FOR_KIND,
    ISSUING,
    ROOT,
    Material,
    PkiNotInitialised,
    ca,
    ca_row,
    chain_above,
    material,
    service_material,
)
from .canonical import NotCanonicalisable, payload_canonical, payload_hash
from .cms import cms_sign
from .keystore import key_encrypt
from .models import Certificate, SignatureRequest, SignedPayload
from .tsa import PlatformTimeStamper

__all__ = ["PkiNotInitialised"]  # re-exported: other apps catch it without importing internals

MAX_CODE_ATTEMPTS = 5
PURPOSE_MAX = 120


def _algorithm_name() -> str:
    return getattr(settings, "QYZMET_PKI_ALGORITHM", "ecdsa-p256")


def _base_url() -> str:
    return settings.QYZMET_PUBLIC_BASE_URL.rstrip("/")


def _store(
    *,
    kind: str,
    cert: x509.Certificate,
    key: Any | None,
    issuer: Certificate | None,
    ca_code: str = "",
    user: Any | None = None,
    iin: str = "",
    bin_: str = "",
    organisation_code: str = "",
    algorithm: str,
) -> Certificate:
    return Certificate.objects.create(
        kind=kind,
        ca_code=ca_code,
        issuer=issuer,
        serial=str(cert.serial_number),
        subject=cert.subject.rfc4514_string(),
        subject_iin=iin,
        subject_bin=bin_,
        organisation_code=organisation_code,
        user=user,
        algorithm=algorithm,
        der=cert.public_bytes(serialization.Encoding.DER),
        key_pem_encrypted=key_encrypt(key) if key is not None else None,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def _issue(
    *,
    kind: str,
    issuer: Material | None,
    subject: x509.Name,
    ca_code: str = "",
    **row: Any,
) -> Certificate:
    algorithm = algorithm_get(_algorithm_name())
    key = algorithm.generate()
    cert = pki.certificate_build(
        kind=kind,
        subject=subject,
        public_key=key.public_key(),
        issuer_cert=issuer.cert if issuer else None,
        issuer_key=issuer.key if issuer else key,
        now=timezone.now(),
        base_url=_base_url(),
        issuer_ca_code=issuer.row.ca_code if issuer else ca_code,
        ca_code=ca_code,
    )
    return _store(
        kind=kind,
        cert=cert,
        key=key,
        issuer=issuer.row if issuer else None,
        ca_code=ca_code,
        algorithm=algorithm.name,
        **row,
    )


@transaction.atomic
def pki_init() -> dict[str, int]:
    """Create whatever part of the hierarchy is missing: the root, the four issuing CAs, an OCSP
    responder certificate for every CA, and the TSA certificate. Idempotent: a second run
    creates nothing. Returns how many certificates of each kind it made."""
    made: dict[str, int] = {}

    def count(kind: str) -> None:
        made[kind] = made.get(kind, 0) + 1

    root_row = Certificate.objects.filter(ca_code=ROOT, revoked_at__isnull=True).first()
    if root_row is None:
        root_row = _issue(
            kind="root",
            issuer=None,
            subject=pki.subject_name(common_name="Qyzmet Root CA", organisation="Qyzmet"),
            ca_code=ROOT,
        )
        count("root")
    root = material(root_row)
    for code, name in ISSUING.items():
        if not Certificate.objects.filter(ca_code=code, revoked_at__isnull=True).exists():
            _issue(
                kind="ca",
                issuer=root,
                subject=pki.subject_name(common_name=name, organisation="Qyzmet"),
                ca_code=code,
            )
            count("ca")
    for row in Certificate.objects.filter(kind__in=("root", "ca"), revoked_at__isnull=True):
        if service_material(kind="ocsp", issuer=row) is None:
            issuer = material(row)
            _issue(
                kind="ocsp",
                issuer=issuer,
                subject=pki.subject_name(
                    common_name=f"Qyzmet OCSP responder ({row.ca_code})", organisation="Qyzmet"
                ),
            )
            count("ocsp")
    services_row = ca_row("services")
    if service_material(kind="tsa", issuer=services_row) is None:
        _issue(
            kind="tsa",
            issuer=material(services_row),
            subject=pki.subject_name(
                common_name="Qyzmet Time-Stamping Authority", organisation="Qyzmet"
            ),
        )
        count("tsa")
    if made:
        audit_record(
            actor=None,
            kind=Kind.CHANGE,
            action="pki.init",
            object_type="pki",
            data={"created": made},
        )
    return made


def _live(queryset) -> Certificate | None:
    return (
        queryset.filter(revoked_at__isnull=True, not_after__gt=timezone.now())
        .select_related("issuer")
        .order_by("-pk")
        .first()
    )


def _name_parts(full_name: str) -> tuple[str, str]:
    parts = full_name.split()
    return (parts[0], " ".join(parts[1:])) if parts else ("", "")


@transaction.atomic
def certificate_for_user(*, user: Any, organisation_code: str = "") -> Certificate:
    """The person's live signing certificate, issued on first use (the key is generated here
    and never leaves the platform). With `organisation_code`, an official's certificate that
    names the agency; the caller must hold a role there."""
    kind = "official" if organisation_code else "person"
    if organisation_code and not user_has_role(user=user, organisation_code=organisation_code):
        raise forbidden(_("You do not act for this organisation."))
    existing = Certificate.objects.filter(user=user, kind=kind)
    if organisation_code:
        existing = existing.filter(organisation_code=organisation_code)
    row = _live(existing)
    if row is not None:
        return row
    # An expired (or other-agency) certificate is superseded: one live certificate per kind.
    for stale in Certificate.objects.filter(user=user, kind=kind, revoked_at__isnull=True):
        _revoke(row=stale, reason="superseded", actor=user)
    surname, given = _name_parts(user.full_name or user.iin)
    org_name, bin_ = "", ""
    if organisation_code:
        org = organisation_get(code=organisation_code)
        org_name, bin_ = org.name("ru"), org.bin
    subject = pki.subject_name(
        common_name=user.full_name or user.iin,
        surname=surname,
        given_name=given,
        iin=user.iin,
        organisation=org_name,
        bin_=bin_,
    )
    with transaction.atomic():
        row = _issue(
            kind=kind,
            issuer=ca(CA_FOR_KIND[kind]),
            subject=subject,
            user=user,
            iin=user.iin,
            bin_=bin_,
            organisation_code=organisation_code,
        )
        audit_record(
            actor=user,
            kind=Kind.CHANGE,
            action="certificate.issue",
            object_type="certificate",
            object_id=row.serial,
            subject_iin=user.iin,
            data={"kind": kind, "organisation": organisation_code},
        )
    return row


@transaction.atomic
def seal_certificate(*, organisation_code: str) -> Certificate:
    """The organisation's seal certificate, created on first use: one live seal per agency."""
    row = _live(Certificate.objects.filter(kind="seal", organisation_code=organisation_code))
    if row is not None:
        return row
    for stale in Certificate.objects.filter(
        kind="seal", organisation_code=organisation_code, revoked_at__isnull=True
    ):
        _revoke(row=stale, reason="superseded", actor=None)
    try:
        org = organisation_get(code=organisation_code)
        name, bin_ = org.name("ru"), org.bin
    except Problem:
        # Documents may name an issuer that is not (yet) an organisation row: the seal still
        # names it, without a BIN, rather than leaving the result unsigned.
        name, bin_ = organisation_code, ""
    try:
        with transaction.atomic():
            row = _issue(
                kind="seal",
                issuer=ca("seals"),
                subject=pki.subject_name(common_name=name, organisation=name, bin_=bin_),
                bin_=bin_,
                organisation_code=organisation_code,
            )
            audit_record(
                actor=None,
                kind=Kind.CHANGE,
                action="certificate.issue",
                object_type="certificate",
                object_id=row.serial,
                data={"kind": "seal", "organisation": organisation_code},
            )
    except IntegrityError:
        row = _live(Certificate.objects.filter(kind="seal", organisation_code=organisation_code))
        assert row is not None
    return row


def _revoke(*, row: Certificate, reason: str, actor: Any | None) -> Certificate:
    updated = Certificate.objects.filter(pk=row.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revocation_reason=reason
    )
    if not updated:
        raise conflict("certificate_already_revoked", _("This certificate is already revoked."))
    row.refresh_from_db(fields=["revoked_at", "revocation_reason"])
    audit_record(
        actor=actor,
        kind=Kind.CHANGE,
        action="certificate.revoke",
        object_type="certificate",
        object_id=row.serial,
        subject_iin=row.subject_iin,
        data={"reason": reason, "kind": row.kind},
    )
    return row


@transaction.atomic
def certificate_revoke(*, actor: Any | None, serial: str, reason: str) -> Certificate:
    """Revoke now. Verification, the CRL and OCSP read the same row, so the revocation is
    effective from the commit. A person may revoke their own certificates; only a superuser
    (or the system, actor None) any other."""
    if reason not in Certificate.Reason.values:
        raise validation([FieldError("/reason", f"one of {', '.join(Certificate.Reason.values)}")])
    row = Certificate.objects.select_for_update().filter(serial=serial).first()
    allowed = (
        actor is None
        or getattr(actor, "is_superuser", False)
        or (
            row is not None
            and row.user_id is not None
            and row.user_id == getattr(actor, "pk", None)
        )
    )
    if row is None or not allowed:
        raise not_found("certificate")
    return _revoke(row=row, reason=reason, actor=actor)


# --- remote signing ----------------------------------------------------------------------


def _code_hash(*, request_id: str, sha256: str, code: str) -> str:
    """Bound to the request *and* the payload hash: a code confirms this document only."""
    message = f"sign:{request_id}:{sha256}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


SMS_PURPOSE_MAX = 60


def _sms_purpose(purpose: str) -> str:
    """The purpose as the SMS names it: short enough for a text message, cut at a word (with an
    ellipsis) rather than mid-word, so a service's title stays readable."""
    text = " ".join(purpose.split())
    if len(text) <= SMS_PURPOSE_MAX:
        return text
    cut = text[: SMS_PURPOSE_MAX - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:—-") + "…"


@transaction.atomic
def signature_request_create(
    *, actor: Any, purpose: str, payload: dict, organisation_code: str = "", ref: str = ""
) -> SignatureRequest:
    """Prepare `payload` for signing: its RFC 8785 canonical bytes and their SHA-256, and text
    a fresh one-time code that names what is being signed (purpose and hash prefix). Signing
    codes have a quota per person and per client address (identity.throttle): past it, 429 with
    Retry-After and no SMS."""
    errors = []
    if not purpose.strip() or len(purpose) > PURPOSE_MAX:
        errors.append(FieldError("/purpose", f"1 to {PURPOSE_MAX} characters"))
    if not isinstance(payload, dict):
        errors.append(FieldError("/payload", "must be a JSON object"))
    canonical = b""
    if not errors:
        try:
            canonical = payload_canonical(payload)
        except NotCanonicalisable as exc:
            errors.append(FieldError("/payload", f"not canonicalisable JSON: {exc}"))
    if errors:
        raise validation(errors, _("This cannot be signed."))
    if organisation_code and not user_has_role(user=actor, organisation_code=organisation_code):
        raise forbidden(_("You do not act for this organisation."))
    if not getattr(actor, "phone", ""):
        raise conflict("no_phone", _("A phone number is needed to receive the signing code."))
    sha256 = payload_hash(canonical)
    code_issue_take(purpose=SIGN, iin=actor.iin, address=client_address(), now=timezone.now())
    code = f"{secrets.randbelow(10**6):06d}"
    request = SignatureRequest(
        user=actor,
        purpose=purpose.strip(),
        organisation_code=organisation_code,
        ref=ref[:120],
        canonical=canonical,
        sha256=sha256,
        expires_at=timezone.now() + dt.timedelta(seconds=settings.QYZMET_OTP_TTL_SECONDS),
    )
    request.code_hash = _code_hash(request_id=request.id, sha256=sha256, code=code)
    request.save()
    audit_record(
        actor=actor,
        kind=Kind.CHANGE,
        action="signature.request",
        object_type="signature_request",
        object_id=request.id,
        subject_iin=getattr(actor, "iin", ""),
        data={"purpose": purpose, "sha256": sha256},
    )
    text = _(
        "Qyzmet: code %(code)s signs “%(purpose)s”, document hash %(hash)s…. "
        "Do not tell it to anyone."
    ) % {"code": code, "purpose": _sms_purpose(purpose), "hash": sha256[:12]}
    phone = actor.phone
    transaction.on_commit(lambda: sms_code_send(phone=phone, text=text, code=code))
    return request


@dataclass(frozen=True)
class SignedPayloadDTO:
    id: int
    request_id: str
    purpose: str
    sha256: str
    cms_der: bytes
    certificate_serial: str
    signer_subject: str
    signed_at: dt.datetime


def signed_payload_dto(row: SignedPayload, request: SignatureRequest) -> SignedPayloadDTO:
    return SignedPayloadDTO(
        id=row.pk,
        request_id=request.id,
        purpose=request.purpose,
        sha256=row.sha256,
        cms_der=bytes(row.cms_der),
        certificate_serial=row.certificate.serial,
        signer_subject=row.certificate.subject,
        signed_at=row.signed_at,
    )


def _code_problem(detail: str, code: str = "invalid_code", status: int = 400) -> Problem:
    return Problem(status, code, _("No signature was made"), detail)


def signature_confirm(*, actor: Any, request_id: str, code: str) -> SignedPayloadDTO:
    """Sign the request's canonical bytes with the person's platform-held key, if `code` is
    the fresh one-time code sent for this very request. A used, expired, wrong or foreign code
    makes no signature. Failed attempts are counted in their own transaction so the count
    survives the error; they also spend the person's and the address's wrong-code budget across
    requests, and once it is spent no code is compared (429 with Retry-After)."""
    now = timezone.now()
    address = client_address()
    user_id = getattr(actor, "pk", None)
    with transaction.atomic():
        # Someone not signed in has no requests (a request's user is never null).
        request = (
            None
            if user_id is None
            else (
                SignatureRequest.objects.select_for_update()
                .filter(pk=request_id, user_id=user_id)
                .first()
            )
        )
        if request is None:
            raise not_found("signature request")
        if request.used_at is not None:
            raise _code_problem(
                _("This code was already used. Start the signing again."), "code_used", 409
            )
        if request.expires_at <= now:
            raise _code_problem(
                _("The code has expired. Start the signing again."), "code_expired", 410
            )
        if request.attempts >= MAX_CODE_ATTEMPTS:
            raise _code_problem(
                _("Too many wrong codes. Start the signing again."), "too_many_attempts", 429
            )
        wrong_codes_check(purpose=SIGN, iin=actor.iin, address=address, now=now)
        good = hmac.compare_digest(
            request.code_hash,
            _code_hash(request_id=request.id, sha256=request.sha256, code=str(code).strip()),
        )
        if not good:
            SignatureRequest.objects.filter(pk=request.pk).update(attempts=F("attempts") + 1)
            wrong_code_count(purpose=SIGN, iin=actor.iin, address=address, now=now)
    if not good:
        raise _code_problem(_("The code is wrong. Check the SMS and type the 6 digits again."))

    with transaction.atomic():
        request = SignatureRequest.objects.select_for_update().get(pk=request_id)
        if request.used_at is not None:  # a concurrent confirm won
            raise _code_problem(
                _("This code was already used. Start the signing again."), "code_used", 409
            )
        row = certificate_for_user(user=actor, organisation_code=request.organisation_code)
        signer = material(row, cache_key=False)
        canonical = bytes(request.canonical)
        cms_der = cms_sign(
            data=canonical,
            private_key=signer.key,
            cert=signer.asn1,
            chain=chain_above(row),
            signing_time=now.astimezone(dt.UTC),
        )
        request.used_at = now
        request.save(update_fields=["used_at"])
        signed = SignedPayload.objects.create(
            request=request,
            certificate=row,
            sha256=request.sha256,
            cms_der=cms_der,
            signed_at=now,
        )
        audit_record(
            actor=actor,
            kind=Kind.CHANGE,
            action="signature.sign",
            object_type="signed_payload",
            object_id=signed.pk,
            subject_iin=getattr(actor, "iin", ""),
            data={"purpose": request.purpose, "sha256": request.sha256, "certificate": row.serial},
        )
    return signed_payload_dto(signed, request)


# --- sealing result PDFs -----------------------------------------------------------------


def _asn1_private_key(key: Any) -> asn1_keys.PrivateKeyInfo:
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return asn1_keys.PrivateKeyInfo.load(der)


def timestamper() -> PlatformTimeStamper:
    services_row = ca_row("services")
    tsa = service_material(kind="tsa", issuer=services_row)
    if tsa is None:
        raise RuntimeError("no TSA certificate: run `qyzmet pki_init`")
    return PlatformTimeStamper(tsa_key=tsa.key, tsa_cert=tsa.asn1, chain=chain_above(tsa.row))


def pdf_seal(*, pdf_bytes: bytes, organisation_code: str, reason: str = "") -> bytes:
    """PAdES baseline B-T: the agency's seal signature (CMS with signing-certificate-v2, sub-
    filter ETSI.CAdES.detached) plus an RFC 3161 signature timestamp from our TSA."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    seal = material(seal_certificate(organisation_code=organisation_code))
    signer = signers.SimpleSigner(
        signing_cert=seal.asn1,
        signing_key=_asn1_private_key(seal.key),
        cert_registry=SimpleCertificateStore.from_certs(chain_above(seal.row)),
    )
    meta = signers.PdfSignatureMetadata(
        field_name="QyzmetSeal",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or "Issued by Qyzmet",
        location="KZ",
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper())
    out = coroutine_run(pdf_signer.async_sign_pdf(writer, output=io.BytesIO()))
    return out.getvalue()

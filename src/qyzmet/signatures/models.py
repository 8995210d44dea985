"""The platform's PKI and the signatures people make with it.

One table holds every certificate we issued, CA certificates included, because OCSP and the CRL
must answer for all of them alike. Private keys that the platform keeps (CAs, seals, the TSA, the
OCSP responders and people's remote-signing keys) are stored only as encrypted PKCS#8 PEM; the
passphrase is outside the database (`QYZMET_PKI_PASSPHRASE`).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models


class Certificate(models.Model):
    class Kind(models.TextChoices):
        ROOT = "root", "root CA"
        CA = "ca", "issuing CA"
        PERSON = "person", "citizen"
        OFFICIAL = "official", "official"
        SEAL = "seal", "organisation seal"
        TSA = "tsa", "time-stamping authority"
        OCSP = "ocsp", "OCSP responder"

    class Reason(models.TextChoices):
        """RFC 5280 §5.3.1 reason codes we accept (the names cryptography uses)."""

        UNSPECIFIED = "unspecified", "unspecified"
        KEY_COMPROMISE = "key_compromise", "key compromise"
        CA_COMPROMISE = "ca_compromise", "CA compromise"
        AFFILIATION_CHANGED = "affiliation_changed", "affiliation changed"
        SUPERSEDED = "superseded", "superseded"
        CESSATION_OF_OPERATION = "cessation_of_operation", "cessation of operation"
        PRIVILEGE_WITHDRAWN = "privilege_withdrawn", "privilege withdrawn"

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # For CA certificates: the short name used in URLs (/pki/crl/<ca_code>.crl).
    ca_code = models.CharField(max_length=40, blank=True, default="")
    issuer = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="issued"
    )
    serial = models.CharField(max_length=60, unique=True)  # decimal; random 159-bit
    subject = models.CharField(max_length=500)  # RFC 4514 string, for people to read
    subject_iin = models.CharField(max_length=12, blank=True, default="", db_index=True)
    subject_bin = models.CharField(max_length=12, blank=True, default="", db_index=True)
    organisation_code = models.CharField(max_length=60, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    algorithm = models.CharField(max_length=30)
    der = models.BinaryField()
    key_pem_encrypted = models.BinaryField(null=True, blank=True)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(
        max_length=30, choices=Reason.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ca_code"],
                condition=models.Q(revoked_at__isnull=True) & ~models.Q(ca_code=""),
                name="signatures_one_live_ca_per_code",
            ),
            models.UniqueConstraint(
                fields=["user", "kind"],
                condition=models.Q(revoked_at__isnull=True, user__isnull=False),
                name="signatures_one_live_cert_per_user_kind",
            ),
            models.UniqueConstraint(
                fields=["organisation_code", "kind"],
                condition=models.Q(revoked_at__isnull=True, kind="seal"),
                name="signatures_one_live_seal_per_org",
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True) | ~models.Q(revocation_reason=""),
                name="signatures_revocation_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}"


def request_id_new() -> str:
    return secrets.token_urlsafe(16)


class SignatureRequest(models.Model):
    """A person's intent to sign one exact canonical payload, awaiting the SMS code.

    The code is stored as an HMAC bound to this request's id *and* the payload hash, so a code
    can never confirm any other document, and `used_at` makes it single-use."""

    id = models.CharField(primary_key=True, max_length=32, default=request_id_new, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=120)
    # Set when the person signs as an official of this organisation (their official cert).
    organisation_code = models.CharField(max_length=60, blank=True, default="")
    # What the signature is about, in the caller's terms (e.g. "application:42"): lets other
    # apps find the signatures of their objects without a foreign key into them.
    ref = models.CharField(max_length=120, blank=True, default="", db_index=True)
    canonical = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)


class SignedPayload(models.Model):
    """A detached CMS (CAdES-BES) signature over a request's canonical bytes."""

    id = models.BigAutoField(primary_key=True)
    request = models.OneToOneField(SignatureRequest, on_delete=models.PROTECT, related_name="+")
    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(max_length=64)
    cms_der = models.BinaryField()
    signed_at = models.DateTimeField()

"""Result documents: what an agency issued to a person, as the PDF the person holds and as the
facts a stranger can check on the public verification page.

The PDF bytes live in the database for now (`BinaryField`): simple, transactional and enough for
the embedded mode. The production path is S3-compatible object storage (django-storages), with
the database keeping only the key and the SHA-256, which is all verification needs.
"""

from __future__ import annotations

import secrets

from django.db import models


def public_id_new() -> str:
    """128 random bits, URL-safe: the id printed in the QR code must be unguessable, because
    anyone holding it can see the printed fields."""
    return secrets.token_urlsafe(16)


class Document(models.Model):
    """One issued result document.

    Signing: `qyzmet.documents.sealing.pdf_seal_hook`, called by `document_issue` after
    rendering and before hashing, seals the PDF (PAdES B-T with the agency's seal certificate);
    `signed_at` records when. Documents issued before sealing existed keep it empty.
    """

    class Status(models.TextChoices):
        VALID = "valid", "valid"
        ANNULLED = "annulled", "annulled"

    id = models.BigAutoField(primary_key=True)
    public_id = models.CharField(max_length=43, unique=True, default=public_id_new, editable=False)
    number = models.CharField(max_length=40, unique=True, null=True, blank=True)
    source_ref = models.CharField(max_length=120, unique=True)
    owner_iin = models.CharField(max_length=12, db_index=True)
    issuer_code = models.CharField(max_length=60)
    issuer_name = models.JSONField(default=dict)
    title = models.JSONField(default=dict)
    language = models.CharField(max_length=2)
    body_text = models.TextField(blank=True, default="")
    printed_fields = models.JSONField(default=dict)
    issued_at = models.DateTimeField()
    valid_until = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALID)
    annulled_at = models.DateTimeField(null=True, blank=True)
    annul_reason = models.TextField(blank=True, default="")
    sha256 = models.CharField(max_length=64, blank=True, default="")
    pdf = models.BinaryField(default=bytes)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="valid") | models.Q(annulled_at__isnull=False),
                name="document_annulled_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"document {self.pk}"

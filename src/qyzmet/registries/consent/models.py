"""Consent agreements and the person's consent records.

An installed app of its own (label `consent`). Its tables keep the names they had when they
lived in the `criminal_records` app (`db_table`), so moving them lost no data: the move was
state-only (`SeparateDatabaseAndState` in both apps' migrations).

* `ConsentAgreement` — what the data owner asks consent for: one (registry, category) of data, for
  a service package (optional) and for some client subsystems (empty = every client). Agreements
  are versioned: changing the wording or the scope is a new row with the next `version`, and a
  consent given to an older version no longer counts (the person must agree to the new text).
* `ConsentRecord` — the person's answer, append-only: every give or withdraw is a new revision
  (1, 2, 3 … per person and agreement code), so the whole history is kept and can be shown.
"""

from __future__ import annotations

from django.db import models


class AppendOnlyError(RuntimeError):
    pass


class ConsentAgreement(models.Model):
    code = models.SlugField(max_length=80)
    version = models.PositiveIntegerField()
    registry = models.CharField(max_length=40)
    category = models.CharField(max_length=60, help_text="a fact name or 'record'")
    service_code = models.CharField(max_length=100, blank=True, default="")
    clients = models.JSONField(default=list, blank=True)
    title = models.JSONField(default=dict, help_text="{kk, ru, en}")
    text = models.JSONField(default=dict, help_text="{kk, ru, en}")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "criminal_records_consentagreement"
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="consent_agreement_version")
        ]
        indexes = [models.Index(fields=["registry", "category"], name="consent_agreement_cat")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class ConsentRecord(models.Model):
    class State(models.TextChoices):
        GIVEN = "given", "given"
        WITHDRAWN = "withdrawn", "withdrawn"

    agreement = models.ForeignKey(ConsentAgreement, on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(max_length=80)
    subject_iin = models.CharField(max_length=12)
    revision = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=State.choices)
    at = models.DateTimeField(auto_now_add=True)
    actor_label = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        db_table = "criminal_records_consentrecord"
        constraints = [
            models.UniqueConstraint(
                fields=["subject_iin", "code", "revision"], name="consent_record_revision"
            )
        ]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise AppendOnlyError("consent records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("consent records are append-only")

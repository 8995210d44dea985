"""Applications (cases): one citizen's request for one pinned version of a service."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Application(models.Model):
    """A case. `service_version_id` pins the package version for the case's whole life, so a new
    version of a service never changes an application already in flight."""

    DRAFT = "draft"
    # Submitted, but a registry did not answer for some of its evidence: saved with everything
    # the citizen gave (data, signature, idempotency key) and the facts that were read, outside
    # the workflow (no deadline, in no inbox) until the retry fetches the rest
    # (`services.application_evidence_retry`).
    AWAITING_EVIDENCE = "awaiting_evidence"
    # Signed and complete, but the service's fee (`catalog.fees.fee_quote`, above 0) is not paid
    # yet: outside the workflow (no deadline, in no inbox) until `payment.succeeded` starts it
    # with the legal deadline counted from the day paid (`services.application_payment_received`).
    AWAITING_PAYMENT = "awaiting_payment"
    # Final: the fee was not paid before the payment expired (outcome `lapsed`); never reached
    # the agency. The citizen is told to apply again.
    LAPSED = "lapsed"

    service_version_id = models.BigIntegerField()
    service_code = models.CharField(max_length=100)
    agency_code = models.CharField(max_length=60)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    applicant_iin = models.CharField(max_length=12)
    language = models.CharField(max_length=2, default="kk")
    state = models.CharField(max_length=40, default=DRAFT)
    outcome = models.CharField(max_length=20, blank=True, default="")
    data = models.JSONField(default=dict)
    evidence = models.JSONField(default=dict)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    idempotency_hash = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, default="")
    # The code of the refusal ground the officer chose (one of the pinned package's
    # `refusal_grounds`); "" for an approval and for refusals made before grounds existed.
    decision_ground = models.CharField(max_length=60, blank=True, default="")
    due_date = models.DateField(null=True, blank=True)
    state_due_date = models.DateField(null=True, blank=True)
    paused_at = models.DateField(null=True, blank=True)
    remaining_working_days = models.IntegerField(null=True, blank=True)
    is_open = models.BooleanField(default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_applications",
    )
    overdue_notified = models.BooleanField(default=False)
    due_soon_notified = models.BooleanField(default=False)
    # The applicant's qualified signature over the submission's canonical form (see
    # `services.submission_payload`): the signatures app's request id and the SHA-256 of the
    # canonical bytes. One signature submits one application (unique).
    submission_signature_id = models.CharField(
        max_length=32, null=True, blank=True, unique=True
    )
    submission_sha256 = models.CharField(max_length=64, blank=True, default="")
    # While AWAITING_EVIDENCE: the evidence items (package names) still to be read, how many
    # retries failed, when the next one is due (exponential backoff) and the last reason.
    evidence_pending = models.JSONField(default=list, blank=True)
    evidence_attempts = models.PositiveIntegerField(default=0)
    evidence_retry_at = models.DateTimeField(null=True, blank=True)
    evidence_error = models.CharField(max_length=300, blank=True, default="")
    # Evidence the case went into the workflow without, kept for the officer and the citizen:
    # {item name: {"code": registry error code, "detail": what the registry said}} — a registry
    # that refused for good at a retry (no such record, ...), or one that did not answer within
    # QYZMET_EVIDENCE_WAIT_MAX_SECONDS of the submission.
    evidence_missing = models.JSONField(default=dict, blank=True)
    # The fee as quoted when the evidence was complete (`FeeQuote.as_dict()`: amount,
    # currency, amount_before_exemption, exemption), {} before that; the payment asked for it
    # (its public id; None when nothing was due) and when the money arrived.
    fee = models.JSONField(default=dict, blank=True)
    payment_public_id = models.UUIDField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "idempotency_key"],
                name="application_idempotency",
                condition=models.Q(idempotency_key__isnull=False),
            )
        ]
        indexes = [
            # The officer's inbox: open cases of an agency by deadline (keyset on due_date, id).
            models.Index(
                fields=["agency_code", "due_date", "id"],
                name="inbox_open_idx",
                condition=models.Q(is_open=True),
            ),
            models.Index(fields=["agency_code", "state", "due_date", "id"], name="inbox_state_idx"),
            # The citizen's list, newest first (keyset on id).
            models.Index(fields=["applicant", "-id"], name="my_applications_idx"),
            # The evidence retry sweep: waiting applications whose next attempt is due.
            models.Index(
                fields=["evidence_retry_at"],
                name="evidence_retry_idx",
                condition=models.Q(state="awaiting_evidence"),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"QZ-{self.pk:08d}" if self.pk else "QZ-new"


class ApplicationEvent(models.Model):
    """The case history a citizen and an officer see: who did what, when and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_role = models.CharField(max_length=40, blank=True, default="")
    action = models.CharField(max_length=60)
    from_state = models.CharField(max_length=40, blank=True, default="")
    to_state = models.CharField(max_length=40, blank=True, default="")
    reason = models.TextField(blank=True, default="")
    ground = models.CharField(max_length=60, blank=True, default="")  # a refusal's ground code
    # The officer's signature over the decision's canonical form (`services.decision_payload`),
    # when the step was signed: the signatures app's request id and the canonical bytes' SHA-256.
    signature_id = models.CharField(max_length=32, null=True, blank=True, unique=True)
    signature_sha256 = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["application", "id"], name="app_history_idx")]


class Attachment(models.Model):
    """A file the citizen gave (e.g. when more information was requested). Validated by size and
    by its content's signature, not by the name or the browser's claimed type."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

"""Payments, their attempts, refunds, the provider webhooks received and the bank statements
imported. Amounts are integers in the currency's minor unit (tiyn for KZT); never a float.

Other apps never read these tables: they call `payments.services` / `payments.selectors` and
listen to `payment.*` events (see `events.py` and docs/payments.md)."""

from __future__ import annotations

import uuid

from django.db import models


class Payment(models.Model):
    """What one citizen owes for one thing (today: the fee of one application, `source_ref`
    "application:<id>"). One payment may take several attempts (a declined card, then another);
    it is paid once."""

    AWAITING = "awaiting"  # created, not paid yet (attempts may be pending)
    PAID = "paid"
    EXPIRED = "expired"  # not paid within the time allowed; the application lapsed
    CANCELLED = "cancelled"  # the citizen withdrew before paying
    REFUNDED = "refunded"  # paid, then refunded in full
    PARTIALLY_REFUNDED = "partially_refunded"
    STATES = (AWAITING, PAID, EXPIRED, CANCELLED, REFUNDED, PARTIALLY_REFUNDED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The invoice number the citizen quotes at a bank (pay by reference) and that every provider
    # is given: digits with a check digit, see `services.reference_make`.
    reference = models.CharField(max_length=20, unique=True)
    source_ref = models.CharField(max_length=60, unique=True)
    payer_id = models.BigIntegerField()  # identity user id
    payer_iin = models.CharField(max_length=12)
    agency_code = models.CharField(max_length=60)
    service_code = models.CharField(max_length=100)
    description = models.JSONField(default=dict)  # {kk, ru, en}
    language = models.CharField(max_length=2, default="kk")
    amount = models.BigIntegerField()  # what is due, tiyn, > 0
    currency = models.CharField(max_length=3, default="KZT")
    # The fee before an exemption and the exemption applied ({code, label{kk,ru,en}}), so the
    # citizen and the officer see why the amount is what it is.
    amount_before_exemption = models.BigIntegerField(null=True, blank=True)
    exemption = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=20, default=AWAITING)
    amount_paid = models.BigIntegerField(default=0)
    amount_refunded = models.BigIntegerField(default=0)
    paid_via = models.CharField(max_length=30, blank=True, default="")  # provider code
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    receipt_document_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_refunded__lte=models.F("amount_paid")),
                name="payment_refund_not_above_paid",
            ),
        ]
        indexes = [
            # The expiry sweep: unpaid payments whose time is up.
            models.Index(
                fields=["expires_at"],
                name="payment_expiry_idx",
                condition=models.Q(state="awaiting"),
            ),
            # The finance desk: by agency and date, newest first (keyset on created_at, id).
            models.Index(fields=["agency_code", "-created_at", "-id"], name="payment_agency_idx"),
            models.Index(fields=["-created_at", "-id"], name="payment_recent_idx"),
            models.Index(fields=["payer_id", "-id"], name="payment_payer_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class PaymentAttempt(models.Model):
    """One try at paying through one provider. The idempotency key is the platform's, sent to
    the provider, so a double click or a retried request finds this attempt, not a new charge."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    EXPIRED = "expired"
    # The provider could not be reached when the attempt was created: nothing was charged.
    FAILED = "failed"
    # The provider took the money, but the payment was already paid (by another attempt or a
    # bank transfer) or no longer payable (expired): the money is returned in full by an
    # automatic refund (`Refund.DOUBLE`), and the attempt never counts as the payment's success.
    REFUNDED = "refunded"
    STATES = (PENDING, SUCCEEDED, DECLINED, EXPIRED, FAILED, REFUNDED)

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="attempts")
    provider = models.CharField(max_length=30)
    idempotency_key = models.CharField(max_length=80, unique=True)
    provider_ref = models.CharField(max_length=100, blank=True, default="")
    next_url = models.URLField(max_length=500, blank=True, default="")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="KZT")
    state = models.CharField(max_length=20, default=PENDING)
    failure_code = models.CharField(max_length=60, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The status poll: pending attempts are asked again when this is due (lost webhooks).
    poll_at = models.DateTimeField(null=True, blank=True)
    polls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_ref"],
                name="attempt_provider_ref_once",
                condition=~models.Q(provider_ref=""),
            ),
            # At most one successful attempt per payment: a second success is a double charge,
            # which the services refund instead of recording.
            models.UniqueConstraint(
                fields=["payment"],
                name="attempt_one_success",
                condition=models.Q(state="succeeded"),
            ),
        ]
        indexes = [
            models.Index(
                fields=["poll_at"],
                name="attempt_poll_idx",
                condition=models.Q(state="pending"),
            ),
        ]


class ProviderWebhook(models.Model):
    """Every webhook received, verified or not, before it is acted upon (an inbox): a duplicate
    is recognised by (provider, event_id); a rejected one is kept for the security log.

    Accepting a webhook is one INSERT of the verified row (RECEIVED) and the answer; a worker
    applies received rows in batches (`services.webhooks_apply`) from the status stored here,
    which the plug-in read from the signed body when it verified it (a signature is checked
    once, when it arrives: its timestamp would be stale by the time a backlog is drained)."""

    RECEIVED = "received"  # verified and stored; applied within seconds
    PROCESSED = "processed"
    REJECTED = "rejected"  # signature or body did not verify
    IGNORED = "ignored"  # verified, but for nothing we know (unknown payment) — flagged
    # Applying it failed `QYZMET_PAYMENT_WEBHOOK_MAX_TRIES` times (`error` says why): left for a
    # person (the finance desk counts these); the poll and the reconciliation still settle the
    # charge it was about.
    FAILED = "failed"
    STATES = (RECEIVED, PROCESSED, REJECTED, IGNORED, FAILED)

    provider = models.CharField(max_length=30)
    event_id = models.CharField(max_length=100, blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True)
    body = models.BinaryField()
    state = models.CharField(max_length=20, default=RECEIVED)
    error = models.CharField(max_length=300, blank=True, default="")
    processed_at = models.DateTimeField(null=True, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    # What the verified webhook says (the plug-in's `Status`); blank for a rejected one.
    provider_ref = models.CharField(max_length=100, blank=True, default="")
    outcome = models.CharField(max_length=20, blank=True, default="")
    amount = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=60, blank=True, default="")
    # The attempt it was applied to (set when applied): the finance desk's payment page lists
    # a payment's notices by it.
    attempt = models.ForeignKey(
        PaymentAttempt, null=True, blank=True, on_delete=models.PROTECT, related_name="webhooks"
    )
    # Failed applies so far, and when a received row may next be claimed: after a failure, the
    # backoff; on a database without row locks (SQLite), also the claim's lease.
    tries = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"],
                name="webhook_once",
                condition=~models.Q(event_id=""),
            )
        ]
        indexes = [models.Index(fields=["state", "received_at"], name="webhook_state_idx")]


class Refund(models.Model):
    """Money given back on a paid payment, full or partial. Above the threshold
    (`QYZMET_REFUND_FOUR_EYES_TIYN`) a second officer approves before it is sent."""

    AWAITING_APPROVAL = "awaiting_approval"
    REJECTED = "rejected"  # the approver said no
    PENDING = "pending"  # sent to the provider (or to be paid out by the bank), no result yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STATES = (AWAITING_APPROVAL, REJECTED, PENDING, SUCCEEDED, FAILED)

    # What is given back: (part of) the fee, or money paid a second time (a double payment or
    # one after expiry), which never counted as paid and so does not change the payment's
    # `amount_paid`/`amount_refunded`.
    FEE = "fee"
    DOUBLE = "double"
    KINDS = (FEE, DOUBLE)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    kind = models.CharField(max_length=10, default=FEE)
    # The attempt whose money goes back (its provider and provider_ref are the refund's route).
    attempt = models.ForeignKey(
        PaymentAttempt, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.BigIntegerField()
    reason = models.TextField()
    state = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=80, unique=True)
    provider_ref = models.CharField(max_length=100, blank=True, default="")
    requested_by_id = models.BigIntegerField(null=True, blank=True)  # None: the platform's rule
    approved_by_id = models.BigIntegerField(null=True, blank=True)
    decision_note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"], name="refund_state_idx"),
        ]


class BankStatement(models.Model):
    """One imported ISO 20022 camt.053 statement. Importing the same file twice is recognised by
    its SHA-256 (and by the message id) and changes nothing."""

    sha256 = models.CharField(max_length=64, unique=True)
    message_id = models.CharField(max_length=35)
    statement_id = models.CharField(max_length=35, blank=True, default="")
    account_iban = models.CharField(max_length=34, blank=True, default="")
    created_on = models.DateTimeField(null=True, blank=True)  # <CreDtTm> of the statement
    filename = models.CharField(max_length=200, blank=True, default="")
    imported_by_id = models.BigIntegerField(null=True, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    content = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message_id", "statement_id"], name="statement_once")
        ]


class StatementLine(models.Model):
    """One entry of a statement, matched to a payment or left for a person."""

    MATCHED = "matched"
    UNMATCHED = "unmatched"  # no payment with that reference
    MISMATCH = "mismatch"  # the reference is known but the amount or currency differs
    DUPLICATE = "duplicate"  # the payment was already paid (another line, or online)
    RESOLVED = "resolved"  # a person decided what it is (note says what)
    IGNORED = "ignored"  # a debit or a line that is not a citizen's payment
    STATES = (MATCHED, UNMATCHED, MISMATCH, DUPLICATE, RESOLVED, IGNORED)

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    line_ref = models.CharField(max_length=60)  # <AcctSvcrRef> or <NtryRef>
    booked_on = models.DateField()
    amount = models.BigIntegerField()  # tiyn; > 0 credit, < 0 debit
    currency = models.CharField(max_length=3)
    reference_text = models.CharField(max_length=140, blank=True, default="")
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="statement_lines"
    )
    state = models.CharField(max_length=20)
    note = models.TextField(blank=True, default="")
    resolved_by_id = models.BigIntegerField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["statement", "line_ref"], name="statement_line_once")
        ]
        indexes = [models.Index(fields=["state", "booked_on"], name="statement_line_state_idx")]


class ReconciliationRun(models.Model):
    """The daily reconciliation of one day: provider settlement reports and bank statements
    against the platform's records; `mismatches` lists what a person must look at."""

    day = models.DateField(unique=True)
    ran_at = models.DateTimeField(auto_now=True)
    summary = models.JSONField(default=dict)  # counts and sums per provider
    mismatches = models.JSONField(default=list)  # [{kind, reference, provider_ref, ...}]

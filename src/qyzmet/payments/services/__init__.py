"""Commands that change payments: a fee required, attempts at paying it, the providers' answers
(webhooks, polls, settlement reports, bank statements), refunds and the daily reconciliation.

The rules that keep money safe (docs/payments.md):

- **Nothing charged twice.** Every call that moves money carries an idempotency key of ours
  (one per attempt, one per refund), unique in our tables and sent to the provider, so a double
  click or a retried request finds the same attempt. Money that arrives for a payment already
  paid (or no longer payable) is never counted: it is returned by an automatic refund.
- **No transaction held over HTTP.** An attempt's row commits before the provider is asked to
  create it; a refund is sent after its row commits.
- **Nothing lost.** A webhook is stored before it is acted upon; a lost one is made good by
  polling (`attempts_poll_due`) and at the latest by the daily reconciliation (`reconcile_day`).
  A final state never returns to pending; a late contrary answer is logged and ignored.
- Every change writes its audit row in its own transaction; events go through the outbox.

A package along the sections the single module had (configuration, references, fees, outcomes,
refunds, attempts, webhooks, reconciliation); every public name is re-exported here, so callers
keep writing `services.attempt_start(...)`. The read-only lookups the commands share live in
`..selectors`. `CreateRequest`, the provider contract's request, is re-exported for the callers
that built it through this module."""

from ..providers.base import CreateRequest
from .attempts import attempt_refresh, attempt_start, attempts_poll_due, payments_expire_due
from .configuration import (
    LANGUAGES,
    POLL_LEASE,
    REFUND_RESEND_AFTER,
    expiry_delay,
    four_eyes_threshold,
    page_timeout,
    poll_delay,
    provider_for,
    providers_configured,
    webhook_url,
)
from .fees import payment_cancel, payment_require
from .outcomes import (
    DECLINED,
    DOUBLE,
    DUPLICATE,
    EXPIRED,
    MISMATCH,
    PAID,
    STALE,
    STILL_PENDING,
    payment_record_success,
)
from .reconciliation import reconcile_day
from .references import (
    REFERENCE_LENGTH,
    reference_check_digits,
    reference_make,
    reference_normalise,
    reference_valid,
)
from .refunds import (
    refund_approve,
    refund_record_result,
    refund_reject,
    refund_request,
    refund_send,
)
from .webhooks import (
    WEBHOOK_BATCH,
    WEBHOOK_LEASE,
    webhook_max_tries,
    webhook_receive,
    webhook_retry_delay,
    webhooks_apply,
)

__all__ = [
    "DECLINED",
    "DOUBLE",
    "DUPLICATE",
    "EXPIRED",
    "LANGUAGES",
    "MISMATCH",
    "PAID",
    "POLL_LEASE",
    "REFERENCE_LENGTH",
    "REFUND_RESEND_AFTER",
    "STALE",
    "STILL_PENDING",
    "WEBHOOK_BATCH",
    "WEBHOOK_LEASE",
    "CreateRequest",
    "attempt_refresh",
    "attempt_start",
    "attempts_poll_due",
    "expiry_delay",
    "four_eyes_threshold",
    "page_timeout",
    "payment_cancel",
    "payment_record_success",
    "payment_require",
    "payments_expire_due",
    "poll_delay",
    "provider_for",
    "providers_configured",
    "reconcile_day",
    "reference_check_digits",
    "reference_make",
    "reference_normalise",
    "reference_valid",
    "refund_approve",
    "refund_record_result",
    "refund_reject",
    "refund_request",
    "refund_send",
    "webhook_max_tries",
    "webhook_receive",
    "webhook_retry_delay",
    "webhook_url",
    "webhooks_apply",
]

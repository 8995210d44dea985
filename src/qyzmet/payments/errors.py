"""Stable error codes of the payments context (they appear in problem+json `code`)."""

from __future__ import annotations

from qyzmet.core.problem import FieldError, Problem


def provider_unknown(code: str) -> Problem:
    return Problem(
        404, "payment_provider_unknown", "Not found", f"There is no payment provider '{code}'."
    )


def not_payable(state: str) -> Problem:
    return Problem(
        409,
        "payment_not_payable",
        "Conflict",
        f"This payment cannot be paid now: it is '{state}'.",
        extra={"state": state},
    )


def attempt_in_progress(next_url: str) -> Problem:
    return Problem(
        409,
        "payment_attempt_in_progress",
        "Conflict",
        "A payment on the provider's page is still under way; finish it or wait until it ends.",
        extra={"next_url": next_url},
    )


def idempotency_conflict() -> Problem:
    return Problem(
        409,
        "idempotency_key_reused",
        "Idempotency-Key reused",
        "This Idempotency-Key was already used for a different request.",
    )


def amount_mismatch(*, due: int, got: int, currency: str) -> Problem:
    return Problem(
        422,
        "payment_amount_mismatch",
        "Validation failed",
        f"The amount paid ({got} {currency}) is not the amount due ({due}).",
        [FieldError("/amount", "differs from the amount due")],
    )


def currency_mismatch(*, due: str, got: str) -> Problem:
    return Problem(
        422,
        "payment_currency_mismatch",
        "Validation failed",
        f"The payment is due in {due}, not {got}.",
        [FieldError("/currency", f"must be {due}")],
    )


def refund_not_allowed(state: str) -> Problem:
    return Problem(
        409,
        "refund_not_allowed",
        "Conflict",
        f"Nothing can be refunded on a payment that is '{state}'.",
    )


def refund_too_much(*, refundable: int) -> Problem:
    return Problem(
        422,
        "refund_above_paid",
        "Validation failed",
        f"A refund cannot exceed what was paid and not yet refunded ({refundable}).",
        [FieldError("/amount", f"at most {refundable}")],
        extra={"refundable": refundable},
    )


def refund_state(state: str) -> Problem:
    return Problem(
        409,
        "refund_not_awaiting_approval",
        "Conflict",
        f"This refund is '{state}', not awaiting approval.",
    )


def four_eyes() -> Problem:
    return Problem(
        403,
        "refund_four_eyes",
        "Forbidden",
        "You asked for this refund, so another officer must approve it (four-eyes rule).",
    )


def invalid(pointer: str, detail: str) -> Problem:
    return Problem(
        422, "validation_failed", "Validation failed", detail, [FieldError(pointer, detail)]
    )

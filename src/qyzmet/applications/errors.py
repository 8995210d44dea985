"""Stable error codes of the applications context (they appear in problem+json `code`)."""

from qyzmet.core.problem import FieldError, Problem


def action_not_allowed(action: str, state: str) -> Problem:
    return Problem(
        409,
        "action_not_allowed_in_state",
        "Action not allowed now",
        f"The action '{action}' cannot be taken while the application is '{state}'.",
    )


def role_not_allowed(action: str) -> Problem:
    return Problem(403, "role_not_allowed", "Forbidden", f"Your role may not take '{action}'.")


def unknown_action(action: str) -> Problem:
    return Problem(404, "unknown_action", "Not found", f"This service has no action '{action}'.")


def reason_required(action: str) -> Problem:
    return Problem(
        422,
        "validation_failed",
        "Validation failed",
        f"The action '{action}' needs a reason.",
        [FieldError("/reason", "A reason is required.")],
    )


def idempotency_conflict() -> Problem:
    return Problem(
        409,
        "idempotency_key_reused",
        "Idempotency-Key reused",
        "This Idempotency-Key was already used for a different request.",
    )


def applicant_not_allowed() -> Problem:
    return Problem(403, "applicant_not_allowed", "Forbidden", "You may not apply for this service.")


def evidence_unavailable(registry: str) -> Problem:
    return Problem(
        503,
        "evidence_unavailable",
        "Evidence not available yet",
        f"The {registry} registry did not answer; nothing was saved. Please try again shortly.",
    )

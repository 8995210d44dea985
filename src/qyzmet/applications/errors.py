"""Stable error codes of the applications context (they appear in problem+json `code`)."""

from django.utils.translation import gettext

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


def ground_required(action: str) -> Problem:
    return Problem(
        422,
        "validation_failed",
        "Validation failed",
        f"The action '{action}' refuses the application: choose one of the service's grounds for "
        "refusal.",
        [FieldError("/ground", "A ground for refusal is required.")],
    )


def ground_unknown(action: str, ground: str, known: list[str]) -> Problem:
    return Problem(
        422,
        "validation_failed",
        "Validation failed",
        f"'{ground}' is not a ground on which '{action}' may refuse this application "
        f"(one of: {', '.join(known)}).",
        [FieldError("/ground", "Not a ground for refusal of this service.")],
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


# --- signatures -----------------------------------------------------------------------------


def signature_required() -> Problem:
    return Problem(
        422,
        "signature_required",
        "Signature required",
        "This step must be signed: create a signature request, confirm it with the SMS code and "
        "send its id as signature_request_id.",
        [FieldError("/signature_request_id", "A confirmed signature is required.")],
    )


def signature_unknown() -> Problem:
    return Problem(
        422,
        "signature_unknown",
        "Unknown signature",
        "There is no signature request with this id that you made.",
        [FieldError("/signature_request_id", "No such signature request of yours.")],
    )


def signature_not_confirmed() -> Problem:
    return Problem(
        409,
        "signature_not_confirmed",
        "Not signed yet",
        "The signature request was not confirmed with the SMS code, so nothing was changed.",
    )


def signature_mismatch(what: str) -> Problem:
    return Problem(
        422,
        "signature_mismatch",
        "The signature is over other data",
        f"The signature does not cover exactly this {what} (the canonical form's SHA-256 "
        "differs): nothing was saved. Sign what you submit.",
        [FieldError("/signature_request_id", "Signed over different data.")],
    )


def signature_already_used() -> Problem:
    return Problem(
        409,
        "signature_already_used",
        "Signature already used",
        "This signature was already used for another submission or decision.",
    )


def signature_certificate_revoked() -> Problem:
    return Problem(
        422,
        "signature_certificate_revoked",
        "Signing certificate revoked",
        "The certificate that made this signature has been revoked: sign again.",
        [FieldError("/signature_request_id", "The signing certificate is revoked.")],
    )


def nothing_missing() -> Problem:
    return Problem(
        409,
        "evidence_not_missing",
        "No registry data is missing",
        "The case has all the registry data its service asks for, or it is closed.",
    )


def text_invalid(pointers: list[str]) -> Problem:
    """Form data with U+0000 or a lone surrogate: refused before anything is stored, since
    PostgreSQL cannot hold the one and no page can show the other."""
    detail = "This text contains a character that cannot be stored (U+0000 or a lone surrogate)."
    return Problem(422, "validation_failed", "Validation failed", "The input is not valid.",
                   [FieldError(pointer, detail) for pointer in pointers])


def fee_unavailable(year: int) -> Problem:
    """503: the service's fee is a number of monthly calculation indices and the country pack
    has no index for `year` yet (it is added each year from the budget law; `qyzmet check`
    warns from 1 November). A fee is never guessed, so nothing is submitted; the detail names
    the cause in the asker's language."""
    return Problem(
        503,
        "fee_unavailable",
        "Fee cannot be calculated yet",
        gettext(
            "The fee for this service cannot be calculated yet: the monthly calculation index "
            "for %(year)s has not been added to the platform. Nothing was submitted; please "
            "try again later."
        )
        % {"year": year},
    )


def fee_just_paid() -> Problem:
    """409: the applicant asked to withdraw an application waiting for its fee, and the fee has
    just been paid (the money arrived meanwhile): nothing is withdrawn, the application goes to
    the agency, and it can be withdrawn from there under the service's rule."""
    return Problem(
        409,
        "fee_just_paid",
        "The fee has just been paid",
        gettext(
            "The fee for this application has just been paid, so it is on its way to the "
            "agency. Nothing was withdrawn: look at the application again before you decide."
        ),
    )

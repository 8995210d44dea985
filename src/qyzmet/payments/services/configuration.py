"""Settings the payment commands read: delays, the four-eyes threshold, the configured
providers and their webhook URLs."""

from __future__ import annotations

import datetime as dt
import importlib

from django.conf import settings

from .. import errors
from ..models import PaymentAttempt
from ..providers import base
from ..providers.base import PaymentProvider

LANGUAGES = ("kk", "ru", "en")


# How long a poll holds its claim on an attempt: longer than one provider call may take, so two
# sweeps never ask about the same attempt at once, short enough to retry a crashed worker's.
POLL_LEASE = dt.timedelta(minutes=2)


# A refund sent and not answered (provider down) is sent again, with the same key, after this.
REFUND_RESEND_AFTER = dt.timedelta(minutes=1)


def _seconds(name: str, default: float) -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, name, default)))


def expiry_delay() -> dt.timedelta:
    """How long a citizen has to pay (`QYZMET_PAYMENT_EXPIRY_HOURS`, 72)."""
    return dt.timedelta(hours=float(getattr(settings, "QYZMET_PAYMENT_EXPIRY_HOURS", 72)))


def page_timeout() -> dt.timedelta:
    """How long a provider's hosted page may take before its attempt is over
    (`QYZMET_PAYMENT_PAGE_TIMEOUT_SECONDS`, 15 minutes): while an attempt is younger, no second
    one is started and the payment is not expired under the payer's hands."""
    return _seconds("QYZMET_PAYMENT_PAGE_TIMEOUT_SECONDS", 900)


def poll_delay(*, polls: int) -> dt.timedelta:
    """The wait before asking the provider about a pending attempt after `polls` polls:
    `QYZMET_PAYMENT_POLL_AFTER_SECONDS` (60) doubling up to `QYZMET_PAYMENT_POLL_MAX_SECONDS`
    (an hour). The first poll comes when a webhook should long have arrived."""
    base_s = float(getattr(settings, "QYZMET_PAYMENT_POLL_AFTER_SECONDS", 60))
    cap = float(getattr(settings, "QYZMET_PAYMENT_POLL_MAX_SECONDS", 3600))
    return dt.timedelta(seconds=min(base_s * 2 ** min(polls, 32), cap))


def four_eyes_threshold() -> int:
    """Refunds above this many tiyn need a second officer (`QYZMET_REFUND_FOUR_EYES_TIYN`)."""
    return int(getattr(settings, "QYZMET_REFUND_FOUR_EYES_TIYN", 5_000_000))


def providers_configured() -> dict[str, dict]:
    return dict(getattr(settings, "QYZMET_PAYMENT_PROVIDERS", {}))


def provider_for(code: str) -> PaymentProvider:
    """The configured provider `code`. Its plug-in module is imported on first use (the option
    `module`, else `qyzmet.payments.providers.<code>`), so a deployment lists providers in
    settings only. A code not configured is unknown (404), whatever plug-ins exist."""
    options = providers_configured().get(code)
    if options is None:
        raise errors.provider_unknown(code)
    try:
        return base.provider_get(code)
    except KeyError:
        pass
    module = str(options.get("module") or f"qyzmet.payments.providers.{code}")
    try:
        importlib.import_module(module)
        return base.provider_get(code)
    except (ImportError, KeyError) as exc:
        raise errors.provider_unknown(code) from exc


def webhook_url(code: str) -> str:
    options = providers_configured().get(code, {})
    if options.get("webhook_url"):
        return str(options["webhook_url"])
    root = str(getattr(settings, "QYZMET_PUBLIC_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return f"{root}/api/v1/payments/webhooks/{code}"


def _hosted(code: str) -> bool:
    try:
        return bool(provider_for(code).hosted)
    except Exception:  # a provider no longer configured: treat its attempts as hosted (safe)
        return True


def _attempt_finish(
    attempt: PaymentAttempt, *, state: str, failure_code: str, at: dt.datetime
) -> None:
    """Record an attempt's final state (the one way every apply path writes it)."""
    attempt.state = state
    attempt.failure_code = failure_code[:60]
    attempt.finished_at = at
    attempt.save(update_fields=["state", "failure_code", "finished_at", "updated_at"])

"""The gateway's settings, each with the embedded default (settings files may override)."""

from __future__ import annotations

from django.conf import settings

DEFAULT_PLATFORM_CLIENT = "KZ/GOV/990340020019/qyzmet-portal"


def platform_client() -> str:
    """The platform's own client subsystem: the portal and applications call as this."""
    return getattr(settings, "QYZMET_EXCHANGE_PLATFORM_CLIENT", DEFAULT_PLATFORM_CLIENT)


def base_url_overrides() -> dict[str, str]:
    """{service id: base URL} that win over the database (per-deployment configuration)."""
    return dict(getattr(settings, "QYZMET_EXCHANGE_BASE_URLS", {}) or {})


def forward_timeout() -> float:
    return float(getattr(settings, "QYZMET_EXCHANGE_TIMEOUT", 10.0))


def gateway_url() -> str:
    """Where clients of this installation reach the gateway: "" = in-process."""
    return getattr(settings, "QYZMET_EXCHANGE_GATEWAY_URL", "") or ""


def clock_skew_seconds() -> int:
    return int(getattr(settings, "QYZMET_EXCHANGE_CLOCK_SKEW", 300))


def message_log_bodies() -> bool:
    """Keep message bodies in the log (X-Road does); off keeps only their hashes."""
    return bool(getattr(settings, "QYZMET_EXCHANGE_LOG_BODIES", True))


def seal_every() -> int:
    """Seal the message log after this many entries written by a process (0: never; then
    only `seal_message_log`, `verify_message_log` and archiving seal)."""
    return int(getattr(settings, "QYZMET_EXCHANGE_SEAL_EVERY", 1000))


def seal_grace_seconds() -> float:
    """Automatic seals leave out entries younger than this: their transactions may still be
    open, and an entry committed behind a seal becomes a "late" one for the next seal."""
    return float(getattr(settings, "QYZMET_EXCHANGE_SEAL_GRACE", 2.0))

"""Deploy checks (`qyzmet check --deploy`): a production installation refuses demo material.

Why errors and not warnings: an outside security test found `check --deploy` passing with the
PKI and log-key passphrases set to the development values printed in this repository, with a
SECRET_KEY of 50 × "a", and with the demo users and the demo Open311 key in the database. Each of
those hands an attacker a key, so each is an ERROR with a stable id, and each message says what
to do.

Ids (stable: runbooks and `SILENCED_SYSTEM_CHECKS` may name them):
- qyzmet.E001  SECRET_KEY (or one of SECRET_KEY_FALLBACKS) is short or has little entropy
- qyzmet.E002  SECRET_KEY (or a fallback) is a value published in the source
- qyzmet.E003  the PKI passphrase is missing, short, or a published value
- qyzmet.E004  the transparency log-key passphrase is missing, short, or a published value
- qyzmet.E005  another secret setting (passphrase, password, key, token) is a published value
- qyzmet.E006  demo users are in the database            (countries/kz/checks.py)
- qyzmet.E007  the demo Open311 api_key is in the database (countries/kz/checks.py)
- qyzmet.W001  a database could not be inspected for demo material (not migrated yet?)
- qyzmet.E008  this year's monthly calculation index is missing   (catalog/checks.py)
- qyzmet.W002  next year's index is missing, from 1 November      (catalog/checks.py)

The values published in the source are listed here once; `tests/settings/test_deploy_checks.py`
walks the source for development fallbacks and fails when one is missing from this list (the
core app may not import the apps that define them: see the import-linter layers).
"""

from __future__ import annotations

import itertools
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.checks import Error, Tags, register

# Every secret-like value written in this repository for the demo and the tests: the embedded
# SECRET_KEY, the PKI and log-key development passphrases, the demo Open311 key, the demo
# password. Anyone can read them, so none may protect a real installation.
PUBLISHED_SECRETS: frozenset[str] = frozenset({
    "embedded-demo-key-not-for-production",                # settings/embedded.py SECRET_KEY
    "qyzmet-embedded-pki-passphrase-not-for-production",   # signatures/keystore.py
    "qyzmet-embedded-log-key-not-for-production",          # transparency/services.py
    "demo-open311-key-not-for-production",                 # appeals/demo.py DEMO_API_KEY
    "Qyzmet-demo-2026",                                    # countries/kz/demo.py DEMO_PASSWORD
    "sandbox-demo-secret-not-for-production",  # settings/embedded.py, the sandbox acquirer
})  # fmt: skip
# Markers of a development value even when it is not in the list (a new fallback, a prefix
# Django itself writes into generated settings).
PUBLISHED_MARKERS = ("not-for-production", "django-insecure-")

SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_DISTINCT = 10
# Bits of Shannon entropy per character. A random key from Django's 50-character alphabet has
# about 4.9, a random hex key about 3.9; "abab…" has 1.0 and 50 × "a" has 0.
SECRET_KEY_MIN_BITS_PER_CHAR = 3.0
PASSPHRASE_MIN_LENGTH = 16

# Settings whose string values are secrets (compared with the published values).
_SECRET_NAME = re.compile(r"(PASSPHRASE|PASSWORD|SECRET|_KEY|TOKEN)$")


def is_published(value: str) -> bool:
    """True when `value` is, or carries a marker of, a value published in the source."""
    text = value.strip()
    return text in PUBLISHED_SECRETS or any(m in text.lower() for m in PUBLISHED_MARKERS)


def shannon_bits_per_char(value: str) -> float:
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values()) if total else 0.0


def _periodic(value: str) -> bool:
    """A repetition of a shorter block ("abcabcabc…"): as weak as the block."""
    n = len(value)
    return any(n % p == 0 and value == value[:p] * (n // p) for p in range(1, n // 2 + 1))


def _sequential(value: str) -> bool:
    """Mostly runs like "abcdef" or "aaaa": neighbouring characters one code point apart."""
    steps = sum(1 for a, b in itertools.pairwise(value) if abs(ord(a) - ord(b)) <= 1)
    return steps * 2 > len(value)


def secret_key_weakness(value: str) -> str | None:
    """Why `value` is not a usable SECRET_KEY, or None. `get_random_secret_key()` passes."""
    if len(value) < SECRET_KEY_MIN_LENGTH:
        return f"it has {len(value)} characters (at least {SECRET_KEY_MIN_LENGTH} are needed)"
    if len(set(value)) < SECRET_KEY_MIN_DISTINCT:
        return (
            f"it uses {len(set(value))} distinct characters "
            f"(at least {SECRET_KEY_MIN_DISTINCT} are needed)"
        )
    bits = shannon_bits_per_char(value)
    if bits < SECRET_KEY_MIN_BITS_PER_CHAR:
        return (
            f"its entropy is {bits:.1f} bits per character "
            f"(at least {SECRET_KEY_MIN_BITS_PER_CHAR:.1f} are needed)"
        )
    if _periodic(value):
        return "it repeats a shorter block"
    if _sequential(value):
        return "it is mostly runs of neighbouring characters"
    return None


_NEW_KEY_HINT = (
    "Generate one with `python -c \"from django.core.management.utils import "
    "get_random_secret_key as k; print(k())\"` and set QYZMET_SECRET_KEY to it."
)


def _secret_keys() -> Iterator[tuple[str, str]]:
    yield "SECRET_KEY", str(settings.SECRET_KEY)
    for i, key in enumerate(getattr(settings, "SECRET_KEY_FALLBACKS", []) or []):
        yield f"SECRET_KEY_FALLBACKS[{i}]", str(key)


@register(Tags.security, deploy=True)
def secret_key_check(app_configs=None, **kwargs) -> list[Error]:
    errors: list[Error] = []
    for name, value in _secret_keys():
        if is_published(value):
            errors.append(Error(
                f"{name} is a value published in the Qyzmet source (the demo key).",
                hint=_NEW_KEY_HINT + " Signed sessions and tokens made with it are forgeable.",
                id="qyzmet.E002",
            ))  # fmt: skip
            continue
        weakness = secret_key_weakness(value)
        if weakness:
            errors.append(Error(
                f"{name} is too weak: {weakness}.", hint=_NEW_KEY_HINT, id="qyzmet.E001",
            ))  # fmt: skip
    return errors


def _passphrase_values(name: str) -> list[str]:
    """What the keystores use: the environment first, then settings (see
    signatures/keystore.py and transparency/services.py)."""
    values = [os.environ.get(name) or "", getattr(settings, name, "") or ""]
    return [v for v in values if v]


def _passphrase_errors(name: str, what: str, check_id: str) -> list[Error]:
    values = _passphrase_values(name)
    hint = (
        f"Set {name} to a random value of at least {PASSPHRASE_MIN_LENGTH} characters from your "
        "secret store (e.g. `python -c \"import secrets; print(secrets.token_urlsafe(32))\"`). "
        "Keys ever encrypted under a published passphrase are exposed: replace them "
        "(docs/operations.md, Deploy checks)."
    )
    if not values:
        return [Error(
            f"{name} is not set: {what} would fall back to the development passphrase "
            "published in the source, or refuse to work.", hint=hint, id=check_id,
        )]  # fmt: skip
    errors = []
    for value in dict.fromkeys(values):
        if is_published(value):
            errors.append(Error(
                f"{name} is the development passphrase published in the Qyzmet source: "
                f"anyone can decrypt {what}.", hint=hint, id=check_id,
            ))  # fmt: skip
        elif len(value) < PASSPHRASE_MIN_LENGTH:
            errors.append(Error(
                f"{name} has {len(value)} characters: too short to protect {what}.",
                hint=hint, id=check_id,
            ))  # fmt: skip
    return errors


@register(Tags.security, deploy=True)
def pki_passphrase_check(app_configs=None, **kwargs) -> list[Error]:
    return _passphrase_errors(
        "QYZMET_PKI_PASSPHRASE", "the CA, seal, TSA and OCSP private keys", "qyzmet.E003"
    )


@register(Tags.security, deploy=True)
def log_key_passphrase_check(app_configs=None, **kwargs) -> list[Error]:
    return _passphrase_errors(
        "QYZMET_LOG_KEY_PASSPHRASE", "the transparency log's signing key", "qyzmet.E004"
    )


_CHECKED_ELSEWHERE = {"SECRET_KEY", "QYZMET_PKI_PASSPHRASE", "QYZMET_LOG_KEY_PASSPHRASE"}


def _secret_settings() -> Iterable[tuple[str, str]]:
    """Every other string setting named like a secret, and the database passwords."""
    for name in dir(settings):
        if name.isupper() and name not in _CHECKED_ELSEWHERE and _SECRET_NAME.search(name):
            value = getattr(settings, name, None)
            if isinstance(value, str | bytes) and value:
                yield name, value.decode(errors="replace") if isinstance(value, bytes) else value
    for alias, db in (getattr(settings, "DATABASES", {}) or {}).items():
        if db.get("PASSWORD"):
            yield f"DATABASES[{alias!r}]['PASSWORD']", str(db["PASSWORD"])
    # A payment provider's webhook secret proves who is telling the platform money was paid.
    for code, options in (getattr(settings, "QYZMET_PAYMENT_PROVIDERS", {}) or {}).items():
        for key, value in (options or {}).items():
            if _SECRET_NAME.search(key.upper()) and isinstance(value, str) and value:
                yield f"QYZMET_PAYMENT_PROVIDERS[{code!r}][{key!r}]", value


@register(Tags.security, deploy=True)
def other_secrets_check(app_configs=None, **kwargs) -> list[Error]:
    return [
        Error(
            f"{name} is a value published in the Qyzmet source.",
            hint=f"Set {name} to a random value from your secret store.",
            id="qyzmet.E005",
        )
        for name, value in _secret_settings()
        if is_published(value)
    ]


def databases_to_inspect(databases: Iterable[str] | None) -> list[str]:
    """The database aliases a check that reads data may query: those given with
    `check --database`, else those the settings name (production: "default"), else none —
    Django's rule that checks touch a database only when asked."""
    if databases:
        return list(databases)
    return list(getattr(settings, "QYZMET_DEPLOY_CHECK_DATABASES", []) or [])

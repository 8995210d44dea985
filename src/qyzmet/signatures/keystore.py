"""Private keys at rest: PKCS#8 PEM encrypted with `BestAvailableEncryption` under the platform
passphrase. The passphrase comes from the environment or settings (`QYZMET_PKI_PASSPHRASE`);
only the embedded/test settings may fall back to a published development value, so a production
deployment without a passphrase fails loudly instead of protecting keys with a known secret.

Decrypted service keys are cached per process (keyed by the ciphertext's hash), because a CA
or seal key is used for every CRL, OCSP answer and sealed PDF; people's keys are not cached.
An HSM deployment replaces this module: see docs/security.md.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEV_PASSPHRASE = "qyzmet-embedded-pki-passphrase-not-for-production"  # noqa: S105 - demo only
_DEV_SETTINGS = ("qyzmet.settings.embedded", "qyzmet.settings.test")


def passphrase() -> bytes:
    value = os.environ.get("QYZMET_PKI_PASSPHRASE") or getattr(
        settings, "QYZMET_PKI_PASSPHRASE", ""
    )
    if value:
        return value.encode()
    # The embedded/test settings are recognised by their published secret key, which the
    # production settings refuse to start with.
    module = getattr(settings, "SETTINGS_MODULE", None) or os.environ.get(
        "DJANGO_SETTINGS_MODULE", ""
    )
    if module in _DEV_SETTINGS or "not-for-production" in settings.SECRET_KEY:
        return DEV_PASSPHRASE.encode()
    raise ImproperlyConfigured("QYZMET_PKI_PASSPHRASE must be set outside the embedded mode")


def key_encrypt(private_key: Any) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase()),
    )


@lru_cache(maxsize=4096)
def _key_load(digest: str, pem: bytes, secret: bytes) -> Any:
    return serialization.load_pem_private_key(pem, password=secret)


def key_decrypt(pem: bytes, *, cache: bool = False) -> Any:
    """Decrypt a stored key. Only the platform's own service keys (CAs, seals, TSA, OCSP) are
    cached; a person's key is decrypted for one signature and dropped."""
    pem = bytes(pem)
    if cache:
        return _key_load(hashlib.sha256(pem).hexdigest(), pem, passphrase())
    return serialization.load_pem_private_key(pem, password=passphrase())

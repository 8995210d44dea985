"""The key algorithm registry: the one place that knows how keys are made and used.

RSA-3072 and ECDSA P-256 (both with SHA-256) are registered here. GOST R 34.10-2015, which NCA RK
uses, is a plug-in point: `cryptography` does not implement it, so a deployment that needs it
registers an `Algorithm` backed by a GOST-capable provider (e.g. an HSM through PKCS#11, or an
OpenSSL build with the gost engine) under the name "gost-34.10-2015-256". Nothing else in the
app names a concrete algorithm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

GOST_2015 = "gost-34.10-2015-256"


class AlgorithmUnavailable(Exception):
    """No implementation is registered under this name."""


@dataclass(frozen=True)
class Algorithm:
    name: str
    generate: Callable[[], Any]
    sign: Callable[[Any, bytes], bytes]  # (private key, message) -> signature over SHA-256
    cms_signature_algorithm: str  # asn1crypto name for SignerInfo.signature_algorithm


_REGISTRY: dict[str, Algorithm] = {}


def algorithm_register(algorithm: Algorithm) -> None:
    _REGISTRY[algorithm.name] = algorithm


def algorithm_get(name: str) -> Algorithm:
    try:
        return _REGISTRY[name]
    except KeyError:
        hint = " (register a GOST provider, see docs/security.md)" if name == GOST_2015 else ""
        raise AlgorithmUnavailable(f"no key algorithm named {name!r}{hint}") from None


def algorithm_of(private_key: Any) -> Algorithm:
    """The algorithm of a key object. A plug-in key (an HSM handle, a GOST key) names its
    registered algorithm in a `qyzmet_algorithm` attribute."""
    name = getattr(private_key, "qyzmet_algorithm", None)
    if name:
        return algorithm_get(name)
    if isinstance(private_key, rsa.RSAPrivateKey):
        return _REGISTRY["rsa-3072"]
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return _REGISTRY["ecdsa-p256"]
    raise AlgorithmUnavailable(f"unsupported key type {type(private_key).__name__}")


algorithm_register(
    Algorithm(
        name="rsa-3072",
        generate=lambda: rsa.generate_private_key(public_exponent=65537, key_size=3072),
        sign=lambda key, data: key.sign(data, padding.PKCS1v15(), hashes.SHA256()),
        cms_signature_algorithm="sha256_rsa",
    )
)
algorithm_register(
    Algorithm(
        name="ecdsa-p256",
        generate=lambda: ec.generate_private_key(ec.SECP256R1()),
        sign=lambda key, data: key.sign(data, ec.ECDSA(hashes.SHA256())),
        cms_signature_algorithm="sha256_ecdsa",
    )
)

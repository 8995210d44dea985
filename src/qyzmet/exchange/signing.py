"""Message signatures of the exchange: what is signed, with which keys, and how it is checked.

Why our own small scheme rather than mTLS alone: a signature travels with the message and is
kept in the message log, so years later anyone can prove who sent what (non-repudiation, as
X-Road's signed message log does). Mutual TLS between gateways is the production transport on
top (docs/exchange.md); it authenticates the connection, not the message.

The signed string of a request (UTF-8, lines joined with "\\n"):

    qyzmet-exchange-request/1
    <METHOD, upper case>
    <path and query exactly as sent, e.g. /r1/KZ/GOV/990340020029/population/facts/person?subject=…>
    <base64 SHA-512 of the body (of b"" when there is none)>
    <client id, INSTANCE/CLASS/MEMBER/SUBSYSTEM>
    <X-Road-Id>
    <X-Road-UserId or "">
    <X-Road-Purpose header value (percent-encoded) or "">
    <X-Road-Timestamp: Unix seconds>

and of a response:

    qyzmet-exchange-response/1
    <HTTP status>
    <X-Road-Request-Id>
    <X-Road-Request-Hash>
    <base64 SHA-512 of the response body>
    <X-Road-Id of the request>
    <X-Road-Timestamp: Unix seconds>

`X-Road-Request-Hash` is the base64 SHA-512 of the request's signed string: it covers the body
through its hash. Signatures are Ed25519 or ECDSA P-256 with SHA-256 (DER), base64 in
`X-Road-Signature`; `X-Road-Key-Id` names the key (the first 32 hex digits of the SHA-256 of the
public key's DER SubjectPublicKeyInfo).
"""

from __future__ import annotations

import base64
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from django.conf import settings
from django.db import IntegrityError, transaction

from .models import LocalKey

REQUEST_TAG = "qyzmet-exchange-request/1"
RESPONSE_TAG = "qyzmet-exchange-response/1"
GATEWAY_KEY_NAME = "gateway"

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


def body_hash(body: bytes) -> str:
    return base64.b64encode(hashlib.sha512(body).digest()).decode()


def request_string(
    *,
    method: str,
    path: str,
    body: bytes,
    client: str,
    message_id: str,
    user_id: str,
    purpose: str,
    timestamp: str,
) -> str:
    return "\n".join(
        [REQUEST_TAG, method.upper(), path, body_hash(body), client, message_id, user_id,
         purpose, timestamp]
    )  # fmt: skip


def response_string(
    *, status: int, request_id: str, request_hash: str, body: bytes, message_id: str,
    timestamp: str,
) -> str:  # fmt: skip
    return "\n".join(
        [RESPONSE_TAG, str(status), request_id, request_hash, body_hash(body), message_id,
         timestamp]
    )  # fmt: skip


def request_hash(signed_string: str) -> str:
    return base64.b64encode(hashlib.sha512(signed_string.encode()).digest()).decode()


@functools.lru_cache(maxsize=256)
def public_key_load(pem: str) -> PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    raise ValueError("only Ed25519 and ECDSA P-256 keys are accepted")


@functools.lru_cache(maxsize=64)
def private_key_load(pem: str) -> PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    raise ValueError("only Ed25519 and ECDSA P-256 keys are accepted")


def algorithm_of(key: PublicKey | PrivateKey) -> str:
    return "ed25519" if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey) \
        else "es256"


def public_pem(key: PrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def private_pem(key: PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip


def key_id(public: PublicKey) -> str:
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:32]


def key_generate(algorithm: str = "ed25519") -> PrivateKey:
    if algorithm == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "es256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unknown algorithm {algorithm!r}")


def sign(key: PrivateKey, text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.sign(data)
    else:
        raw = key.sign(data, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(raw).decode()


def verify(public: PublicKey, text: str | bytes, signature: str) -> bool:
    data = text.encode() if isinstance(text, str) else text
    try:
        raw = base64.b64decode(signature, validate=True)
        if isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(raw, data)
        else:
            public.verify(raw, data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Signer:
    key: PrivateKey
    key_id: str

    def sign(self, text: str | bytes) -> str:
        return sign(self.key, text)

    @property
    def public(self) -> PublicKey:
        return self.key.public_key()


def _local_key_load(*, name: str, path: str, algorithm: str) -> Signer:
    if path:
        key = private_key_load(Path(path).read_text())
    else:
        pem = LocalKey.objects.filter(name=name).values_list("private_pem", flat=True).first()
        if pem is None:
            pem = private_pem(key_generate(algorithm))
            try:
                with transaction.atomic():
                    LocalKey.objects.create(name=name, private_pem=pem)
            except IntegrityError:  # another process made it first: use theirs
                pem = LocalKey.objects.values_list("private_pem", flat=True).get(name=name)
        key = private_key_load(pem)
    return Signer(key=key, key_id=key_id(key.public_key()))


def local_key(*, name: str, file_setting: str = "", algorithm: str = "ed25519",
              snapshot=None) -> Signer:  # fmt: skip
    """A private key of this installation: from the file named by `settings.<file_setting>`
    when set, else kept in the database (created on first use: the embedded mode). Loaded and
    decrypted once per directory snapshot (directory.py): a new or changed key row gives the
    directory a new token, so no process signs with a key the database no longer has."""
    from . import directory

    path = getattr(settings, file_setting, "") if file_setting else ""
    return (snapshot or directory.current()).local_key(
        f"{name}|{path}", lambda: _local_key_load(name=name, path=path, algorithm=algorithm)
    )


def gateway_signer() -> Signer:
    """The gateway's own key: it signs every response and the message-log archives."""
    return local_key(name=GATEWAY_KEY_NAME, file_setting="QYZMET_EXCHANGE_GATEWAY_KEY_FILE")

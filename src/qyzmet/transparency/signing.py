"""What a signed tree head signs, and how, so any verifier can check it with a generic library.

Signed bytes — the RFC 6962 §3.5 `TreeHeadSignature` structure, 50 bytes:

    uint8  version         = 0   (v1)
    uint8  signature_type  = 1   (tree_hash)
    uint64 timestamp             milliseconds since the Unix epoch, big-endian
    uint64 tree_size             big-endian
    opaque sha256_root_hash[32]

signed with ECDSA over NIST P-256 and SHA-256. `tree_head_signature` is the RFC 5246
`DigitallySigned` wrapper of RFC 6962: uint8 hash = 4 (sha256), uint8 signature = 3 (ecdsa),
uint16 length, then the DER-encoded ECDSA signature. `key_id` is the RFC 6962 LogID: the
SHA-256 of the DER SubjectPublicKeyInfo, base64.
"""

from __future__ import annotations

import base64
import hashlib
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

ALGORITHM = "ecdsa-p256-sha256"
HASH_SHA256, SIG_ECDSA = 4, 3


def tree_head_bytes(*, timestamp_ms: int, tree_size: int, root_hash: bytes) -> bytes:
    if len(root_hash) != 32:
        raise ValueError("root hash must be 32 bytes")
    return struct.pack(">BBQQ", 0, 1, timestamp_ms, tree_size) + root_hash


def key_generate(*, passphrase: bytes) -> tuple[str, str, bytes]:
    """A new P-256 key: (key_id, public PEM, PKCS#8 PEM encrypted under `passphrase`)."""
    private = ec.generate_private_key(ec.SECP256R1())
    encrypted = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    public = private.public_key()
    return key_id_of(public), public_pem_of(public), encrypted


def public_pem_of(public: ec.EllipticCurvePublicKey) -> str:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id_of(public: PublicKeyTypes) -> str:
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def private_key_load(*, encrypted_pem: bytes, passphrase: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(encrypted_pem, password=passphrase)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError("the log key must be an EC key")
    return key


def tree_head_sign(*, key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    """The DigitallySigned structure over `message`."""
    der = key.sign(message, ec.ECDSA(hashes.SHA256()))
    return struct.pack(">BBH", HASH_SHA256, SIG_ECDSA, len(der)) + der


def tree_head_verify(*, public_pem: str, message: bytes, digitally_signed: bytes) -> bool:
    """Our own check (the tests check with `cryptography` directly, without this)."""
    from cryptography.exceptions import InvalidSignature

    if len(digitally_signed) < 4:
        return False
    h, s, length = struct.unpack(">BBH", digitally_signed[:4])
    der = digitally_signed[4:]
    if (h, s) != (HASH_SHA256, SIG_ECDSA) or length != len(der):
        return False
    public = serialization.load_pem_public_key(public_pem.encode())
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return False
    try:
        public.verify(der, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True

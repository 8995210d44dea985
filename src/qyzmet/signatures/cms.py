"""Making CMS SignedData (RFC 5652) with the CAdES-BES signed attributes (ETSI EN 319 122-1:
content-type, message-digest, signing-time, signing-certificate-v2) using asn1crypto for the
structure and `cryptography` (through the algorithm registry) for the signature.

Written here rather than through pyHanko's signer because it is small, synchronous and fast,
and the time-stamping authority needs the same builder with encapsulated content.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .algorithms import algorithm_of


class CmsStructureError(ValueError):
    """The bytes are not a CMS SignedData we can read."""


def _ess_cert_id_v2(cert: asn1_x509.Certificate) -> tsp.SigningCertificateV2:
    return tsp.SigningCertificateV2(
        {
            "certs": [
                {
                    # sha256 is the default hashAlgorithm, so it is omitted (DER).
                    "cert_hash": hashlib.sha256(cert.dump()).digest(),
                    "issuer_serial": {
                        "issuer": [asn1_x509.GeneralName({"directory_name": cert.issuer})],
                        "serial_number": cert.serial_number,
                    },
                }
            ]
        }
    )


# --- DER assembly ---------------------------------------------------------------------------
# The SignedData we emit has one fixed shape, so it is written directly as DER: asn1crypto
# re-encodes constructed values at every level, which made signing 30x slower than the
# signature itself. The fixed parts per certificate (SignerIdentifier, signing-certificate-v2,
# the certificate set) are computed once and cached. `cms_parse` (asn1crypto) reads it back in
# the tests, and openssl and pyHanko verify it.


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _len(len(content)) + content


@lru_cache(maxsize=64)
def _oid(dotted: str) -> bytes:
    return core.ObjectIdentifier(dotted).dump()


OID_DATA = "1.2.840.113549.1.7.1"
OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_TST_INFO = "1.2.840.113549.1.9.16.1.4"
CONTENT_TYPES = {"data": OID_DATA, "tst_info": OID_TST_INFO}
_SHA256_ALG = algos.DigestAlgorithm({"algorithm": "sha256"}).dump()
_ATTR_CONTENT_TYPE = _oid("1.2.840.113549.1.9.3")
_ATTR_MESSAGE_DIGEST = _oid("1.2.840.113549.1.9.4")
_ATTR_SIGNING_TIME = _oid("1.2.840.113549.1.9.5")
_DIGEST_ALGORITHMS = _tlv(0x31, _SHA256_ALG)


@dataclass(frozen=True)
class _SignerParts:
    sid: bytes
    ess_attribute: bytes
    certificates: bytes  # [0] IMPLICIT CertificateSet, tagged


@lru_cache(maxsize=1024)
def _signer_parts(cert_der: bytes, chain_ders: tuple[bytes, ...]) -> _SignerParts:
    cert = asn1_x509.Certificate.load(cert_der)
    sid = cms.IssuerAndSerialNumber(
        {"issuer": cert.issuer, "serial_number": cert.serial_number}
    ).dump()
    ess = cms.CMSAttribute(
        {"type": "signing_certificate_v2", "values": [_ess_cert_id_v2(cert)]}
    ).dump()
    return _SignerParts(
        sid=sid, ess_attribute=ess, certificates=_tlv(0xA0, b"".join((cert_der, *chain_ders)))
    )


@lru_cache(maxsize=8)
def _content_type_attribute(content_oid: bytes) -> bytes:
    return _attribute(_ATTR_CONTENT_TYPE, content_oid)


def _attribute(oid_der: bytes, value_der: bytes) -> bytes:
    return _tlv(0x30, oid_der + _tlv(0x31, value_der))


def _signing_time_der(moment: dt.datetime) -> bytes:
    """RFC 5652 §11.3: UTCTime up to 2049, GeneralizedTime after."""
    moment = moment.astimezone(dt.UTC)
    if moment.year < 2050:
        return _tlv(0x17, moment.strftime("%y%m%d%H%M%SZ").encode())
    return _tlv(0x18, moment.strftime("%Y%m%d%H%M%SZ").encode())


def cms_sign(
    *,
    data: bytes,
    private_key: Any,
    cert: asn1_x509.Certificate,
    chain: list[asn1_x509.Certificate],
    signing_time: dt.datetime,
    detached: bool = True,
    content_type: str = "data",
    include_certificates: bool = True,
) -> bytes:
    """DER ContentInfo(SignedData) over `data` signed by `private_key`/`cert`, carrying `cert`
    and `chain` (issuing CAs) so a verifier can build the path."""
    algorithm = algorithm_of(private_key)
    parts = _signer_parts(cert.dump(), tuple(c.dump() for c in chain))
    content_oid = _oid(CONTENT_TYPES[content_type])
    attributes = sorted(
        [  # DER: SET OF in ascending order of the encodings
            _content_type_attribute(content_oid),
            _attribute(_ATTR_SIGNING_TIME, _signing_time_der(signing_time)),
            _attribute(_ATTR_MESSAGE_DIGEST, _tlv(0x04, hashlib.sha256(data).digest())),
            parts.ess_attribute,
        ]
    )
    attributes_content = b"".join(attributes)
    # The signature covers the attributes as a SET (tag 0x31), RFC 5652 §5.4.
    signature = algorithm.sign(private_key, _tlv(0x31, attributes_content))
    signer_info = _tlv(
        0x30,
        b"".join(
            (
                b"\x02\x01\x01",  # version 1: issuerAndSerialNumber
                parts.sid,
                _SHA256_ALG,
                _tlv(0xA0, attributes_content),
                _signature_alg(algorithm.cms_signature_algorithm),
                _tlv(0x04, signature),
            )
        ),
    )
    encap = content_oid
    if not detached:
        encap += _tlv(0xA0, _tlv(0x04, data))
    signed_data = _tlv(
        0x30,
        b"".join(
            (
                b"\x02\x01\x03" if content_type != "data" else b"\x02\x01\x01",
                _DIGEST_ALGORITHMS,
                _tlv(0x30, encap),
                parts.certificates if include_certificates else b"",
                _tlv(0x31, signer_info),
            )
        ),
    )
    return _tlv(0x30, _oid(OID_SIGNED_DATA) + _tlv(0xA0, signed_data))


@lru_cache(maxsize=8)
def _signature_alg(name: str) -> bytes:
    return algos.SignedDigestAlgorithm({"algorithm": name}).dump()


_PEM = re.compile(rb"-----BEGIN [A-Z0-9 ]+-----(.*?)-----END [A-Z0-9 ]+-----", re.S)


def cms_bytes_normalise(raw: bytes) -> bytes:
    """Accept DER, PEM (PKCS7/CMS armour) or bare base64, as people upload all three."""
    if raw[:1] == b"\x30":
        return raw  # DER: never strip, its last byte may well be 0x20 or 0x0a
    raw = raw.strip()
    match = _PEM.search(raw)
    text = match.group(1) if match else raw
    try:
        return base64.b64decode(b"".join(text.split()), validate=True)
    except (ValueError, TypeError) as exc:
        raise CmsStructureError("neither DER, PEM nor base64") from exc


def cms_parse(raw: bytes) -> cms.SignedData:
    """The SignedData inside, fully parsed, or `CmsStructureError`."""
    der = cms_bytes_normalise(raw)
    try:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            raise CmsStructureError("not a SignedData")
        signed_data = info["content"]
        # Force a full parse now, so a broken structure fails here and not in the middle of
        # validation with an obscure error.
        signed_data.native  # noqa: B018
        if len(signed_data["signer_infos"]) == 0:
            raise CmsStructureError("no signer")
        return signed_data
    except CmsStructureError:
        raise
    except Exception as exc:  # asn1crypto raises ValueError/TypeError/KeyError variously
        raise CmsStructureError(str(exc) or type(exc).__name__) from exc


def cms_signing_time(signer_info: cms.SignerInfo) -> dt.datetime | None:
    attrs = signer_info["signed_attrs"]
    if not attrs:
        return None
    for attr in attrs:
        if attr["type"].native == "signing_time":
            return attr["values"][0].native
    return None


@lru_cache(maxsize=1024)
def _public_key(cert_der: bytes) -> Any:
    return x509.load_der_x509_certificate(cert_der).public_key()


_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def _read(buf: bytes, pos: int) -> tuple[int, int, int]:
    """One DER TLV at `pos`: (tag, content start, content end). Definite lengths only."""
    tag = buf[pos]
    first = buf[pos + 1]
    if first < 0x80:
        start, length = pos + 2, first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise CmsStructureError("indefinite or oversized length")
        start = pos + 2 + count
        length = int.from_bytes(buf[pos + 2 : start], "big")
    end = start + length
    if end > len(buf):
        raise CmsStructureError("truncated")
    return tag, start, end


def _children(buf: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    items = []
    while start < end:
        item = _read(buf, start)
        items.append(item)
        start = item[2]
    return items


_OIDS_BY_DER: dict[bytes, str] = {}


def _oid_name(der_content: bytes) -> str:
    name = _OIDS_BY_DER.get(der_content)
    if name is None:
        name = core.ObjectIdentifier.load(b"\x06" + _len(len(der_content)) + der_content).dotted
        if len(_OIDS_BY_DER) < 256:
            _OIDS_BY_DER[der_content] = name
    return name


_DIGEST_OIDS = {
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
_SIG_OIDS = {
    "1.2.840.10045.4.3.2": ("ecdsa", "sha256"),
    "1.2.840.10045.4.3.3": ("ecdsa", "sha384"),
    "1.2.840.10045.4.3.4": ("ecdsa", "sha512"),
    "1.2.840.113549.1.1.11": ("rsa", "sha256"),
    "1.2.840.113549.1.1.12": ("rsa", "sha384"),
    "1.2.840.113549.1.1.13": ("rsa", "sha512"),
    "1.2.840.113549.1.1.1": ("rsa", None),
}


@dataclass(frozen=True)
class SignerView:
    """The parts of the first SignerInfo that integrity checking needs, read straight from
    the DER (no asn1crypto objects): fast enough to verify at the speed of the signature."""

    digest: str
    attributes: bytes  # the signed attributes as a SET (tag 0x31), as signed
    message_digest: bytes | None
    signature_kind: str
    signature_hash: str
    signature: bytes


def cms_signer_view(der: bytes) -> SignerView | None:
    """None when the structure is not the plain shape this reader knows (the full asn1crypto
    path then decides); `CmsStructureError` when the bytes are not DER at all."""
    try:
        tag, start, end = _read(der, 0)
        if tag != 0x30:
            raise CmsStructureError("not a SEQUENCE")
        oid, explicit = _children(der, start, end)[:2]
        if _oid_name(der[oid[1] : oid[2]]) != OID_SIGNED_DATA or explicit[0] != 0xA0:
            return None
        signed_data = _read(der, explicit[1])
        parts = _children(der, signed_data[1], signed_data[2])
        signer_infos = parts[-1]
        if signer_infos[0] != 0x31:
            return None
        first = _read(der, signer_infos[1])
        fields = _children(der, first[1], first[2])
        if len(fields) < 6 or fields[3][0] != 0xA0:
            return None  # unsigned attributes form, or no signed attributes
        digest_alg = _children(der, fields[2][1], fields[2][2])[0]
        digest = _DIGEST_OIDS.get(_oid_name(der[digest_alg[1] : digest_alg[2]]))
        sig_alg = _children(der, fields[4][1], fields[4][2])[0]
        kind = _SIG_OIDS.get(_oid_name(der[sig_alg[1] : sig_alg[2]]))
        if digest is None or kind is None or fields[5][0] != 0x04:
            return None
        message_digest = None
        for _tag, a_start, a_end in _children(der, fields[3][1], fields[3][2]):
            a_oid, a_values = _children(der, a_start, a_end)[:2]
            if der[a_oid[1] : a_oid[2]] == _ATTR_MESSAGE_DIGEST[2:]:
                value = _read(der, a_values[1])
                message_digest = der[value[1] : value[2]]
        return SignerView(
            digest=digest,
            attributes=_set_of(der, fields[3]),
            message_digest=message_digest,
            signature_kind=kind[0],
            signature_hash=kind[1] or digest,
            signature=der[fields[5][1] : fields[5][2]],
        )
    except (IndexError, ValueError) as exc:
        raise CmsStructureError(str(exc)) from exc


def _set_of(der: bytes, field: tuple[int, int, int]) -> bytes:
    """The [0] IMPLICIT signed attributes re-tagged as the SET they are signed as."""
    _tag, start, end = field
    return b"\x31" + _len(end - start) + der[start:end]


def cms_integrity_fast(*, data: bytes, cms_der: bytes, cert_der: bytes) -> str | None:
    """`cms_integrity` on the raw DER via `cms_signer_view`: "", "bytes_differ",
    "bad_signature", or None (not the plain shape; use the full path)."""
    view = cms_signer_view(cms_der)
    if view is None or view.message_digest is None:
        return None
    if view.message_digest != hashlib.new(view.digest, data).digest():
        return "bytes_differ"
    key = _public_key(cert_der)
    hash_cls = _HASHES[view.signature_hash]
    try:
        if view.signature_kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(view.signature, view.attributes, ec.ECDSA(hash_cls()))
        elif view.signature_kind == "rsa" and isinstance(key, rsa.RSAPublicKey):
            key.verify(view.signature, view.attributes, padding.PKCS1v15(), hash_cls())
        else:
            return None
    except InvalidSignature:
        return "bad_signature"
    return ""

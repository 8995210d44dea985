"""The transparency log's public API, shaped after RFC 9162 / RFC 6962: anyone may read it,
and every hash is standard base64 so any RFC 9162 verifier can check what it returns."""

from __future__ import annotations

import base64
import binascii

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from qyzmet.core.problem import FieldError, validation
from qyzmet.transparency import selectors
from qyzmet.transparency.services import log_key_active, tree_head_current

from .fields import ID_MAX
from .responses import problems

router = Router(tags=["transparency"])
PEM = {"type": "string", "description": "SubjectPublicKeyInfo, PEM"}


def _b64(value: bytes | memoryview) -> str:  # BinaryField reads give either
    return base64.b64encode(bytes(value)).decode()


class TreeHeadOut(Schema):
    tree_size: int
    timestamp: int
    sha256_root_hash: str
    tree_head_signature: str
    key_id: str
    algorithm: str


class InclusionOut(Schema):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    audit_path: list[str]


class ConsistencyOut(Schema):
    first: int
    second: int
    consistency: list[str]


class EntryOut(Schema):
    leaf_index: int
    leaf_hash: str
    entry: str


class EntriesOut(Schema):
    entries: list[EntryOut]


class ProofQuery(Schema):
    hash: str = Field(max_length=64, description="Leaf hash or SHA-256 of the entry, base64")
    tree_size: int | None = Field(None, le=ID_MAX)


class ConsistencyQuery(Schema):
    first: int = Field(le=ID_MAX)
    second: int = Field(le=ID_MAX)


class EntriesQuery(Schema):
    start: int = Field(le=ID_MAX)
    end: int = Field(le=ID_MAX)


@router.get(
    "/sth",
    response=TreeHeadOut,
    auth=None,
    summary="Signed tree head",
    description=(
        "The log's current size, root hash (base64), timestamp (ms) and the signature over the "
        "RFC 6962 TreeHeadSignature bytes by the log's ECDSA P-256 key (see /key)."
    ),
)
def sth(request: HttpRequest) -> TreeHeadOut:
    head = tree_head_current()
    key = selectors.log_key(key_id=head.key_id)
    return TreeHeadOut(
        tree_size=head.tree_size,
        timestamp=head.timestamp_ms,
        sha256_root_hash=_b64(head.root_hash),
        tree_head_signature=_b64(head.signature),
        key_id=head.key_id,
        algorithm=key.algorithm if key else "",
    )


@router.get(
    "/key",
    auth=None,
    summary="The log's public key (PEM)",
    openapi_extra={"responses": {200: {"content": {"application/x-pem-file": {"schema": PEM}}}}},
    description="SubjectPublicKeyInfo PEM of the key that signs tree heads.",
)
def key(request: HttpRequest) -> HttpResponse:
    active = log_key_active()
    response = HttpResponse(active.public_pem, content_type="application/x-pem-file")
    response["X-Key-Id"] = active.key_id
    return response


def _hash_param(value: str) -> bytes:
    # A '+' sent unencoded arrives as a space; URL-safe base64 is accepted too.
    text = value.strip().replace(" ", "+").replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise validation([FieldError("/hash", "must be a base64 SHA-256 hash (32 bytes)")])
    return raw


@router.get(
    "/proof",
    response={200: InclusionOut, **problems(404)},
    auth=None,
    summary="Inclusion proof",
    description=(
        "Audit path (RFC 9162 §2.1.3) of the entry whose leaf hash — or SHA-256 of the entry — "
        "is `hash`, in the tree of `tree_size` (default: the current size). Unknown hash → 404; "
        "tree_size larger than the log → 400."
    ),
)
def proof(request: HttpRequest, params: Query[ProofQuery]) -> InclusionOut:
    wanted = _hash_param(params.hash)
    leaf = selectors.leaf_by_hash(hash=wanted)
    size = params.tree_size if params.tree_size is not None else selectors.log_size()
    path = selectors.proof_inclusion(leaf_index=leaf.index, tree_size=size)
    return InclusionOut(
        leaf_index=leaf.index,
        tree_size=size,
        leaf_hash=_b64(leaf.leaf_hash),
        audit_path=[_b64(h) for h in path],
    )


@router.get(
    "/consistency",
    response=ConsistencyOut,
    auth=None,
    summary="Consistency proof",
    description="RFC 9162 §2.1.4 proof that the tree of size `first` is a prefix of `second`.",
)
def consistency(request: HttpRequest, params: Query[ConsistencyQuery]) -> ConsistencyOut:
    path = selectors.proof_consistency(first=params.first, second=params.second)
    return ConsistencyOut(
        first=params.first, second=params.second, consistency=[_b64(h) for h in path]
    )


@router.get(
    "/entries",
    response={200: EntriesOut},
    auth=None,
    summary="Log entries for monitors",
    description="Entries start..end inclusive (at most 1000), each with its base64 entry bytes.",
)
def entries(request: HttpRequest, params: Query[EntriesQuery]) -> EntriesOut:
    leaves = selectors.entries_range(start=params.start, end=params.end)
    return EntriesOut(
        entries=[
            EntryOut(leaf_index=leaf.index, leaf_hash=_b64(leaf.leaf_hash), entry=_b64(leaf.entry))
            for leaf in leaves
        ]
    )

"""`GET /r1/keys`: an outside client, holding nothing of ours but that list, checks a signed reply
of the gateway over real HTTP with `cryptography` alone (no import of qyzmet's signing code on
the checking side)."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from qyzmet.exchange.services import client_key_revoke

from .factories import CLIENT_ID, SERVICE_ID, grant, machine_client, service

PATH = f"/r1/{SERVICE_ID}/services"
CITIZEN = "900517300017"


def _b64_sha512(data: bytes) -> str:
    return base64.b64encode(hashlib.sha512(data).digest()).decode()


def _signed_request(mc, *, path: str, message_id: str, stamp: str) -> tuple[dict, str]:
    """The client's own request: headers, and the string it signed (docs/exchange.md)."""
    signed = "\n".join(["qyzmet-exchange-request/1", "GET", path, _b64_sha512(b""),
                        mc.client_id, message_id, CITIZEN, "checking", stamp])  # fmt: skip
    return {
        "X-Road-Client": mc.client_id, "X-Road-Id": message_id, "X-Road-UserId": CITIZEN,
        "X-Road-Purpose": "checking", "X-Road-Timestamp": stamp,
        "X-Road-Key-Id": mc.signer.key_id, "X-Road-Signature": mc.signer.sign(signed),
    }, signed  # fmt: skip


def _reply_checks(published: dict, reply: httpx.Response, *, request_signed: str,
                  message_id: str, body: bytes | None = None) -> None:  # fmt: skip
    """The outside client's check: raises InvalidSignature or KeyError when it fails."""
    h = reply.headers
    request_hash = _b64_sha512(request_signed.encode())
    assert h["X-Road-Request-Hash"] == request_hash
    key = {published["gateway"]["key_id"]: published["gateway"]}[h["X-Road-Key-Id"]]
    public = load_pem_public_key(key["public_key"].encode())
    signed = "\n".join([
        "qyzmet-exchange-response/1", str(reply.status_code), h["X-Road-Request-Id"],
        request_hash, _b64_sha512(reply.content if body is None else body), message_id,
        h["X-Road-Timestamp"],
    ])  # fmt: skip
    public.verify(base64.b64decode(h["X-Road-Signature"]), signed.encode())


@pytest.mark.django_db(transaction=True)
def test_outside_client_checks_a_signed_reply_with_the_published_key_only(live_server):
    service()
    grant()
    mc = machine_client()
    message_id, stamp = uuid.uuid4().hex, str(int(time.time()))
    head, request_signed = _signed_request(mc, path=PATH, message_id=message_id, stamp=stamp)
    with httpx.Client(base_url=live_server.url) as http:
        reply = http.get(PATH, headers=head)
        listed = http.get("/r1/keys")
    assert reply.status_code == 200
    assert listed.status_code == 200 and listed.headers["Content-Type"] == "application/json"
    published = listed.json()
    _reply_checks(published, reply, request_signed=request_signed, message_id=message_id)
    # A reply changed on the way no longer verifies.
    with pytest.raises(InvalidSignature):
        _reply_checks(published, reply, request_signed=request_signed, message_id=message_id,
                      body=reply.content + b" ")  # fmt: skip
    # The member's key is there too, and checks the client's own signature.
    (client_key,) = [k for k in published["keys"] if k["key_id"] == mc.signer.key_id]
    assert (client_key["subsystem"], client_key["member"]) == (
        CLIENT_ID, CLIENT_ID.rsplit("/", 1)[0])
    load_pem_public_key(client_key["public_key"].encode()).verify(
        base64.b64decode(head["X-Road-Signature"]), request_signed.encode())
    # Only public halves are published.
    assert "PRIVATE" not in listed.text


@pytest.mark.django_db(transaction=True)
def test_keys_are_public_cacheable_and_follow_revocation(live_server):
    mc = machine_client()
    with httpx.Client(base_url=live_server.url) as http:
        first = http.get("/r1/keys")
        cache = first.headers["Cache-Control"]
        assert "public" in cache and "max-age=300" in cache, cache
        assert "no-store" not in cache and "private" not in cache
        etag = first.headers["ETag"]
        same = http.get("/r1/keys", headers={"If-None-Match": etag})
        assert (same.status_code, same.content) == (304, b"")
        assert http.put("/r1/keys").status_code in (403, 405)  # read-only (CSRF or method)
        client_key_revoke(actor=None, key_id=mc.signer.key_id)
        after = http.get("/r1/keys", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    data = after.json()
    assert mc.signer.key_id not in {k["key_id"] for k in data["keys"]}
    (revoked,) = [k for k in data["revoked"] if k["key_id"] == mc.signer.key_id]
    assert revoked["revoked_at"]

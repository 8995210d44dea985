"""Signatures and PKI × anonymous, citizen A (who prepared the signatures), citizen B, and two
officers. PKI endpoints are public protocols; a person's signing requests and certificates are
theirs alone (404 for anyone else, never 403)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from qyzmet.identity.services import api_token_issue
from qyzmet.signatures.services import (
    certificate_for_user,
    pki_init,
    signature_confirm,
    signature_request_create,
)
from tests.documents.factories import document_issued
from tests.identity.factories import MembershipFactory
from tests.portal.factories import agency, citizen
from tests.signatures.factories import sms_code

ACTORS = ("anonymous", "citizen_a", "citizen_b", "officer", "officer_other")
SIGN_URLS = "tests.signatures.urls_with_sign"


@dataclass
class World:
    users: dict
    ids: dict


@pytest.fixture
def world(db, settings, django_capture_on_commit_callbacks) -> World:
    settings.ROOT_URLCONF = SIGN_URLS  # until qyzmet.portal.urls_sign is in the root URLconf
    pki_init()
    a, b = citizen(), citizen()
    mvd, other = citizen(), citizen()
    MembershipFactory(user=mvd, organisation=agency("kz-mvd"), role="officer")
    MembershipFactory(user=other, organisation=agency("kz-kpssu"), role="officer")
    with django_capture_on_commit_callbacks(execute=True):
        pending = signature_request_create(actor=a, purpose="application.submit", payload={"n": 1})
        done = signature_request_create(actor=a, purpose="application.submit", payload={"n": 2})
    signature_confirm(actor=a, request_id=done.id, code=sms_code(a))
    document = document_issued(owner_iin=a.iin)
    return World(
        users={"citizen_a": a, "citizen_b": b, "officer": mvd, "officer_other": other},
        ids={
            "req": pending.id,
            "signed": done.id,
            "serial": certificate_for_user(user=a).serial,
            "public": document.public_id,
        },
    )


def _client(world: World, actor: str, kind: str) -> Client:
    if actor == "anonymous":
        return Client()
    user = world.users[actor]
    if kind == "api":
        return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}")
    client = Client()
    client.force_login(user)
    return client


def _expect(anonymous, citizen_a, citizen_b, officer, officer_other, *, order=ACTORS):
    values = dict(
        zip(ACTORS, (anonymous, citizen_a, citizen_b, officer, officer_other), strict=True)
    )
    return [(actor, values[actor]) for actor in order]


OWNER_LAST = ("anonymous", "citizen_b", "officer", "officer_other", "citizen_a")
SIGN_IN = {"purpose": "application.submit", "payload": {"service": "x"}}
VERIFY_IN = {"payload": "eA==", "signature": "AAAA"}

MATRIX = [
    # --- API: remote signing (the person's own requests) ---------------------------------
    ("api", "post", "/api/v1/signatures/requests", SIGN_IN, _expect(401, 201, 201, 201, 201)),
    ("api", "get", "/api/v1/signatures/requests/{req}", None, _expect(401, 200, 404, 404, 404)),
    (
        "api",
        "post",
        "/api/v1/signatures/requests/{req}/confirm",
        {"code": "abc"},
        _expect(401, 400, 404, 404, 404),
    ),
    # --- API: public verification ----------------------------------------------------------
    ("api", "post", "/api/v1/signatures/verify", VERIFY_IN, _expect(200, 200, 200, 200, 200)),
    ("api", "get", "/api/v1/signatures/documents/{public}", None, _expect(200, 200, 200, 200, 200)),
    ("api", "get", "/api/v1/signatures/documents/unknown", None, _expect(404, 404, 404, 404, 404)),
    # --- API: the person's certificates ----------------------------------------------------
    ("api", "get", "/api/v1/signatures/certificates", None, _expect(401, 200, 200, 200, 200)),
    (
        "api",
        "post",
        "/api/v1/signatures/certificates/{serial}/revoke",
        {"reason": "key_compromise"},
        _expect(401, 200, 404, 404, 404, order=OWNER_LAST),
    ),
    # --- Pages: PKI protocols, public by design --------------------------------------------
    ("page", "get", "/pki/ca/root.crt", None, _expect(200, 200, 200, 200, 200)),
    ("page", "get", "/pki/crl/citizens.crl", None, _expect(200, 200, 200, 200, 200)),
    ("page", "post", "/pki/ocsp", {}, _expect(415, 415, 415, 415, 415)),
    ("page", "get", "/pki/ocsp/AAAA", None, _expect(200, 200, 200, 200, 200)),
    ("page", "post", "/pki/tsa", {}, _expect(415, 415, 415, 415, 415)),
    # --- Pages: signing --------------------------------------------------------------------
    ("page", "get", "/sign/verify/", None, _expect(200, 200, 200, 200, 200)),
    ("page", "get", "/sign/{req}/", None, _expect(302, 200, 404, 404, 404)),
    ("page", "get", "/sign/{signed}/signature.p7s", None, _expect(302, 200, 404, 404, 404)),
]


@pytest.mark.parametrize(
    ("kind", "method", "path", "body", "expected"),
    MATRIX,
    ids=[f"{m.upper()} {p}" for _, m, p, _, _ in MATRIX],
)
def test_authorization(world, kind, method, path, body, expected):
    url = path.format(**world.ids)
    got = {}
    for actor, _status in expected:
        client = _client(world, actor, kind)
        call = getattr(client, method)
        if kind == "api" and body is not None:
            response = call(url, body, content_type="application/json")
        elif body is not None:
            response = call(url, body)
        else:
            response = call(url)
        got[actor] = response.status_code
        if kind == "api" and response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json", (actor, url)
    assert got == dict(expected)

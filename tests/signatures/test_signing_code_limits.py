"""Signing codes cannot be farmed either: a quota of requests (each texts a code) per person and
per client address, and a wrong-code budget across requests. Over HTTP, real database."""

from __future__ import annotations

import pytest
from django.test import Client

from qyzmet.identity.services import api_token_issue
from qyzmet.notifications.models import Notification
from qyzmet.signatures.models import SignatureRequest

from .factories import signer, sms_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pki")]

REQUESTS = "/api/v1/signatures/requests"


def _api(user, address: str = "10.2.0.1") -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}", REMOTE_ADDR=address)


def _request(client: Client, capture, n: int = 0):
    with capture(execute=True):
        return client.post(
            REQUESTS,
            {"purpose": "application.submit", "payload": {"n": n}},
            content_type="application/json",
        )


def _confirm(client: Client, request_id: str, code: str):
    return client.post(
        f"{REQUESTS}/{request_id}/confirm", {"code": code}, content_type="application/json"
    )


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1000000:06d}"


def _sms(user) -> int:
    return Notification.objects.filter(channel="sms", recipient=user.phone).count()


def test_thirty_signing_requests_in_a_row_send_three_codes(
    settings, django_capture_on_commit_callbacks
):
    user = signer()
    client = _api(user)
    answers = [_request(client, django_capture_on_commit_callbacks, n) for n in range(30)]
    assert [a.status_code for a in answers[:3]] == [201, 201, 201]
    assert {a.status_code for a in answers[3:]} == {429}
    refused = answers[-1]
    assert refused["Content-Type"] == "application/problem+json"
    assert 0 < int(refused["Retry-After"]) <= settings.QYZMET_SIGN_CODE_WINDOW_SECONDS
    assert refused.json()["code"] == "too_many_codes"
    assert _sms(user) == 3
    assert SignatureRequest.objects.filter(user=user).count() == 3


def test_signing_requests_are_counted_per_address_too(
    settings, django_capture_on_commit_callbacks
):
    settings.QYZMET_SIGN_CODES_PER_ADDRESS = 2
    people = [signer() for _ in range(3)]
    statuses = [
        _request(_api(p, "10.66.0.2"), django_capture_on_commit_callbacks).status_code
        for p in people
    ]
    assert statuses == [201, 201, 429]
    assert _sms(people[2]) == 0
    other = _request(_api(people[2], "10.2.0.9"), django_capture_on_commit_callbacks)
    assert other.status_code == 201


def test_wrong_signing_codes_across_requests_spend_a_budget(
    settings, django_capture_on_commit_callbacks
):
    """Guessing across fresh requests: 4 tries on each, never the 5-try limit of one. After
    QYZMET_SIGN_WRONG_CODES_PER_WINDOW wrong codes nothing is compared, not the right code."""
    settings.QYZMET_SIGN_CODES_PER_WINDOW = 100
    budget = settings.QYZMET_SIGN_WRONG_CODES_PER_WINDOW
    user = signer()
    client = _api(user)
    wrong_answers: list[int] = []
    n = 0
    while len(wrong_answers) < budget:
        n += 1
        request_id = _request(client, django_capture_on_commit_callbacks, n).json()["id"]
        code = sms_code(user)
        for _ in range(min(4, budget - len(wrong_answers))):
            wrong_answers.append(_confirm(client, request_id, _wrong(code)).status_code)
    assert set(wrong_answers) == {400}
    request_id = _request(client, django_capture_on_commit_callbacks, 999).json()["id"]
    refused = _confirm(client, request_id, sms_code(user))
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_wrong_codes"
    assert 0 < int(refused["Retry-After"]) <= settings.QYZMET_SIGN_WRONG_CODE_WINDOW_SECONDS
    row = SignatureRequest.objects.get(pk=request_id)
    assert row.used_at is None and row.attempts == 0  # no code was compared


def test_a_right_code_within_the_limits_still_signs(django_capture_on_commit_callbacks):
    user = signer()
    client = _api(user)
    request_id = _request(client, django_capture_on_commit_callbacks).json()["id"]
    code = sms_code(user)
    assert _confirm(client, request_id, _wrong(code)).status_code == 400
    assert _confirm(client, request_id, code).status_code == 201


def test_the_signing_page_answers_429_with_retry_after_once_the_budget_is_spent(
    settings, django_capture_on_commit_callbacks
):
    """The citizen's signing page tells the same truth as the API: the status and when to come
    back, not a plain 400 for a code that was never compared."""
    settings.QYZMET_SIGN_WRONG_CODES_PER_WINDOW = 2
    user = signer()
    request_id = _request(_api(user), django_capture_on_commit_callbacks).json()["id"]
    page = Client(REMOTE_ADDR="10.2.0.1")
    page.force_login(user)
    url = f"/sign/{request_id}/"
    statuses = [page.post(url, {"code": _wrong(sms_code(user))}).status_code for _ in range(2)]
    assert statuses == [400, 400]
    refused = page.post(url, {"code": sms_code(user)})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= settings.QYZMET_SIGN_WRONG_CODE_WINDOW_SECONDS
    assert SignatureRequest.objects.get(pk=request_id).used_at is None

"""Signing in: password, one-time code, lockout, and the audit trail of every attempt."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from qyzmet.audit.models import AuditEntry
from qyzmet.core.problem import Problem
from qyzmet.identity.auth import user_for_token
from qyzmet.identity.models import OneTimeCode, Throttle
from qyzmet.identity.services import (
    api_token_issue,
    api_token_revoke,
    login_start,
    login_verify,
)
from qyzmet.identity.throttle import subject_key

from .factories import PASSWORD, UserFactory, next_iin
from .helpers import latest_code_for

pytestmark = pytest.mark.django_db


def security_actions(iin: str) -> list[str]:
    return list(
        AuditEntry.objects.filter(kind="security", subject_iin=iin)
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_success_with_code():
    user = UserFactory()
    challenge = login_start(iin=user.iin, password=PASSWORD, ip="10.0.0.1")
    assert challenge.delivery == "sms"
    assert challenge.expires_in == 300
    otp = OneTimeCode.objects.get(challenge=challenge.challenge)
    code = latest_code_for(user.phone)
    assert code not in otp.code_hash  # stored hashed only
    assert login_verify(challenge=challenge.challenge, code=code) == user
    assert security_actions(user.iin) == ["login.password_ok", "login.success"]


def test_sms_is_in_the_users_language():
    user = UserFactory(language="ru")
    login_start(iin=user.iin, password=PASSWORD)
    from qyzmet.notifications.selectors import sms_demo_messages

    text = sms_demo_messages(phone=user.phone, limit=1)[0].text
    assert "код" in text


def test_wrong_code_then_right_code():
    user = UserFactory()
    challenge = login_start(iin=user.iin, password=PASSWORD).challenge
    code = latest_code_for(user.phone)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    with pytest.raises(Problem) as exc:
        login_verify(challenge=challenge, code=wrong)
    assert (exc.value.status, exc.value.code) == (401, "invalid_code")
    assert OneTimeCode.objects.get(challenge=challenge).attempts == 1
    assert login_verify(challenge=challenge, code=code) == user


def test_code_works_once():
    user = UserFactory()
    challenge = login_start(iin=user.iin, password=PASSWORD).challenge
    code = latest_code_for(user.phone)
    login_verify(challenge=challenge, code=code)
    with pytest.raises(Problem) as exc:
        login_verify(challenge=challenge, code=code)
    assert exc.value.code == "invalid_code"


def test_expired_code_refused():
    user = UserFactory()
    challenge = login_start(iin=user.iin, password=PASSWORD).challenge
    code = latest_code_for(user.phone)
    OneTimeCode.objects.filter(challenge=challenge).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(Problem) as exc:
        login_verify(challenge=challenge, code=code)
    assert exc.value.code == "invalid_code"
    assert exc.value.extra["restart"] is True


def test_five_wrong_codes_burn_the_challenge_and_lock():
    """Wrong codes are failed sign-ins: the fifth locks the IIN, and the challenge is over."""
    user = UserFactory()
    challenge = login_start(iin=user.iin, password=PASSWORD).challenge
    code = latest_code_for(user.phone)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for _ in range(4):
        with pytest.raises(Problem) as exc:
            login_verify(challenge=challenge, code=wrong)
        assert exc.value.code == "invalid_code"
    with pytest.raises(Problem) as exc:
        login_verify(challenge=challenge, code=wrong)
    assert (exc.value.status, exc.value.code) == (423, "account_locked")
    with pytest.raises(Problem) as exc:
        login_verify(challenge=challenge, code=code)
    assert exc.value.code == "account_locked"
    # With the lockout out of the way, the challenge itself is still finished.
    Throttle.objects.filter(scope__startswith="login.fail").delete()
    with pytest.raises(Problem) as exc:
        login_verify(challenge=challenge, code=code)
    assert exc.value.code == "invalid_code" and exc.value.extra["restart"] is True


def test_a_new_code_supersedes_the_old_one():
    user = UserFactory()
    first = login_start(iin=user.iin, password=PASSWORD).challenge
    first_code = latest_code_for(user.phone)
    login_start(iin=user.iin, password=PASSWORD)
    with pytest.raises(Problem):
        login_verify(challenge=first, code=first_code)


def failures(iin: str, address: str = "") -> int:
    """The failed sign-ins counted for this IIN from this address (0 if none)."""
    row = Throttle.objects.filter(
        scope="login.fail.pair", key=subject_key("iin+address", iin, address)
    ).first()
    return row.count if row is not None else 0


def test_five_wrong_passwords_lock_the_account():
    user = UserFactory()
    for attempt in range(1, 5):
        with pytest.raises(Problem) as exc:
            login_start(iin=user.iin, password="wrong password")
        assert (exc.value.status, exc.value.code) == (401, "invalid_credentials")
        assert failures(user.iin) == attempt
    with pytest.raises(Problem) as exc:
        login_start(iin=user.iin, password="wrong password")
    assert (exc.value.status, exc.value.code) == (423, "account_locked")
    assert failures(user.iin) == 5
    until = dt.datetime.fromisoformat(exc.value.extra["locked_until"])
    assert until - timezone.now() > dt.timedelta(minutes=14)

    # Even the right password is refused while the lock lasts.
    with pytest.raises(Problem) as exc:
        login_start(iin=user.iin, password=PASSWORD)
    assert exc.value.code == "account_locked"
    assert "locked_until" in exc.value.extra

    actions = security_actions(user.iin)
    assert actions.count("login.failure") == 5
    assert actions.count("login.locked") == 1
    assert actions[-1] == "login.refused_locked"

    # When the lock has passed, the right password works and the code clears the count.
    Throttle.objects.filter(scope__startswith="login.fail").update(
        blocked_until=timezone.now() - dt.timedelta(seconds=1)
    )
    challenge = login_start(iin=user.iin, password=PASSWORD).challenge
    login_verify(challenge=challenge, code=latest_code_for(user.phone))
    assert failures(user.iin) == 0


def test_failures_cannot_be_rolled_back_by_a_caller():
    """The failure is recorded in a durable transaction: a caller cannot wrap login_start in a
    transaction whose rollback would erase the count (Django refuses the nesting)."""
    user = UserFactory()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        login_start(iin=user.iin, password="wrong password")
    with pytest.raises(Problem):
        login_start(iin=user.iin, password="wrong password")
    assert failures(user.iin) == 1
    assert security_actions(user.iin) == ["login.failure"]


def test_unknown_iin_gives_the_same_error_as_a_wrong_password():
    user = UserFactory()
    with pytest.raises(Problem) as wrong_password:
        login_start(iin=user.iin, password="wrong password")
    with pytest.raises(Problem) as unknown:
        login_start(iin=next_iin(dt.date(1970, 1, 2), "F"), password=PASSWORD)
    a, b = wrong_password.value, unknown.value
    assert (a.status, a.code, a.title, a.detail) == (b.status, b.code, b.title, b.detail)
    assert AuditEntry.objects.filter(
        kind="security", action="login.failure", data__reason="unknown_iin"
    ).exists()


def test_invalid_iin_names_the_field_and_the_reason():
    user = UserFactory()
    bad = user.iin[:11] + str((int(user.iin[11]) + 1) % 10)
    with pytest.raises(Problem) as exc:
        login_start(iin=bad, password=PASSWORD)
    assert (exc.value.status, exc.value.code) == (422, "invalid_iin")
    assert exc.value.errors[0].pointer == "/iin"
    assert "check" in exc.value.errors[0].detail or "бақылау" in exc.value.errors[0].detail
    with pytest.raises(Problem) as exc:
        login_start(iin="12345", password=PASSWORD)
    assert "12" in exc.value.errors[0].detail


def test_api_token_issue_and_revoke():
    user = UserFactory()
    raw = api_token_issue(user=user)
    assert user_for_token(raw) == user
    assert api_token_revoke(raw=raw) is True
    assert user_for_token(raw) is None
    assert api_token_revoke(raw=raw) is False

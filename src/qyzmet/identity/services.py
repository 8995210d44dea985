"""Signing in (IIN + password + a one-time code by SMS), lockout, API tokens, and creating
people, organisations and memberships.

Every sign-in attempt lands in the audit trail (kind `security`). Failed attempts are written in
their own committed transaction before the error is raised: a lockout that a rollback could undo
would not be a lockout. The limits themselves (code quotas, wrong-code budgets, the two-level
lockout) are counted in the database by `throttle.py`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qyzmet.audit.services import audit_record
from qyzmet.core.identifiers import InvalidIdentifier, bin_validate, iin_validate
from qyzmet.core.problem import FieldError, Problem
from qyzmet.notifications.channels import sms_code_send

from .auth import token_hash
from .client import client_address
from .models import ApiToken, Membership, OneTimeCode, Organisation, User
from .throttle import (
    code_issue_take,
    login_failure_count,
    login_failures_clear,
    login_locked_until,
    wrong_code_count,
    wrong_codes_check,
)

SECURITY = "security"
LOGIN_PURPOSE = "login"
OTP_MAX_ATTEMPTS = 5
OTP_DIGITS = 6

# The identifier module explains problems in English; these are the words people read.
IDENTIFIER_REASONS = {
    "IIN must be exactly 12 digits": gettext_lazy("An IIN is exactly 12 digits."),
    "IIN check digit is wrong": gettext_lazy(
        "This IIN is not valid: its last (check) digit is wrong. Check for a typing mistake."
    ),
    "IIN cannot be issued: its check digit does not exist": gettext_lazy(
        "This IIN is not valid: no such number can be issued. Check for a typing mistake."
    ),
    "IIN's 7th digit (century and sex) must be 1 to 6": gettext_lazy(
        "This IIN is not valid: its 7th digit must be from 1 to 6."
    ),
    "IIN does not start with a valid birth date (YYMMDD)": gettext_lazy(
        "This IIN is not valid: its first six digits must be a date of birth (YYMMDD)."
    ),
}


def identifier_reason(reason: str) -> str:
    """The translated explanation of an `InvalidIdentifier` reason (the reason itself if new)."""
    message = IDENTIFIER_REASONS.get(reason)
    return str(message) if message is not None else reason


@dataclass(frozen=True)
class Challenge:
    """What the caller needs for the second step: the opaque challenge and when it expires."""

    challenge: str
    expires_at: dt.datetime
    expires_in: int
    delivery: str = "sms"
    phone_hint: str = ""


def _invalid_credentials() -> Problem:
    return Problem(
        401,
        "invalid_credentials",
        _("Sign-in failed"),
        _("The IIN or the password is wrong."),
    )


def _locked(until: dt.datetime) -> Problem:
    """The lockout answer: the same bytes for an IIN with an account and one without."""
    local = timezone.localtime(until)
    return Problem(
        423,
        "account_locked",
        _("Account temporarily locked"),
        _("Too many failed sign-in attempts. You can try again after %(time)s on %(date)s.")
        % {"time": local.strftime("%H:%M"), "date": local.strftime("%d.%m.%Y")},
        extra={"locked_until": until.isoformat()},
    )


def _invalid_code(detail: str | None = None, *, restart: bool = False) -> Problem:
    """`restart` tells the client this challenge is finished: sign in again for a new code."""
    return Problem(
        401,
        "invalid_code",
        _("The code is not valid"),
        detail or _("The code is wrong. Check the SMS and type the 6 digits again."),
        extra={"restart": restart},
    )


def otp_hash(*, challenge: str, code: str) -> str:
    """Codes are stored only as a keyed hash bound to their challenge."""
    message = f"{challenge}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _phone_hint(phone: str) -> str:
    digits = [c for c in phone if c.isdigit()]
    return "".join(digits[-2:]) if len(digits) >= 2 else ""


def _record_failure(
    *, iin: str, user: User | None, ip: str, now: dt.datetime, reason: str
) -> dt.datetime | None:
    """Count one failed sign-in for this IIN (account or not) and lock at the limits. Runs in
    its own durable transaction so it commits even though the caller raises right after."""
    with transaction.atomic(durable=True):
        locked_until = login_failure_count(iin=iin, address=ip, now=now)
        _audit_failure(iin=iin, user=user, ip=ip, reason=reason, locked_until=locked_until)
    return locked_until


def _audit_failure(
    *, iin: str, user: User | None, ip: str, reason: str, locked_until: dt.datetime | None
) -> None:
    object_type, object_id = ("user", user.pk) if user is not None else ("", "")
    audit_record(
        actor=None,
        kind=SECURITY,
        action="login.failure",
        subject_iin=iin,
        data={"reason": reason, "ip": ip},
        object_type=object_type,
        object_id=object_id,
    )
    if locked_until is not None:
        audit_record(
            actor=None,
            kind=SECURITY,
            action="login.locked",
            subject_iin=iin,
            data={"ip": ip, "until": locked_until.isoformat()},
            object_type=object_type,
            object_id=object_id,
        )


def login_start(*, iin: str, password: str, ip: str = "") -> Challenge:
    """First step of signing in: check the IIN and password, then text a one-time code.

    An unknown IIN and a wrong password give the same error, cost the same hashing time and
    count toward the same lockout (kept per IIN value, account or not), so neither the 401 nor
    the 423 reveals who has an account. A right password past the code quota gets 429 and no
    SMS. `ip` defaults to the address of the request being served.
    """
    try:
        iin = iin_validate(iin)
    except InvalidIdentifier as exc:
        reason = identifier_reason(exc.reason)
        raise Problem(
            422,
            "invalid_iin",
            _("The IIN is not valid"),
            reason,
            errors=[FieldError("/iin", reason)],
        ) from exc
    ip = ip or client_address()
    now = timezone.now()
    locked_until = login_locked_until(iin=iin, address=ip, now=now)
    if locked_until is not None:
        with transaction.atomic(durable=True):
            audit_record(
                actor=None,
                kind=SECURITY,
                action="login.refused_locked",
                subject_iin=iin,
                data={"ip": ip, "until": locked_until.isoformat()},
            )
        raise _locked(locked_until)

    user = User.objects.filter(iin=iin).first()
    if user is None or not user.is_active:
        User().set_password(password)  # the same Argon2 work as a real check
        reason = "unknown_iin" if user is None else "inactive"
        locked_until = _record_failure(iin=iin, user=None, ip=ip, now=now, reason=reason)
        raise _locked(locked_until) if locked_until is not None else _invalid_credentials()

    if not user.check_password(password):
        locked_until = _record_failure(iin=iin, user=user, ip=ip, now=now, reason="wrong_password")
        raise _locked(locked_until) if locked_until is not None else _invalid_credentials()

    ttl = int(settings.QYZMET_OTP_TTL_SECONDS)
    code = f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"
    challenge = secrets.token_urlsafe(24)
    expires_at = now + dt.timedelta(seconds=ttl)
    try:
        with transaction.atomic():
            code_issue_take(purpose=LOGIN_PURPOSE, iin=iin, address=ip, now=now)
            # An earlier code still waiting is superseded: only the newest one works.
            OneTimeCode.objects.filter(
                user=user, purpose=LOGIN_PURPOSE, used_at__isnull=True, expires_at__gt=now
            ).update(expires_at=now)
            OneTimeCode.objects.create(
                user=user,
                purpose=LOGIN_PURPOSE,
                challenge=challenge,
                code_hash=otp_hash(challenge=challenge, code=code),
                expires_at=expires_at,
            )
            audit_record(
                actor=user,
                kind=SECURITY,
                action="login.password_ok",
                object_type="user",
                object_id=user.pk,
                subject_iin=iin,
                data={"ip": ip, "delivery": "sms"},
            )
            with translation.override(user.language or "kk"):
                text = _(
                    "Qyzmet: your sign-in code is %(code)s. It is valid for %(minutes)s minutes. "
                    "Do not tell it to anyone."
                ) % {"code": code, "minutes": max(1, ttl // 60)}
            sms_code_send(phone=user.phone, text=text, code=code)
    except Problem as problem:
        if problem.status == 429:
            with transaction.atomic():
                audit_record(
                    actor=user,
                    kind=SECURITY,
                    action="login.code_throttled",
                    object_type="user",
                    object_id=user.pk,
                    subject_iin=iin,
                    data={"ip": ip, "retry_after": problem.extra.get("retry_after")},
                )
        raise
    return Challenge(
        challenge=challenge,
        expires_at=expires_at,
        expires_in=ttl,
        phone_hint=_phone_hint(user.phone),
    )


def _code_wrong(*, otp: OneTimeCode, ip: str, now: dt.datetime) -> Problem:
    """A wrong code: it uses a try of this challenge, a try of the IIN's and the address's
    wrong-code budgets (across challenges), and counts as a failed sign-in toward the lockout."""
    iin = otp.user.iin
    OneTimeCode.objects.filter(pk=otp.pk).update(attempts=F("attempts") + 1)
    wrong_code_count(purpose=LOGIN_PURPOSE, iin=iin, address=ip, now=now)
    locked_until = login_failure_count(iin=iin, address=ip, now=now)
    audit_record(
        actor=None,
        kind=SECURITY,
        action="login.code_wrong",
        object_type="user",
        object_id=otp.user_id,
        subject_iin=iin,
        data={"attempt": otp.attempts + 1, "ip": ip},
    )
    if locked_until is not None:
        # The lock ends this challenge too: no more tries on it.
        OneTimeCode.objects.filter(pk=otp.pk).update(expires_at=now)
        audit_record(
            actor=None,
            kind=SECURITY,
            action="login.locked",
            object_type="user",
            object_id=otp.user_id,
            subject_iin=iin,
            data={"ip": ip, "until": locked_until.isoformat()},
        )
        return _locked(locked_until)
    if otp.attempts + 1 >= OTP_MAX_ATTEMPTS:
        return _invalid_code(
            _("The code is wrong and no tries are left. Start again."), restart=True
        )
    return _invalid_code()


def login_verify(*, challenge: str, code: str, ip: str = "") -> User:
    """Second step: the code from the SMS. A code works once, before it expires; a challenge
    allows at most OTP_MAX_ATTEMPTS tries, and the IIN and the address have a wrong-code budget
    across challenges (429 when spent). Wrong tries are committed before the error."""
    ip = ip or client_address()
    now = timezone.now()
    code = (code or "").strip().replace(" ", "")
    problem: Problem | None = None
    with transaction.atomic(durable=True):
        otp = (
            OneTimeCode.objects.select_for_update()
            .select_related("user")
            .filter(challenge=challenge or "-", purpose=LOGIN_PURPOSE)
            .first()
        )
        if otp is None:
            problem = _invalid_code(_("This sign-in has expired. Start again."), restart=True)
        elif (locked_until := login_locked_until(iin=otp.user.iin, address=ip, now=now)):
            problem = _locked(locked_until)
        elif otp.used_at is not None or otp.expires_at <= now:
            problem = _invalid_code(
                _("This code has expired or was already used. Start again."), restart=True
            )
        elif otp.attempts >= OTP_MAX_ATTEMPTS:
            problem = _invalid_code(_("Too many wrong codes. Start again."), restart=True)
        elif not otp.user.is_active:
            problem = _invalid_code(restart=True)
        else:
            try:
                wrong_codes_check(purpose=LOGIN_PURPOSE, iin=otp.user.iin, address=ip, now=now)
            except Problem as refused:
                problem = refused
            else:
                if not hmac.compare_digest(
                    otp.code_hash, otp_hash(challenge=challenge, code=code)
                ):
                    problem = _code_wrong(otp=otp, ip=ip, now=now)
                else:
                    otp.used_at = now
                    otp.attempts += 1
                    otp.save(update_fields=["used_at", "attempts"])
                    login_failures_clear(iin=otp.user.iin, address=ip)
                    audit_record(
                        actor=otp.user,
                        kind=SECURITY,
                        action="login.success",
                        object_type="user",
                        object_id=otp.user_id,
                        subject_iin=otp.user.iin,
                    )
    if problem is not None:
        raise problem
    assert otp is not None
    return otp.user


@transaction.atomic
def api_token_issue(*, user: User) -> str:
    """A new bearer token for the API; only its hash is kept, the raw value is shown once."""
    raw = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        key_hash=token_hash(raw),
        expires_at=timezone.now() + dt.timedelta(seconds=settings.QYZMET_API_TOKEN_TTL_SECONDS),
    )
    audit_record(
        actor=user,
        kind=SECURITY,
        action="api_token.issued",
        object_type="user",
        object_id=user.pk,
        subject_iin=user.iin,
    )
    return raw


@transaction.atomic
def api_token_revoke(*, raw: str) -> bool:
    """Revoke a token (sign out of the API). Returns False if it was unknown or already revoked."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=token.user,
        kind=SECURITY,
        action="api_token.revoked",
        object_type="user",
        object_id=token.user_id,
        subject_iin=token.user.iin,
    )
    return True


@transaction.atomic
def user_create(
    *,
    actor: Any | None = None,
    iin: str,
    password: str | None,
    full_name: str = "",
    phone: str = "",
    email: str = "",
    language: str = "kk",
    is_staff: bool = False,
) -> User:
    """Create a person's account (seeding, tests, registration). The IIN must be valid."""
    iin = iin_validate(iin)
    user = User.objects.create_user(
        iin,
        password,
        full_name=full_name,
        phone=phone,
        email=email,
        language=language,
        is_staff=is_staff,
    )
    audit_record(
        actor=actor,
        kind="change",
        action="user.created",
        object_type="user",
        object_id=user.pk,
        subject_iin=iin,
    )
    return user


@transaction.atomic
def organisation_upsert(
    *,
    actor: Any | None = None,
    code: str,
    bin: str,
    names: dict[str, str],
    kind: str = Organisation.Kind.AGENCY,
) -> Organisation:
    """Create or update an organisation by its code (seeding agencies from agencies.yaml)."""
    bin_validate(bin)
    org, created = Organisation.objects.update_or_create(
        code=code,
        defaults={
            "bin": bin,
            "kind": kind,
            "name_kk": names.get("kk", ""),
            "name_ru": names.get("ru", ""),
            "name_en": names.get("en", ""),
        },
    )
    audit_record(
        actor=actor,
        kind="change",
        action="organisation.created" if created else "organisation.updated",
        object_type="organisation",
        object_id=code,
    )
    return org


@transaction.atomic
def membership_grant(
    *, actor: Any | None = None, user: User, organisation_code: str, role: str
) -> bool:
    """Give a person a role in an organisation; returns False if they already had it."""
    org = Organisation.objects.get(code=organisation_code)
    _, created = Membership.objects.get_or_create(user=user, organisation=org, role=role)
    if created:
        audit_record(
            actor=actor,
            kind="change",
            action="membership.granted",
            object_type="user",
            object_id=user.pk,
            subject_iin=user.iin,
            data={"organisation": organisation_code, "role": role},
        )
    if hasattr(user, "_qyzmet_memberships"):
        del user._qyzmet_memberships
    return created

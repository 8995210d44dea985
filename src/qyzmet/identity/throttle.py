"""Rate limits and the sign-in lockout, counted in the database so that every web worker sees
the same numbers.

Three things are counted, each per IIN *and* per client address:

- one-time codes issued (sign-in challenges, signing codes): a quota per window; past it the
  caller gets 429 with Retry-After and no SMS is sent;
- wrong one-time codes, across all challenges: past the budget no code is even compared;
- failed sign-ins (wrong passwords and wrong sign-in codes): the lockout (423).

The lockout is kept per IIN value, whether or not an account has that IIN, so a locked unknown
IIN answers exactly like a locked account. To keep it from being a denial of service against a
real person, it has two levels (ASVS 2.2.1: soft lockouts, limits per address, at most 100
failures per hour per account):

- per IIN and client address (QYZMET_LOGIN_MAX_FAILURES, 5): someone guessing from one place
  locks only themselves out;
- per IIN from all addresses (QYZMET_LOGIN_MAX_FAILURES_PER_IIN, 20 per hour): a guesser who
  spreads over many addresses locks the IIN for everyone for QYZMET_LOGIN_LOCKOUT_MINUTES — the
  price of bounding guesses at about 24 an hour; the person can still sign in from their usual
  address as soon as the short lock ends, and every lock is in the security audit.

Subjects are stored as an HMAC of the IIN/address (`Throttle.key`), never in clear.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qyzmet.core.problem import Problem

from .models import Throttle

LOGIN = "login"
SIGN = "sign"


@dataclass(frozen=True)
class Rule:
    """`limit` events per `window` seconds. With `lock` (seconds) the rule is a lockout: reaching
    the limit refuses for `lock` seconds; without it, the subject is refused until the window
    ends."""

    scope: str
    limit: int
    window: int
    lock: int | None = None


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def subject_key(kind: str, *parts: str) -> str:
    """A keyed hash of what is counted: equal inputs give equal keys, the database learns
    nothing about the IIN or address behind them."""
    message = f"throttle:{kind}:" + "\x1f".join(parts)
    return hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def _retry_after(*, rule: Rule, key: str, now: dt.datetime) -> int:
    """Seconds until the subject is allowed again under `rule`; 0 when allowed now."""
    row = (
        Throttle.objects.filter(scope=rule.scope, key=key)
        .values("window_start", "count", "blocked_until")
        .first()
    )
    if row is None:
        return 0
    if rule.lock is not None:
        until = row["blocked_until"]
    elif row["count"] >= rule.limit:
        until = row["window_start"] + dt.timedelta(seconds=rule.window)
    else:
        until = None
    if until is None or until <= now:
        return 0
    return max(1, math.ceil((until - now).total_seconds()))


def _bump(*, rule: Rule, key: str, now: dt.datetime, below_limit: bool) -> bool:
    """Count one event; with `below_limit`, only if the window still has room. Each step is a
    single conditional UPDATE (or an INSERT the unique constraint arbitrates), so two workers
    can never both take the last slot."""
    since = now - dt.timedelta(seconds=rule.window)
    current = Throttle.objects.filter(scope=rule.scope, key=key, window_start__gt=since)
    if below_limit:
        current = current.filter(count__lt=rule.limit)
    if current.update(count=F("count") + 1):
        return True
    # The window is over: start a new one (a lock still running is left as it is).
    if Throttle.objects.filter(scope=rule.scope, key=key, window_start__lte=since).update(
        window_start=now, count=1
    ):
        return True
    try:
        with transaction.atomic():
            Throttle.objects.create(scope=rule.scope, key=key, window_start=now, count=1)
        return True
    except IntegrityError:
        # Another worker created the row (or the window is full): one more conditional try.
        return bool(current.update(count=F("count") + 1))


def _count(*, rule: Rule, key: str, now: dt.datetime) -> dt.datetime | None:
    """Count one failure under a lockout rule; returns the lock's end when this one locks."""
    assert rule.lock is not None
    _bump(rule=rule, key=key, now=now, below_limit=False)
    count = Throttle.objects.filter(scope=rule.scope, key=key).values_list("count", flat=True)
    if (count.first() or 0) < rule.limit:
        return None
    until = now + dt.timedelta(seconds=rule.lock)
    Throttle.objects.filter(scope=rule.scope, key=key).update(blocked_until=until)
    return until


# --- the sign-in lockout -------------------------------------------------------------------


def _lock_rules() -> list[tuple[Rule, str]]:
    lock = _setting("QYZMET_LOGIN_LOCKOUT_MINUTES", 15) * 60
    window = _setting("QYZMET_LOGIN_FAILURE_WINDOW_SECONDS", 3600)
    return [
        (Rule("login.fail.pair", _setting("QYZMET_LOGIN_MAX_FAILURES", 5), window, lock), "pair"),
        (Rule("login.fail.iin", _setting("QYZMET_LOGIN_MAX_FAILURES_PER_IIN", 20), window, lock),
         "iin"),
    ]  # fmt: skip


def _lock_key(which: str, *, iin: str, address: str) -> str:
    return subject_key("iin+address", iin, address) if which == "pair" else subject_key("iin", iin)


def login_locked_until(*, iin: str, address: str, now: dt.datetime) -> dt.datetime | None:
    """When the lock on signing in with this IIN from this address ends; None if not locked.
    The same answer whether or not an account has this IIN."""
    wait = max(
        _retry_after(rule=rule, key=_lock_key(which, iin=iin, address=address), now=now)
        for rule, which in _lock_rules()
    )
    return now + dt.timedelta(seconds=wait) if wait else None


def login_failure_count(*, iin: str, address: str, now: dt.datetime) -> dt.datetime | None:
    """Count one failed sign-in (wrong password, unknown IIN, wrong sign-in code) at both
    levels. Returns when the resulting lock ends, or None if this failure did not lock. The
    caller's transaction must commit even though it then refuses (see `login_start`)."""
    ends = [
        _count(rule=rule, key=_lock_key(which, iin=iin, address=address), now=now)
        for rule, which in _lock_rules()
    ]
    locked = [end for end in ends if end is not None]
    return max(locked) if locked else None


def login_failures_clear(*, iin: str, address: str) -> None:
    """A successful sign-in forgives this address's failures for the IIN. The IIN-wide count
    stays: a genuine sign-in must not reset the budget of someone guessing elsewhere."""
    Throttle.objects.filter(
        scope="login.fail.pair", key=_lock_key("pair", iin=iin, address=address)
    ).delete()


# --- one-time codes: issued and wrong, per IIN and per address ---------------------------------


def _code_rules(purpose: str, what: str) -> list[tuple[Rule, str]]:
    prefix = "OTP" if purpose == LOGIN else "SIGN"
    if what == "issue":
        window = _setting(f"QYZMET_{prefix}_CODE_WINDOW_SECONDS", 900)
        per_iin = _setting(f"QYZMET_{prefix}_CODES_PER_WINDOW", 3)
        per_address = _setting(f"QYZMET_{prefix}_CODES_PER_ADDRESS", 20)
    else:
        window = _setting(f"QYZMET_{prefix}_WRONG_CODE_WINDOW_SECONDS", 3600)
        per_iin = _setting(f"QYZMET_{prefix}_WRONG_CODES_PER_WINDOW", 10)
        per_address = _setting(f"QYZMET_{prefix}_WRONG_CODES_PER_ADDRESS", 50)
    return [
        (Rule(f"{purpose}.{what}.iin", per_iin, window), "iin"),
        (Rule(f"{purpose}.{what}.address", per_address, window), "address"),
    ]


def _code_keys(*, iin: str, address: str) -> dict[str, str | None]:
    # Without an address (a service called outside a request) only the IIN is counted.
    return {
        "iin": subject_key("iin", iin),
        "address": subject_key("address", address) if address else None,
    }


def _too_many(*, code: str, detail: str, wait: int) -> Problem:
    minutes = max(1, math.ceil(wait / 60))
    when = ngettext(
        "Try again in %(minutes)d minute.", "Try again in %(minutes)d minutes.", minutes
    ) % {"minutes": minutes}
    return Problem(
        429,
        code,
        _("Too many attempts"),
        f"{detail} {when}",
        extra={"retry_after": wait},
        headers={"Retry-After": str(wait)},
    )


def codes_issued_problem(wait: int) -> Problem:
    return _too_many(
        code="too_many_codes",
        detail=_("Too many one-time codes were requested, so no new SMS was sent."),
        wait=wait,
    )


def wrong_codes_problem(wait: int) -> Problem:
    return _too_many(
        code="too_many_wrong_codes",
        detail=_("Too many wrong one-time codes were typed, so codes are not checked for now."),
        wait=wait,
    )


def code_issue_take(*, purpose: str, iin: str, address: str, now: dt.datetime) -> None:
    """Take one slot of the one-time-code quota (IIN and address) before an SMS is sent; raise
    a 429 problem with Retry-After instead when a quota is used up (nothing is sent then)."""
    keys = _code_keys(iin=iin, address=address)
    rules = [(rule, key) for rule, which in _code_rules(purpose, "issue") if (key := keys[which])]
    wait = max(_retry_after(rule=rule, key=key, now=now) for rule, key in rules)
    if wait:
        raise codes_issued_problem(wait)
    for rule, key in rules:
        if not _bump(rule=rule, key=key, now=now, below_limit=True):  # lost a race for the slot
            raise codes_issued_problem(max(1, _retry_after(rule=rule, key=key, now=now)))


def wrong_codes_check(*, purpose: str, iin: str, address: str, now: dt.datetime) -> None:
    """Refuse (429) to compare any code while the wrong-code budget of the IIN or the address
    is spent: guessing across fresh challenges gains nothing."""
    keys = _code_keys(iin=iin, address=address)
    wait = max(
        _retry_after(rule=rule, key=key, now=now)
        for rule, which in _code_rules(purpose, "wrong")
        if (key := keys[which])
    )
    if wait:
        raise wrong_codes_problem(wait)


def wrong_code_count(*, purpose: str, iin: str, address: str, now: dt.datetime) -> None:
    """Count one wrong code against the IIN's and the address's budgets."""
    keys = _code_keys(iin=iin, address=address)
    for rule, which in _code_rules(purpose, "wrong"):
        key = keys[which]
        if key:
            _bump(rule=rule, key=key, now=now, below_limit=False)


# --- housekeeping ------------------------------------------------------------------------------


def throttle_sweep(*, now: dt.datetime) -> int:
    """Delete counters that no longer refuse anything: their window is over and any lock has
    ended. Keeps the table as small as the current traffic (a fuzzer trying many IINs leaves
    rows behind). Safe to re-run; returns how many rows went."""
    longest = max(
        [rule.window for rule, _ in _lock_rules()]
        + [rule.window for p in (LOGIN, SIGN) for w in ("issue", "wrong")
           for rule, _ in _code_rules(p, w)]
    )  # fmt: skip
    stale = Throttle.objects.filter(
        window_start__lte=now - dt.timedelta(seconds=longest)
    ).exclude(blocked_until__gt=now)
    deleted, _ = stale.delete()
    return deleted

"""The brute-force patterns of the outside security test, replayed over HTTP against the real
database: farming sign-in codes (many challenges, guesses across them), and a lockout that must
not tell who has an account nor let a fuzzer lock a real person out."""

from __future__ import annotations

import datetime as dt
import math
import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection
from django.test import Client

from qyzmet.audit.models import AuditEntry
from qyzmet.identity.models import OneTimeCode
from qyzmet.notifications.models import Notification

from .factories import PASSWORD, UserFactory, next_iin
from .helpers import latest_code_for

LOGIN = "/api/v1/auth/login"
VERIFY = "/api/v1/auth/verify"


def api(address: str = "10.1.0.1", **headers) -> Client:
    return Client(REMOTE_ADDR=address, **headers)


def post(client: Client, path: str, body: dict):
    return client.post(path, body, content_type="application/json")


def sms_count(phone: str) -> int:
    return Notification.objects.filter(channel="sms", recipient=phone).count()


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1000000:06d}"


def assert_throttled(response, code: str, window: int) -> int:
    """A 429 problem+json that says when to come back, in the header and the body."""
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/problem+json"
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= window
    body = response.json()
    assert body["code"] == code and body["retry_after"] == retry_after
    assert str(math.ceil(retry_after / 60)) in body["detail"]  # the wait, in words
    return retry_after


@pytest.mark.django_db(transaction=True)
def test_thirty_challenges_in_a_row_over_real_http_send_three_sms(live_server, settings):
    """The reported farming: 30 challenges in a row. Three SMS go out (the quota of the IIN in
    15 minutes); the other 27 are 429 with Retry-After and send nothing."""
    user = UserFactory()
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        answers = [
            client.post(LOGIN, json={"iin": user.iin, "password": PASSWORD}) for _ in range(30)
        ]
    assert [a.status_code for a in answers[:3]] == [202, 202, 202]
    assert {a.status_code for a in answers[3:]} == {429}
    for refused in answers[3:]:
        assert refused.headers["content-type"] == "application/problem+json"
        assert 0 < int(refused.headers["retry-after"]) <= settings.QYZMET_OTP_CODE_WINDOW_SECONDS
        assert refused.json()["code"] == "too_many_codes"
    assert sms_count(user.phone) == 3
    assert OneTimeCode.objects.filter(user=user).count() == 3


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the SQLite test database is one in-memory connection shared by the server threads",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_challenges_never_pass_the_quota(live_server):
    """Twelve requests at once, each on its own server thread and database connection: the
    conditional UPDATE lets exactly three through, as several web workers would."""
    user = UserFactory()

    def start(_: int) -> int:
        with httpx.Client(base_url=live_server.url, timeout=60) as client:
            return client.post(LOGIN, json={"iin": user.iin, "password": PASSWORD}).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(start, range(12)))
    assert statuses.count(202) == 3, statuses
    assert set(statuses) <= {202, 429, 500} and 500 not in statuses, statuses
    assert sms_count(user.phone) == 3


@pytest.mark.django_db
def test_150_guesses_across_challenges_are_locked_after_five(settings):
    """Guessing across fresh challenges: wrong codes count toward the lockout, so after five
    wrong codes the IIN is locked (423) and no further challenge, SMS or code check happens."""
    user = UserFactory()
    client = api()
    statuses: list[int] = []
    challenge = ""
    for guess in range(150):
        if guess % 5 == 0:
            started = post(client, LOGIN, {"iin": user.iin, "password": PASSWORD})
            statuses.append(started.status_code)
            if started.status_code == 202:
                challenge = started.json()["challenge"]
        response = post(client, VERIFY, {"challenge": challenge, "code": f"{guess:06d}"})
        statuses.append(response.status_code)
    codes_checked = AuditEntry.objects.filter(
        kind="security", action="login.code_wrong", subject_iin=user.iin
    ).count()
    assert codes_checked == settings.QYZMET_LOGIN_MAX_FAILURES  # the fifth locks (423)
    assert statuses.count(401) == settings.QYZMET_LOGIN_MAX_FAILURES - 1
    assert statuses.count(202) == 1  # the only SMS: later starts are refused while locked
    assert set(statuses[statuses.index(423):]) == {423}
    assert statuses[-1] == 423
    assert sms_count(user.phone) == 1


@pytest.mark.django_db
def test_wrong_codes_across_challenges_have_a_budget_even_without_the_lockout(settings):
    """With the lockout set very high, the wrong-code budget (10 an hour per IIN) still holds
    across challenges: past it no code is compared, not even the right one."""
    settings.QYZMET_LOGIN_MAX_FAILURES = settings.QYZMET_LOGIN_MAX_FAILURES_PER_IIN = 1000
    settings.QYZMET_OTP_CODES_PER_WINDOW = 100
    user = UserFactory()
    client = api()
    wrong_answers: list[int] = []
    budget = settings.QYZMET_OTP_WRONG_CODES_PER_WINDOW
    while len(wrong_answers) < budget:
        challenge = post(client, LOGIN, {"iin": user.iin, "password": PASSWORD}).json()
        code = latest_code_for(user.phone)
        for _ in range(min(3, budget - len(wrong_answers))):  # never a challenge's 5 tries
            guess = {"challenge": challenge["challenge"], "code": wrong(code)}
            wrong_answers.append(post(client, VERIFY, guess).status_code)
    assert set(wrong_answers) == {401}
    challenge = post(client, LOGIN, {"iin": user.iin, "password": PASSWORD}).json()["challenge"]
    refused = post(client, VERIFY, {"challenge": challenge, "code": latest_code_for(user.phone)})
    assert_throttled(refused, "too_many_wrong_codes", settings.QYZMET_OTP_WRONG_CODE_WINDOW_SECONDS)
    # The refusal did not use a try of the challenge: no code was compared.
    assert OneTimeCode.objects.get(challenge=challenge).attempts == 0


@pytest.mark.django_db
def test_one_address_spraying_many_accounts_is_throttled_per_address(settings):
    """Challenges are counted per client address too: one address cannot farm codes by moving
    from account to account. Another address is not affected."""
    settings.QYZMET_OTP_CODES_PER_ADDRESS = 4
    people = [UserFactory() for _ in range(6)]
    attacker = api("10.66.0.1")
    statuses = [
        post(attacker, LOGIN, {"iin": p.iin, "password": PASSWORD}).status_code for p in people
    ]
    assert statuses == [202] * 4 + [429] * 2
    assert [sms_count(p.phone) for p in people] == [1, 1, 1, 1, 0, 0]
    elsewhere = post(api("10.1.2.3"), LOGIN, {"iin": people[5].iin, "password": PASSWORD})
    assert elsewhere.status_code == 202


def _normalised(response) -> tuple:
    """Status, content type, the headers a client sees and the body, with the clock's digits
    (the lock's end) blanked: what is left must be byte-identical for any two IINs."""
    body = re.sub(rb"\d", b"0", response.content)
    headers = sorted(
        (k.lower(), re.sub(r"\d", "0", v))
        for k, v in response.items()
        if k.lower() not in {"date", "content-length", "vary"}
    )
    return response.status_code, headers, body


@pytest.mark.django_db
def test_unknown_and_registered_iins_answer_the_same_all_the_way_to_the_lock(settings):
    known = UserFactory()
    unknown_iin = next_iin(dt.date(1981, 3, 4), "M")
    assert unknown_iin != known.iin
    known_answers, unknown_answers = [], []
    for _ in range(settings.QYZMET_LOGIN_MAX_FAILURES + 2):
        known_answers.append(post(api(), LOGIN, {"iin": known.iin, "password": "not it 123"}))
        unknown_answers.append(post(api(), LOGIN, {"iin": unknown_iin, "password": "not it 123"}))
    statuses = [r.status_code for r in known_answers]
    assert statuses == [401] * 4 + [423] * 3
    assert [r.status_code for r in unknown_answers] == statuses
    for a, b in zip(known_answers, unknown_answers, strict=True):
        assert _normalised(a) == _normalised(b)
    assert known_answers[-1].json()["code"] == "account_locked"
    # Even the right password is refused for the locked registered IIN, exactly as for the other.
    locked = post(api(), LOGIN, {"iin": known.iin, "password": PASSWORD})
    assert _normalised(locked) == _normalised(unknown_answers[-1])
    assert sms_count(known.phone) == 0


@pytest.mark.django_db
def test_a_fuzzer_locks_itself_out_not_the_person(settings):
    """Five wrong passwords from one address lock that address out for this IIN; the person
    signing in from their own address is not affected (ASVS 2.2.1 soft lockout)."""
    user = UserFactory()
    fuzzer = api("203.0.113.9")
    for _ in range(settings.QYZMET_LOGIN_MAX_FAILURES):
        last = post(fuzzer, LOGIN, {"iin": user.iin, "password": "guess guess"})
    assert last.status_code == 423
    assert post(fuzzer, LOGIN, {"iin": user.iin, "password": PASSWORD}).status_code == 423
    person = api("10.1.0.7")
    started = post(person, LOGIN, {"iin": user.iin, "password": PASSWORD})
    assert started.status_code == 202
    answer = {"challenge": started.json()["challenge"], "code": latest_code_for(user.phone)}
    verified = post(person, VERIFY, answer)
    assert verified.status_code == 200


@pytest.mark.django_db
def test_guessing_spread_over_many_addresses_hits_the_per_iin_limit(settings):
    """The other side of the trade-off: failures from all addresses together are bounded too
    (20 an hour by default), then the IIN is locked for a short while for everyone."""
    user = UserFactory()
    limit = settings.QYZMET_LOGIN_MAX_FAILURES_PER_IIN
    statuses = [
        post(api(f"198.51.100.{n}"), LOGIN, {"iin": user.iin, "password": "guess"}).status_code
        for n in range(limit)
    ]
    assert statuses == [401] * (limit - 1) + [423]
    assert post(api("10.1.0.7"), LOGIN, {"iin": user.iin, "password": PASSWORD}).status_code == 423


@pytest.mark.django_db
def test_x_forwarded_for_is_ignored_unless_proxies_are_trusted(settings):
    """An attacker cannot pose as many addresses by writing the header: by default only
    REMOTE_ADDR counts. Behind one trusted proxy, the address that proxy saw counts."""
    settings.QYZMET_OTP_CODES_PER_ADDRESS = 2
    people = [UserFactory() for _ in range(3)]
    statuses = [
        post(
            api("10.9.9.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"),
            LOGIN,
            {"iin": p.iin, "password": PASSWORD},
        ).status_code
        for n, p in enumerate(people)
    ]
    assert statuses == [202, 202, 429]

    settings.QYZMET_TRUSTED_PROXY_COUNT = 1
    behind_proxy = api("10.9.9.9", HTTP_X_FORWARDED_FOR="spoofed, 192.0.2.77")
    started = post(behind_proxy, LOGIN, {"iin": people[2].iin, "password": PASSWORD})
    assert started.status_code == 202


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Try again in 15 minutes."),
        ("ru", "Повторите попытку через 15 минут."),
        ("kk", "15 минуттан кейін қайталап көріңіз."),
    ],
)
@pytest.mark.django_db
def test_the_login_page_says_how_long_to_wait(language, words, settings):
    user = UserFactory()
    client = Client(REMOTE_ADDR="10.1.0.1", HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["django_language"] = language
    for _ in range(settings.QYZMET_OTP_CODES_PER_WINDOW):
        assert client.post("/login/", {"iin": user.iin, "password": PASSWORD}).status_code == 302
    response = client.post("/login/", {"iin": user.iin, "password": PASSWORD})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= settings.QYZMET_OTP_CODE_WINDOW_SECONDS
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert words in html
    assert sms_count(user.phone) == settings.QYZMET_OTP_CODES_PER_WINDOW


@pytest.mark.django_db
def test_the_code_page_refuses_with_the_wait_once_the_budget_is_spent(settings):
    settings.QYZMET_LOGIN_MAX_FAILURES = settings.QYZMET_LOGIN_MAX_FAILURES_PER_IIN = 1000
    settings.QYZMET_OTP_WRONG_CODES_PER_WINDOW = 2
    user = UserFactory()
    client = Client(REMOTE_ADDR="10.1.0.1", HTTP_ACCEPT_LANGUAGE="ru")
    client.cookies["django_language"] = "ru"
    client.post("/login/", {"iin": user.iin, "password": PASSWORD})
    code = latest_code_for(user.phone)
    for _ in range(2):
        assert client.post("/login/code/", {"code": wrong(code)}).status_code == 400
    response = client.post("/login/code/", {"code": code})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "Повторите попытку через" in html
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_sweep_drops_only_counters_that_refuse_nothing(settings):
    """A fuzzer leaves a counter per IIN it tried; the hourly sweep removes them once their
    window is over, but never a lock that still runs."""
    from django.utils import timezone

    from qyzmet.identity.models import Throttle
    from qyzmet.identity.tasks import throttle_sweep_task

    user = UserFactory()
    for _ in range(settings.QYZMET_LOGIN_MAX_FAILURES):
        post(api("203.0.113.5"), LOGIN, {"iin": user.iin, "password": "guess"})
    post(api("203.0.113.5"), LOGIN, {"iin": next_iin(dt.date(1990, 1, 1), "M"), "password": "x"})
    hour_ago = timezone.now() - dt.timedelta(seconds=settings.QYZMET_OTP_WRONG_CODE_WINDOW_SECONDS)
    Throttle.objects.update(window_start=hour_ago)
    # Gone: the other IIN's two counters and this IIN's all-address count (below its limit).
    assert throttle_sweep_task.delay().get() == 3
    still_locked = post(api("203.0.113.5"), LOGIN, {"iin": user.iin, "password": PASSWORD})
    assert still_locked.status_code == 423
    Throttle.objects.update(blocked_until=timezone.now())  # the lock is over too
    assert throttle_sweep_task.delay().get() == 1
    assert not Throttle.objects.exists()

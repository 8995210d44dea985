"""Whole journeys over real HTTP against a live server (the transactional test database)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pytest
from django.core.management import call_command

from qyzmet.countries.kz import demo

PASSWORD = "Qyzmet-demo-2026"


@dataclass
class People:
    citizen_a: str
    citizen_b: str
    officer_mvd: str
    head_mvd: str
    officer_other: str


@pytest.fixture
def demo_world(transactional_db) -> People:
    call_command("demo_load", count=300, no_model=True, verbosity=0)
    officers = demo.DEMO_OFFICER_IINS
    mvd = dict((role, iin) for iin, role in officers["kz-mvd"])
    other = dict((role, iin) for iin, role in officers["kz-kpssu"])
    return People(
        citizen_a=demo.DEMO_CITIZEN_A_IIN,
        citizen_b=demo.DEMO_CITIZEN_B_IIN,
        officer_mvd=mvd["officer"],
        head_mvd=mvd["head"],
        officer_other=other["officer"],
    )


def latest_sms_code(iin: str) -> str:
    """Read the one-time code as a demo user reads it on /dev/otp/: from the demo inbox (the
    database keeps codes masked). Sign-in and signing codes both go to the person's phone."""
    from qyzmet.identity.models import User
    from qyzmet.notifications.selectors import sms_demo_messages

    phone = User.objects.filter(iin=iin).values_list("phone", flat=True).first() or "-"
    sms = sms_demo_messages(phone=phone, limit=1)
    assert sms, "no SMS was sent"
    match = re.search(r"\b(\d{6})\b", sms[0].text)
    assert match, sms[0].text
    return match.group(1)


_open_clients: list[httpx.Client] = []


def http_client(base_url: str) -> httpx.Client:
    """An HTTP client closed after the test: an open keep-alive connection keeps the live
    server's request thread — and its database connection — alive past the test database."""
    client = httpx.Client(base_url=base_url, timeout=30)
    _open_clients.append(client)
    return client


@pytest.fixture(autouse=True)
def _close_http_clients():
    yield
    while _open_clients:
        _open_clients.pop().close()


def api_login(base_url: str, iin: str, password: str = PASSWORD) -> httpx.Client:
    """Sign in through the API exactly as a mobile client would: password, then the SMS code."""
    client = http_client(base_url)
    started = client.post("/api/v1/auth/login", json={"iin": iin, "password": password})
    assert started.status_code == 202, started.text
    code = latest_sms_code(iin)
    verified = client.post(
        "/api/v1/auth/verify", json={"challenge": started.json()["challenge"], "code": code}
    )
    assert verified.status_code == 200, verified.text
    client.headers["Authorization"] = f"Bearer {verified.json()['access_token']}"
    return client

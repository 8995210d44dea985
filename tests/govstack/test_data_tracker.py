""" "Who looked at my data": after a real journey the citizen sees every evidence read with the
purpose and the organisation; another citizen never sees them; the same list through the API."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from qyzmet.audit.usage import personal_data_usage
from qyzmet.catalog.selectors import service_current
from qyzmet.identity.services import api_token_issue
from tests.govstack.helpers import gateway_call
from tests.identity.factories import MembershipFactory
from tests.portal.factories import agency, catalog_loaded, citizen, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def journey(django_capture_on_commit_callbacks):
    catalog_loaded()
    mvd = agency("kz-mvd")
    a, b = citizen(), citizen()
    # The journey's evidence goes through the real gateway, so the registries check its proof
    # (the other tests here call the registries with the test helper's proof).
    real_gateway = "qyzmet.exchange.provider.gateway_request_verify"
    with override_settings(QYZMET_GATEWAY_VERIFIER=real_gateway), \
            django_capture_on_commit_callbacks(execute=True):
        application = submitted(a)
    return {"a": a, "b": b, "mvd": mvd, "application": application}


def _page(user, path="/my/data/", **headers):
    browser = Client(headers={"Accept-Language": "en", **headers})
    browser.force_login(user)
    return browser.get(path)


def test_journey_reads_appear_with_purpose_and_organisation(journey):
    a, application = journey["a"], journey["application"]
    page = _page(a)
    assert page.status_code == 200
    html = page.content.decode()
    title = service_current(code=application.service_code).title("en")
    assert f"Sending your application: {title}" in html
    # The evidence was read by the platform's own subsystem (through the gateway), while the
    # application was being sent (before it had a number).
    assert "Ministry of Digital Development" in html
    assert "Population register: personal details" in html
    entries = personal_data_usage(subject_iin=a.iin).entries
    assert entries and all(e.organisation_code == "kz-mcriap" for e in entries)
    assert all(e.client == "KZ/GOV/990340020019/qyzmet-portal" for e in entries)
    assert all(e.reader_is_subject for e in entries)


def test_gateway_reads_name_the_client_organisation_and_officer(journey):
    a, mvd = journey["a"], journey["mvd"]
    officer = citizen()
    MembershipFactory(user=officer, organisation=mvd, role="officer")
    client_id = f"KZ/GOV/{mvd.bin}/backoffice"
    gateway_call("GET", f"/data/population/1.0/facts/address?subject={a.iin}", user=officer.iin,
                 actor=officer.iin, client_id=client_id,
                 purpose="checking the registered address")  # fmt: skip
    entry = personal_data_usage(subject_iin=a.iin).entries[0]
    assert entry.client == client_id and entry.organisation_code == mvd.code
    assert entry.reader_name == officer.full_name and not entry.reader_is_subject
    html = _page(a).content.decode()
    assert "checking the registered address" in html and officer.full_name in html


def test_isolation_citizen_b_never_sees_a(journey):
    a, b, application = journey["a"], journey["b"], journey["application"]
    html = _page(b).content.decode()
    assert application.number not in html
    assert personal_data_usage(subject_iin=b.iin).entries == []
    token = api_token_issue(user=b)
    api = Client(headers={"Authorization": f"Bearer {token}"}).get("/data/my/personal-data-usage")
    assert api.status_code == 200 and api.json()["results"] == []
    own = Client(headers={"Authorization": f"Bearer {api_token_issue(user=a)}"})
    assert own.get("/data/my/personal-data-usage").json()["results"]
    # Through the gateway, only on the person's own behalf.
    other = gateway_call("GET", f"/data/MyPersonalDataUsage/1.0?ID={a.iin}", user=b.iin)
    assert other.status_code == 403 and other.json()["code"] == "govstack.not_own_data"
    mine = gateway_call("GET", f"/data/MyPersonalDataUsage/1.0?ID={a.iin}", user=a.iin)
    assert mine.status_code == 200
    item = mine.json()["results"][0]
    assert item["purpose"].startswith("submitting an application ")
    assert item["registry"] == "population"
    assert set(item) >= {"searchDateTime", "readerId", "readerInstitution", "fields"}
    missing = gateway_call("GET", "/data/MyPersonalDataUsage/1.0", user=a.iin)
    assert missing.status_code == 400 and missing.json()["errors"][0]["pointer"] == "/ID"


def test_keyset_pages(journey):
    a = journey["a"]
    for n in range(7):
        gateway_call("GET", f"/data/population/1.0/facts/person?subject={a.iin}", user=a.iin,
                     purpose=f"check {n}")  # fmt: skip
    total = len(personal_data_usage(subject_iin=a.iin, limit=200).entries)
    seen, cursor = [], None
    while True:
        page = personal_data_usage(subject_iin=a.iin, cursor=cursor, limit=3)
        seen += [e.id for e in page.entries]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == total == len(set(seen)) and seen == sorted(seen, reverse=True)
    first = _page(a).content.decode()
    assert 'rel="next"' not in first or total > 50
    api = gateway_call("GET", f"/data/MyPersonalDataUsage/1.0?ID={a.iin}&page_size=3", user=a.iin)
    assert len(api.json()["results"]) == 3 and "cursor=" in api.json()["next"]


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_page_is_translated(journey, lang):
    html = _page(journey["a"], **{"Accept-Language": lang}).content.decode()
    expected = {"kk": "Менің деректерімді кім қарады", "ru": "Кто смотрел мои данные"}[lang]
    assert expected in html

""" "Who looked at my data" grouped by visit: reads of one reader, organisation and purpose close
together are one row, expandable to the fields; purposes are stored as codes where the read is
logged and shown in words in kk/ru/en, legacy rows (free text only) read the same; pages go by
keyset with a fixed number of queries; each showing of the page is audited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from qyzmet.audit.models import AuditEntry
from qyzmet.audit.purposes import purpose_classify, purpose_of_row
from qyzmet.audit.services import personal_data_read
from qyzmet.audit.usage import (
    UsageEntry,
    personal_data_visits,
    visits_group,
)
from tests.identity.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

DECIDING = {
    "kk": "Өтініміңіз бойынша шешім қабылдау",
    "ru": "Принятие решения по вашему заявлению",
    "en": "Deciding on your application",
}
HISTORY = {
    "kk": "Өтініміңіздің тарихын қарау",
    "ru": "Просмотр истории вашего заявления",
    "en": "Reading the history of your application",
}


def _officer(org=None):
    return MembershipFactory(organisation=org or OrganisationFactory(), role="officer").user


def _read(actor, person, what="population.person", purpose="deciding on application 7",
          fields=("iin", "full_name")):  # fmt: skip
    personal_data_read(actor=actor, subject_iin=person.iin, what=what, purpose=purpose,
                       data={"fields": list(fields)})  # fmt: skip


def _page(person, lang="en", path="/my/data/"):
    browser = Client(headers={"Accept-Language": lang})
    browser.force_login(person)
    response = browser.get(path)
    assert response.status_code == 200
    return response.content.decode()


def _visits_in(html: str) -> list[str]:
    block = html.split('<ol class="visits"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r"<li>\s*<h2>(.*?)</h2>", block)


def test_purpose_code_is_stored_where_the_read_is_logged():
    person, officer = UserFactory(), _officer()
    _read(officer, person, purpose="application QZ-00000042 for service kz.address-certificate")
    row = AuditEntry.objects.get(subject_iin=person.iin, kind="read")
    assert row.data["why"] == {"code": "application.check", "service": "kz.address-certificate",
                               "number": "QZ-00000042"}  # fmt: skip
    assert row.purpose == "application QZ-00000042 for service kz.address-certificate"
    assert purpose_classify("somebody's own words").code == "other"


def test_legacy_rows_without_a_code_read_the_same():
    person, officer = UserFactory(), _officer()
    # A row as written before purpose codes were stored: free text only.
    AuditEntry.objects.create(kind="read", actor_id=officer.pk, actor_label=officer.iin,
                              action="read:population.person", subject_iin=person.iin,
                              purpose="reading case history", data={"fields": ["iin"]})  # fmt: skip
    legacy = AuditEntry.objects.get(subject_iin=person.iin)
    assert "why" not in legacy.data
    assert purpose_of_row(purpose=legacy.purpose, data=legacy.data).code == "application.history"
    for lang in ("kk", "ru", "en"):
        html = _page(person, lang)
        assert _visits_in(html) == [HISTORY[lang]]
        assert "reading case history" not in html


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_several_reads_are_one_visit_each_purpose_its_own_row(lang):
    person = UserFactory()
    org = OrganisationFactory()
    officer = _officer(org)
    _read(officer, person, what="population.person", fields=("iin", "full_name"))
    _read(officer, person, what="population.address", fields=("address.full",))
    _read(officer, person, what="population.person", fields=("birth_date",))
    _read(officer, person, purpose="reading case history")
    _read(None, person, purpose="a check written by another system")
    html = _page(person, lang)
    assert _visits_in(html) == [
        "a check written by another system", HISTORY[lang], DECIDING[lang],
    ]  # fmt: skip
    assert getattr(org, f"name_{lang}") in html
    assert officer.full_name in html
    # The deciding visit's three reads, fields merged, in words, inside <details>.
    details = html.split(DECIDING[lang], 1)[1].split("</details>", 1)[0]
    assert "<details>" in details and "<summary>" in details
    assert "<li>" in details and details.count("<li>") == 2  # person, address
    if lang == "en":
        for word in (
            "Population register: personal details — IIN, Full name, Date of birth",
            "Population register: registered address — Registered address",
        ):
            assert word in details, word
    for code in ("full_name", "birth_date", "address.full", "population.person", "deciding on"):
        assert code not in html, code


def _entry(pk: int, at: dt.datetime, reader: str = "111", purpose: str = "reading case history"):
    return UsageEntry(
        id=pk, at=at, registry="population", category="person", fields=["iin"], purpose=purpose,
        client="", organisation_code="org", organisation_names={}, reader_id=reader,
        reader_name="", reader_is_subject=False, why=purpose_classify(purpose),
    )  # fmt: skip


def test_a_gap_longer_than_ten_minutes_starts_a_new_visit():
    t = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)
    entries = [
        _entry(6, t),
        _entry(5, t - dt.timedelta(minutes=9)),
        _entry(4, t - dt.timedelta(minutes=18)),  # 9 min after the one before: same visit
        _entry(3, t - dt.timedelta(minutes=40)),  # 22 min: a new visit
        _entry(2, t - dt.timedelta(minutes=41), reader="222"),  # another officer
        _entry(1, t - dt.timedelta(minutes=42), reader="222", purpose="deciding on application 3"),
    ]
    assert [[e.id for e in v.entries] for v in visits_group(entries)] == [[6, 5, 4], [3], [2], [1]]


def _queries(person) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _page(person)
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_reads_readers_or_visits():
    person = UserFactory()
    _read(_officer(), person)
    few = _queries(person)
    for _n in range(6):
        officer = _officer()
        for purpose in ("deciding on application 7", "reading case history"):
            _read(officer, person, purpose=purpose)
            _read(officer, person, purpose=purpose, what="population.address")
    _read(None, person, purpose="a check written by another system")
    assert len(_visits_in(_page(person))) == 14
    assert _queries(person) == few


def test_keyset_pages_keep_each_visit_whole_and_every_read_once():
    person = UserFactory()
    officers = [_officer() for _ in range(4)]
    for officer in officers:
        for _ in range(3):
            _read(officer, person)
    seen, visits, cursor = [], [], None
    while True:
        page = personal_data_visits(subject_iin=person.iin, cursor=cursor, rows=5)
        visits += page.visits
        seen += [e.id for v in page.visits for e in v.entries]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    ids = list(AuditEntry.objects.filter(subject_iin=person.iin).values_list("id", flat=True))
    assert sorted(seen, reverse=True) == seen and sorted(seen) == sorted(ids)
    assert [len(v.entries) for v in visits] == [3, 3, 3, 3]
    html = _page(person, path=f"/my/data/?cursor={max(ids) - 1}")
    assert len(_visits_in(html)) == 4  # the newest visit's older reads, then the other three


def test_showing_the_page_is_audited_but_not_listed():
    person = UserFactory()
    _page(person)
    _page(person)
    shown = AuditEntry.objects.filter(object_type="portal.data_usage", object_id=person.iin)
    assert shown.count() == 2 and {e.actor_id for e in shown} == {person.pk}
    assert not AuditEntry.objects.filter(subject_iin=person.iin).exists()
    assert "Nobody has read your data yet." in _page(person)


def test_the_services_named_cost_one_query_whatever_their_number():
    """Purposes that name services show their titles; ten services cost what one does."""
    from tests.portal.factories import catalog_loaded

    catalog_loaded()
    person, officer = UserFactory(), _officer()
    _read(officer, person, purpose="showing prefilled data for service kz.address-certificate")
    _page(person)  # the packages read once per process are read before counting
    one = _queries(person)
    for code in ("kz.passport", "kz.driving-licence", "kz.marriage-registration",
                 "kz.vehicle-registration"):  # fmt: skip
        _read(officer, person, purpose=f"showing prefilled data for service {code}")
    html = _page(person)
    assert "Getting a passport of a citizen of Kazakhstan" in html
    assert "kz.passport" not in html
    assert _queries(person) == one

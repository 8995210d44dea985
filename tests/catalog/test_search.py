"""Search over titles and summaries in all three languages, on any database."""

from __future__ import annotations

import pytest

from qyzmet.catalog.selectors import life_event_list, service_search
from qyzmet.catalog.services import catalog_sync

from .factories import KZ_SERVICES, shipped_versions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loaded():
    catalog_sync(dirs=[KZ_SERVICES])


def _codes(**kwargs):
    return {s.code for s in service_search(**kwargs)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("АДРЕСНАЯ справка", "kz.address-certificate"),  # Cyrillic case folding
        ("справку о судимости", "kz.criminal-record-certificate"),  # a different word form
        ("мекенжайыңызды", "kz.address-certificate"),  # Kazakh, with ң and ы
        ("Соттылығының", "kz.criminal-record-certificate"),
        ("балабақшаға", "kz.kindergarten-queue"),
        ("entrepreneur", "kz.ie-registration"),
        ("birth benefit", "kz.child-birth-benefit"),
        ("рождения ребёнка", "kz.birth-registration"),
    ],
)
def test_search_finds_services_in_each_language(query, expected):
    assert expected in _codes(query=query)


def test_the_best_match_comes_first_and_nonsense_finds_nothing():
    assert service_search(query="kindergarten certificate")[0].code == "kz.kindergarten-queue"
    assert _codes(query="zzzz") == set()
    assert _codes(query="qwxz") == set()


def test_search_returns_only_current_versions():
    found = service_search(query="address")
    newest = shipped_versions("address-certificate")[-1]
    assert newest > 1
    assert [(s.code, s.version) for s in found] == [("kz.address-certificate", newest)]


def test_filters_by_life_event_and_applicant():
    assert _codes(life_event="birth-of-child") == {
        "kz.birth-registration", "kz.child-birth-benefit", "kz.kindergarten-queue"
    }
    assert _codes(life_event="starting-business") == {"kz.ie-registration"}
    assert _codes(applicant="business") == set()
    assert len(_codes(applicant="citizen")) >= 6


def test_life_events_group_the_services():
    events = {e.code: e for e in life_event_list()}
    assert set(events) >= {"birth-of-child", "moving-house", "starting-business", "employment"}
    assert "kz.address-certificate" in events["moving-house"].service_codes
    assert events["employment"].title.get("ru") == "Трудоустройство"


def test_search_is_two_queries_at_most(django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        service_search(query="справка")

"""The public open-data pages: the catalogue (search, filters, pages, few queries) and one
dataset (schema table in the reader's language, versions, download links)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from qyzmet.opendata import selectors
from tests.opendata.factories import dataset_make
from tests.portal.factories import agency

pytestmark = pytest.mark.django_db

TITLED_SCHEMA = {
    "fields": [
        {"name": "district", "type": "string", "title": "District",
         "titles": {"kk": "Аудан", "ru": "Район", "en": "District"},
         "descriptions": {"kk": "Қала ауданы", "ru": "Район города", "en": "City district"},
         "constraints": {"required": True}},
        {"name": "n_appeals", "type": "integer", "titles": {"kk": "Өтініштер", "ru": "Обращения",
                                                            "en": "Appeals"}},
    ]
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def _many(count: int) -> None:
    agency("kz-mvd")
    for i in range(count):
        dataset_make(
            f"dataset-{i:03d}",
            organisation="kz-mvd" if i % 2 else "",
            title={"kk": f"Деректер {i}", "ru": f"Данные {i}", "en": f"Data {i}"},
            tags=("even",) if i % 2 == 0 else ("odd", "police"),
            rows=[{"region": "Astana", "year": 2000 + i, "applications": 10 + i}],
        )


def test_catalogue_lists_titles_publishers_dates_and_formats():
    agency("kz-mvd")
    dataset_make("police-data", organisation="kz-mvd",
                 title={"kk": "Полиция деректері", "ru": "Данные полиции", "en": "Police data"})
    page = Client().get("/open-data/", HTTP_ACCEPT_LANGUAGE="ru")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Данные полиции" in html
    assert "/open-data/police-data/" in html
    assert "CSV" in html and "JSON" in html
    visible = re.sub(r'(value|href)="[^"]*"', "", html)
    assert "kz-mvd" not in visible  # the agency's name, never its code


def test_search_filters_and_pages():
    _many(25)
    client = Client()
    html = client.get("/open-data/", {"q": "data 7"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "/open-data/dataset-007/" in html and "/open-data/dataset-008/" not in html
    html = client.get("/open-data/", {"tag": "police"}).content.decode()
    assert "/open-data/dataset-001/" in html and "/open-data/dataset-002/" not in html
    html = client.get("/open-data/", {"publisher": "operator"}).content.decode()
    assert "/open-data/dataset-002/" in html and "/open-data/dataset-001/" not in html
    html = client.get("/open-data/", {"publisher": "kz-mvd"}).content.decode()
    assert "/open-data/dataset-001/" in html and "/open-data/dataset-002/" not in html
    assert "/open-data/dataset-000/" not in client.get(
        "/open-data/", {"format": "XML"}).content.decode()
    first = client.get("/open-data/").content.decode()
    second = client.get("/open-data/", {"page": "2"}).content.decode()
    listed = set(re.findall(r"/open-data/(dataset-\d+)/", first))
    listed2 = set(re.findall(r"/open-data/(dataset-\d+)/", second))
    assert len(listed) == 20 and len(listed2) == 5 and not listed & listed2
    assert 'rel="next"' in first and 'rel="prev"' in second
    # Nonsense never crashes.
    for params in ({"page": "abc"}, {"page": "-4"}, {"page": "99999"}, {"q": "x" * 5000},
                   {"publisher": "\x00"}, {"tag": "'; drop"}):
        assert client.get("/open-data/", params).status_code in (200, 400)


def test_catalogue_list_costs_at_most_three_queries(django_assert_max_num_queries):
    _many(30)
    cache.clear()
    with django_assert_max_num_queries(3):
        page = selectors.dataset_search(q="data", tag="odd", page=1)
        selectors.catalogue_facets()
    assert page.total == 15
    with django_assert_max_num_queries(3):
        response = Client().get("/open-data/", {"q": "data", "publisher": "kz-mvd"})
    assert response.status_code == 200


def test_dataset_page_shows_schema_in_the_readers_language_and_versions():
    dataset_make("district-appeals", schema=TITLED_SCHEMA,
                 rows=[{"district": "Есиль", "n_appeals": 12}])
    dataset_make("district-appeals", schema=TITLED_SCHEMA,
                 rows=[{"district": "Есиль", "n_appeals": 15}])
    client = Client()
    kk = client.get("/open-data/district-appeals/", HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert "Аудан" in kk and "Қала ауданы" in kk
    ru = client.get("/open-data/district-appeals/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Район города" in ru
    assert "/open-data/district-appeals/v2/data.csv" in ru
    assert "/open-data/district-appeals/v1/data.json" in ru
    assert "/open-data/district-appeals/v2/datapackage.json" in ru
    assert "<caption>" in ru and 'scope="col"' in ru
    assert "creativecommons.org/licenses/by/4.0" in ru


def test_unknown_dataset_is_404():
    assert Client().get("/open-data/no-such-thing/").status_code == 404

"""Publishing: validation against the Table Schema, the CSV and JSON files, versions only when the
data changed, every registered publisher run by `publish_all`, the command and the schedule."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from qyzmet.core import open_datasets
from qyzmet.core.open_datasets import Publisher
from qyzmet.core.problem import Problem
from qyzmet.opendata.models import Dataset, DatasetVersion, Resource
from qyzmet.opendata.services import dataset_publish, publish_all
from tests.opendata.factories import SCHEMA, dataset_make
from tests.portal.factories import catalog_loaded

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _files(version) -> dict[str, bytes]:
    return {r.format: bytes(r.content) for r in version.resources.all()}


def test_publish_writes_csv_and_json_typed_per_schema():
    version = dataset_make()
    files = _files(version)
    assert files["CSV"] == (
        b"region,year,applications\r\nAstana,2025,120\r\nAlmaty,2025,240\r\n"
    )
    assert json.loads(files["JSON"]) == [
        {"region": "Astana", "year": 2025, "applications": 120},
        {"region": "Almaty", "year": 2025, "applications": 240},
    ]
    for resource in version.resources.all():
        assert resource.sha256 == hashlib.sha256(bytes(resource.content)).hexdigest()
        assert resource.size == len(bytes(resource.content))
    assert {r.media_type for r in version.resources.all()} == {"text/csv", "application/json"}
    assert version.number == 1 and version.current and version.row_count == 2
    dataset = version.dataset
    assert "service applications" in dataset.search_text
    assert "заявления на услуги" in dataset.search_text
    assert "applications" in dataset.tag_text
    assert dataset.formats == "CSV JSON"


def test_csv_quotes_per_rfc_4180_and_keeps_unicode():
    schema = {"fields": [{"name": "name", "type": "string"}, {"name": "n", "type": "number"},
                         {"name": "ok", "type": "boolean"}, {"name": "day", "type": "date"}]}
    rows = [{"name": 'Өскемен, "Орталық"', "n": 1.5, "ok": True, "day": "2025-01-31"},
            {"name": "Line\nbreak", "n": None, "ok": False, "day": None}]
    version = dataset_make("quoted", schema=schema, rows=rows)
    text = _files(version)["CSV"].decode("utf-8")
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["name", "n", "ok", "day"],
        ['Өскемен, "Орталық"', "1.5", "true", "2025-01-31"],
        ["Line\nbreak", "", "false", ""],
    ]
    assert json.loads(_files(version)["JSON"])[0] == {
        "name": 'Өскемен, "Орталық"', "n": 1.5, "ok": True, "day": "2025-01-31"}


def test_same_data_makes_no_new_version_and_changed_data_does():
    first = dataset_make()
    assert dataset_make() is None
    assert DatasetVersion.objects.count() == 1
    second = dataset_make(rows=[{"region": "Astana", "year": 2025, "applications": 121}])
    assert second.number == 2 and second.current
    first.refresh_from_db()
    assert not first.current  # kept, no longer current
    assert Resource.objects.count() == 4
    # A schema change alone is a new version too.
    schema = {**SCHEMA, "fields": [*SCHEMA["fields"][:2],
                                   {"name": "applications", "type": "number"}]}
    third = dataset_make(schema=schema, rows=[{"region": "Astana", "year": 2025,
                                               "applications": 121}])
    assert third.number == 3


def test_title_change_without_data_change_updates_the_dataset_only():
    dataset_make()
    assert dataset_make(title={"kk": "Жаңа", "ru": "Новое", "en": "Renamed"}) is None
    dataset = Dataset.objects.get(name="service-applications")
    assert dataset.title["en"] == "Renamed" and "renamed" in dataset.search_text
    assert dataset.versions.count() == 1


def test_invalid_rows_are_refused_naming_row_and_column():
    with pytest.raises(Problem) as caught:
        dataset_make(rows=[{"region": "Astana", "year": "twenty", "applications": 1},
                           {"region": "Astana", "year": 2025, "applications": None}])
    problem = caught.value
    assert problem.status == 422
    pointers = [e.pointer for e in problem.errors]
    assert "/rows/2/year" in pointers
    assert any("Row 2" in e.detail and "year" in e.detail for e in problem.errors)
    assert not Dataset.objects.exists()


def test_required_and_constraints_are_checked():
    schema = {"fields": [{"name": "code", "type": "string", "constraints": {"required": True}},
                         {"name": "share", "type": "number",
                          "constraints": {"minimum": 0, "maximum": 1}}]}
    with pytest.raises(Problem) as caught:
        dataset_make("constrained", schema=schema,
                     rows=[{"code": None, "share": 0.5}, {"code": "a", "share": 7}])
    details = [e.detail for e in caught.value.errors]
    assert any("Row 2" in d and "required" in d for d in details)
    assert any("Row 3" in d and "share" in d for d in details)


def test_platform_dataset_with_a_small_count_is_refused():
    schema = {"fields": [{"name": "district", "type": "string"},
                         {"name": "n_appeals", "type": "integer"}]}
    with pytest.raises(Problem) as caught:
        dataset_make("small", schema=schema, rows=[{"district": "A", "n_appeals": 3}])
    assert caught.value.code == "dataset_personal"


def test_a_name_taken_by_another_publisher_is_refused():
    dataset_make()
    with pytest.raises(Problem) as caught:
        dataset_make(organisation="kz-mvd")
    assert caught.value.status == 409


def _publisher(name, rows, schema=SCHEMA):
    return Publisher(name=name, organisation="", title={"kk": name, "ru": name, "en": name},
                     description={"en": name}, schema=schema, rows=rows)


def test_publish_all_runs_every_publisher_and_survives_a_broken_one(monkeypatch):
    registry = dict(open_datasets._PUBLISHERS)
    monkeypatch.setattr(open_datasets, "_PUBLISHERS", registry)

    def broken():
        raise RuntimeError("registry down")

    open_datasets.register(_publisher("broken-one", broken))
    open_datasets.register(_publisher("good-one", lambda: [
        {"region": "Astana", "year": 2025, "applications": 10}]))
    catalog_loaded()
    report = publish_all()
    assert report["failed_names"] == ["broken-one"]
    assert report["published"] == len(registry) - 1
    assert Dataset.objects.filter(name="good-one").exists()
    assert Dataset.objects.filter(name="service-catalogue").exists()
    again = publish_all()
    assert again["published"] == 0 and again["unchanged"] == len(registry) - 1


def test_service_catalogue_dataset_lists_every_current_service():
    catalog_loaded()
    publish_all()
    version = DatasetVersion.objects.get(dataset__name="service-catalogue", current=True)
    rows = json.loads(_files(version)["JSON"])
    from qyzmet.catalog.selectors import service_search

    assert {r["service_code"] for r in rows} == {s.code for s in service_search(any_kind=True)}
    address = next(r for r in rows if r["service_code"] == "kz.address-certificate")
    assert address["online"] is True
    assert isinstance(address["deadline_working_days"], int)
    assert address["agency_name_ru"] and address["title_kk"]
    fields = version.schema["fields"]
    assert all(set(f["titles"]) == {"kk", "ru", "en"} for f in fields)


def test_command_and_daily_schedule():
    catalog_loaded()
    out = io.StringIO()
    call_command("opendata_publish", stdout=out)
    assert "published" in out.getvalue()
    entry = settings.CELERY_BEAT_SCHEDULE["opendata-publish-all"]
    assert entry["task"] == "qyzmet.opendata.tasks.publish_all"
    assert entry["schedule"] <= 86400


@pytest.mark.django_db(transaction=True)
def test_concurrent_publishes_make_one_version():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    results, errors = [], []

    def publish():
        from django.db import connections

        try:
            results.append(dataset_publish(
                name="raced", organisation="", origin="platform", title={"en": "Raced"},
                description={}, schema=SCHEMA,
                rows=[{"region": "Astana", "year": 2025, "applications": 50}]))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len([r for r in results if r is not None]) == 1
    assert DatasetVersion.objects.filter(dataset__name="raced").count() == 1

"""Anonymous downloads of a version's files and its Frictionless Data Package descriptor."""

from __future__ import annotations

import hashlib
import json

import frictionless
import pytest
from django.test import Client
from django.urls import reverse

from qyzmet.opendata.models import Resource
from tests.opendata.factories import dataset_make

pytestmark = pytest.mark.django_db


def _url(name: str, number: int, fmt: str) -> str:
    return reverse("opendata-download", kwargs={"name": name, "number": number, "fmt": fmt})


def test_csv_and_json_are_the_stored_bytes_with_headers():
    version = dataset_make()
    for fmt, media in (("csv", "text/csv"), ("json", "application/json")):
        stored = Resource.objects.get(version=version, format=fmt.upper())
        response = Client().get(_url("service-applications", version.number, fmt))
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body == bytes(stored.content)
        assert hashlib.sha256(body).hexdigest() == stored.sha256
        assert response["Content-Type"] == f"{media}; charset=utf-8"
        assert response["ETag"] == f'"{stored.sha256}"'
        assert "max-age=31536000" in response["Cache-Control"]
        assert "immutable" in response["Cache-Control"]
        assert response["Content-Disposition"] == (
            f'attachment; filename="service-applications-v{version.number}.{fmt}"'
        )
        again = Client().get(
            _url("service-applications", version.number, fmt), HTTP_IF_NONE_MATCH=response["ETag"]
        )
        assert again.status_code == 304


def test_old_versions_stay_downloadable_and_latest_redirects():
    first = dataset_make()
    second = dataset_make(rows=[{"region": "Shymkent", "year": 2025, "applications": 7}])
    assert second.number == first.number + 1
    old = Client().get(_url("service-applications", first.number, "csv"))
    assert b"Astana" in old.content and b"Shymkent" not in old.content
    latest = Client().get(
        reverse("opendata-download-latest", kwargs={"name": "service-applications", "fmt": "csv"})
    )
    assert latest.status_code == 302
    assert latest["Location"] == _url("service-applications", second.number, "csv")


@pytest.mark.parametrize(
    "path",
    [
        "/open-data/nothing-here/v1/data.csv",
        "/open-data/service-applications/v99/data.csv",
        "/open-data/service-applications/v1/data.xml",
        "/open-data/service-applications/v1/data.CSV",
        "/open-data/nothing-here/v1/datapackage.json",
        "/open-data/nothing-here/latest/data.json",
    ],
)
def test_unknown_files_are_404_problems(path):
    dataset_make()
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content)["status"] == 404


def test_writes_are_refused():
    version = dataset_make()
    response = Client().post(_url("service-applications", version.number, "csv"))
    assert response.status_code == 405


def test_datapackage_is_valid_and_describes_the_files(tmp_path):
    version = dataset_make()
    response = Client().get(
        reverse("opendata-datapackage", kwargs={"name": "service-applications",
                                                "number": version.number})
    )
    assert response.status_code == 200
    descriptor = response.json()
    assert descriptor["name"] == "service-applications"
    assert descriptor["title"] == "Service applications"
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    by_format = {r["format"]: r for r in descriptor["resources"]}
    assert set(by_format) == {"csv", "json"}
    for fmt, res in by_format.items():
        stored = Resource.objects.get(version=version, format=fmt.upper())
        assert res["path"] == "http://testserver" + _url("service-applications",
                                                         version.number, fmt)
        assert res["hash"] == f"sha256:{stored.sha256}"
        assert res["bytes"] == stored.size
        assert res["schema"]["fields"][0]["name"] == "region"

    # The descriptor is a valid Data Package; with the paths pointing at local copies of the
    # files, frictionless validates the data itself against the schema, hash and size. Reading
    # JSON tables needs the frictionless[json] extra (ijson), which is not installed: the CSV's
    # data is validated, and the JSON file must hold the same records.
    report = frictionless.Package.validate_descriptor(descriptor)
    assert report.valid, report.flatten(["type", "note"])
    records = json.loads(bytes(Resource.objects.get(version=version, format="JSON").content))
    assert records == [
        {"region": "Astana", "year": 2025, "applications": 120},
        {"region": "Almaty", "year": 2025, "applications": 240},
    ]
    descriptor["resources"] = [r for r in descriptor["resources"] if r["format"] == "csv"]
    for res in descriptor["resources"]:
        local = tmp_path / f"data.{res['format']}"
        local.write_bytes(
            bytes(Resource.objects.get(version=version, format=res["format"].upper()).content)
        )
        res["path"] = local.name
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor))
    result = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert result.valid, result.flatten(["rowNumber", "fieldName", "type", "note"])


def test_a_broken_file_fails_datapackage_validation(tmp_path):
    """The validation above is not vacuous: bytes that do not match the hash are caught."""
    version = dataset_make()
    descriptor = Client().get(
        reverse("opendata-datapackage", kwargs={"name": "service-applications",
                                                "number": version.number})
    ).json()
    descriptor["resources"] = [r for r in descriptor["resources"] if r["format"] == "csv"]
    (tmp_path / "data.csv").write_bytes(b"region,year,applications\r\nAstana,2025,many\r\n")
    descriptor["resources"][0]["path"] = "data.csv"
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor))
    assert not frictionless.validate(str(tmp_path / "datapackage.json")).valid

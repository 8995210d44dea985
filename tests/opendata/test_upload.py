"""An agency publishing its own dataset: who may, what is refused (size, encoding, personal
identifiers, rows that break the schema — said with row and column, in kk/ru/en), versions, the
audit row, and the back-office form."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from qyzmet.audit.models import AuditEntry
from qyzmet.core.problem import Problem
from qyzmet.opendata.models import Dataset, DatasetVersion
from qyzmet.opendata.services import UPLOAD_MAX_BYTES, dataset_upload
from tests.identity.factories import next_iin
from tests.portal.factories import officer

pytestmark = pytest.mark.django_db

ORG = "kz-mvd"
TITLE = {"kk": "Мектептер", "ru": "Школы", "en": "Schools"}
CSV = "district,schools,opened\r\nЕсиль,12,2020-09-01\r\nАлматы,30,2019-09-01\r\n".encode()


def _upload(actor, csv_bytes=CSV, **kwargs):
    params = {"actor": actor, "organisation": ORG, "title": TITLE,
              "description": {"ru": "Школы по районам"}, "tags": ["education"],
              "csv_bytes": csv_bytes, **kwargs}
    return dataset_upload(**params)


def test_officer_uploads_a_dataset_with_an_inferred_schema_and_it_is_audited():
    user = officer(ORG)
    result = _upload(user)
    assert result.created and result.version.number == 1
    dataset = result.version.dataset
    assert dataset.name == "kz-mvd-schools" and dataset.origin == "agency"
    assert dataset.organisation == ORG
    types = {f["name"]: f["type"] for f in result.version.schema["fields"]}
    assert types == {"district": "string", "schools": "integer", "opened": "date"}
    content = json.loads(bytes(result.version.resources.get(format="JSON").content))
    assert content[0] == {"district": "Есиль", "schools": 12, "opened": "2020-09-01"}
    entry = AuditEntry.objects.get(action="opendata.dataset_upload")
    assert entry.actor_id == user.pk and entry.object_id == "kz-mvd-schools"


def test_a_new_upload_of_the_dataset_is_a_new_version_and_the_same_file_is_not():
    user = officer(ORG, role="head")
    _upload(user)
    same = _upload(user, dataset="kz-mvd-schools")
    assert not same.created and same.version.number == 1
    changed = _upload(user, dataset="kz-mvd-schools",
                      csv_bytes=CSV + "Сарыарка,8,2021-09-01\r\n".encode())
    assert changed.created and changed.version.number == 2
    assert DatasetVersion.objects.filter(dataset__name="kz-mvd-schools").count() == 2


def test_only_the_organisations_officers_may_upload():
    outsider = officer("kz-other")
    with pytest.raises(Problem) as caught:
        _upload(outsider)
    assert caught.value.status == 403
    _upload(officer(ORG))
    with pytest.raises(Problem) as caught:
        dataset_upload(actor=outsider, organisation="kz-other", title=TITLE, description={},
                       tags=[], csv_bytes=CSV, dataset="kz-mvd-schools")
    assert caught.value.status == 404


@pytest.mark.parametrize(("csv_bytes", "pointer"), [
    (b"x" * (UPLOAD_MAX_BYTES + 1), "/file"),
    ("district,schools\r\nЕсиль,12\r\n".encode("cp1251"), "/file"),
    (b"district,schools\r\n", "/file"),
    (b"", "/file"),
    (b"district,,x\r\na,1,2\r\n", "/file"),
])
def test_bad_files_are_refused_naming_the_file(csv_bytes, pointer):
    with pytest.raises(Problem) as caught:
        _upload(officer(ORG), csv_bytes=csv_bytes)
    assert caught.value.status in (413, 422)
    assert caught.value.errors[0].pointer == pointer
    assert not Dataset.objects.exists()


def test_personal_identifiers_are_refused():
    user = officer(ORG)
    iin = next_iin()
    with pytest.raises(Problem) as caught:
        _upload(user, csv_bytes=f"district,contact\r\nЕсиль,{iin}\r\n".encode())
    assert caught.value.errors[0].pointer == "/rows/2/contact"
    for column in ("IIN", "full_name", "phone_number", "ФИО", "Name"):
        with pytest.raises(Problem) as caught:
            _upload(user, csv_bytes=f"district,{column}\r\nЕсиль,x\r\n".encode())
        assert caught.value.code == "file_personal", column
    # A school's name or a 12-digit number that is no IIN (a BIN, a budget) is fine.
    ok = _upload(user, csv_bytes="school_name,bin\r\nШкола 1,050340000015\r\n".encode())
    assert ok.created


def test_rows_breaking_a_given_schema_are_named_by_row_and_column_in_three_languages():
    schema = json.dumps({"fields": [
        {"name": "district", "type": "string", "constraints": {"required": True}},
        {"name": "schools", "type": "integer"}, {"name": "opened", "type": "date"}]})
    bad = "district,schools,opened\r\nЕсиль,twelve,2020-09-01\r\n,3,2020-13-45\r\n".encode()
    texts = {}
    for lang in ("kk", "ru", "en"):
        with translation.override(lang), pytest.raises(Problem) as caught:
            _upload(officer(ORG), csv_bytes=bad, schema=schema)
        texts[lang] = [(e.pointer, e.detail) for e in caught.value.errors]
    pointers = [p for p, _ in texts["en"]]
    assert {"/rows/2/schools", "/rows/3/district", "/rows/3/opened"} <= set(pointers)
    assert any("Row 2" in d and "schools" in d and "whole number" in d for _, d in texts["en"])
    assert texts["kk"] != texts["en"] and texts["ru"] != texts["en"]
    assert any("2" in d and "schools" in d for _, d in texts["ru"])


def test_a_schema_that_does_not_fit_the_header_is_refused():
    schema = json.dumps({"fields": [{"name": "region", "type": "string"}]})
    with pytest.raises(Problem) as caught:
        _upload(officer(ORG), schema=schema)
    details = " ".join(e.detail for e in caught.value.errors)
    assert "region" in details and "district" in details
    with pytest.raises(Problem) as caught:
        _upload(officer(ORG), schema="{not json")
    assert caught.value.errors[0].pointer == "/schema"


def _form(**extra):
    data = {"title_kk": "Мектептер", "title_ru": "Школы", "title_en": "Schools",
            "description_ru": "Школы по районам", "tags": "education, schools",
            "file": SimpleUploadedFile("schools.csv", CSV, content_type="text/csv")}
    data.update(extra)
    return data


def test_the_back_office_form_publishes_and_lists_versions():
    client = Client()
    client.force_login(officer(ORG))
    assert client.get("/backoffice/open/data/upload/").status_code == 200
    response = client.post("/backoffice/open/data/upload/", _form())
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/open/data/kz-mvd-schools/"
    page = client.get("/backoffice/open/data/kz-mvd-schools/").content.decode()
    assert "Мектептер" in page
    listing = client.get("/backoffice/open/data/").content.decode()
    assert "/backoffice/open/data/kz-mvd-schools/" in listing
    again = client.post("/backoffice/open/data/kz-mvd-schools/upload/", _form(
        file=SimpleUploadedFile("s.csv", CSV + "Сарыарка,8,2021-09-01\r\n".encode())))
    assert again.status_code == 302
    assert DatasetVersion.objects.filter(dataset__name="kz-mvd-schools").count() == 2
    assert Client().get("/open-data/kz-mvd-schools/").status_code == 200


def test_the_form_names_the_field_and_the_row():
    client = Client()
    client.force_login(officer(ORG))
    response = client.post("/backoffice/open/data/upload/", _form(title_kk=""),
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert 'href="#title_kk"' in response.content.decode()
    bad = "district,schools\r\nЕсиль,12\r\nАлматы,many\r\n".encode()
    schema = json.dumps({"fields": [{"name": "district", "type": "string"},
                                    {"name": "schools", "type": "integer"}]})
    response = client.post("/backoffice/open/data/upload/", _form(
        file=SimpleUploadedFile("s.csv", bad), schema=schema), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 422
    assert "Row 3" in html and "schools" in html and 'href="#file"' in html
    response = client.post("/backoffice/open/data/upload/", {"title_kk": "a", "title_ru": "b"})
    assert response.status_code == 422 and 'href="#file"' in response.content.decode()

"""Uploading a Fiscal Data Package: a valid package becomes a version with its lines; each class
of bad input is refused whole, with a message naming the file, row and column, and nothing
stored."""

from __future__ import annotations

import copy
import io
import json
import zipfile

import pytest
from django.utils import translation

from qyzmet.budgets import demo, fdp, services
from qyzmet.budgets.models import BudgetLine, BudgetVersion
from qyzmet.core.problem import Problem
from tests.budgets.conftest import member

YEAR = 2025


def _rows(**changes):
    rows = list(__import__("csv").DictReader(io.StringIO(
        demo.package_build(year=YEAR)[1][1].decode())))  # fmt: skip
    for index, values in changes.items():
        rows[int(index.lstrip("r"))].update(values)
    return rows


def _descriptor():
    return json.loads(demo.package_build(year=YEAR)[0][1])


def _refused(actor, uploads) -> list[str]:
    with pytest.raises(fdp.PackageInvalid) as caught:
        services.budget_publish(actor=actor, organisation_code="kz-mvd", uploads=uploads)
    assert not BudgetVersion.objects.exists()
    assert not BudgetLine.objects.exists()
    return [str(e) for e in caught.value.errors]


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def officer(agencies):
    return member(agencies["kz-mvd"])


def test_a_valid_package_is_published_with_its_lines(officer):
    version = services.budget_publish(actor=officer, organisation_code="kz-mvd",
                                      uploads=demo.package_build(year=YEAR))  # fmt: skip
    assert (version.fiscal_year, version.number, version.administrative_code) == (YEAR, 1, "201")
    assert version.line_count == 7  # three sub-programmes of 001 and four programmes
    assert BudgetLine.objects.filter(version=version).count() == 21  # × three phases
    first = BudgetLine.objects.get(version=version, programme_code="002", phase="planned")
    csv_row = next(r for r in _rows() if r["programme"] == "002")
    assert first.amount_tiyn == int(csv_row["planned"]) * 1000 * 100  # factor 1000, tiyn
    again = services.budget_publish(actor=officer, organisation_code="kz-mvd",
                                    uploads=demo.package_build(year=YEAR))  # fmt: skip
    assert again.number == 2 and BudgetVersion.objects.count() == 2  # versions kept


def test_a_zip_of_the_package_is_accepted(officer):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in demo.package_build(year=YEAR):
            archive.writestr(name, data)
    version = services.budget_publish(actor=officer, organisation_code="kz-mvd",
                                      uploads=[("budget.zip", buffer.getvalue())])  # fmt: skip
    assert version.line_count == 7


def test_not_json(officer):
    errors = _refused(officer, [("datapackage.json", b"{not json"),
                                ("budget.csv", demo.package_build()[1][1])])  # fmt: skip
    assert errors == ["datapackage.json is not valid JSON: the error is on line 1, position 2."]


def test_schema_mismatch_names_the_column(officer):
    descriptor = _descriptor()
    descriptor["resources"][0]["schema"]["fields"][3]["name"] = "programme_number"
    errors = _refused(officer, demo.package_build(year=YEAR, descriptor=descriptor))
    assert any("budget.csv" in e and "«programme_number»" in e for e in errors), errors


def test_a_wrong_type_names_file_row_and_column(officer):
    errors = _refused(officer, demo.package_build(year=YEAR, rows=_rows(r2={"planned": "many"})))
    assert errors == [
        "budget.csv, row 4, column «planned»: «many» is not a valid value of this column's type."
    ]


def test_a_missing_fiscal_mapping(officer):
    descriptor = _descriptor()
    del descriptor["model"]["dimensions"]["functional"]
    errors = _refused(officer, demo.package_build(year=YEAR, descriptor=descriptor))
    assert errors == ["datapackage.json: the fiscal model does not map the functional "
                      "classification (its \"code\" attribute)."]  # fmt: skip
    descriptor = _descriptor()
    del descriptor["model"]
    assert "no fiscal" in _refused(officer, demo.package_build(descriptor=descriptor))[0]


def test_a_negative_executed_amount(officer):
    errors = _refused(officer, demo.package_build(year=YEAR, rows=_rows(r3={"executed": "-10"})))
    assert errors == ["budget.csv, row 5, column «executed»: the amount «-10» is negative; "
                      "planned, adjusted and executed amounts cannot be."]  # fmt: skip


def test_a_currency_other_than_tenge(officer):
    descriptor = _descriptor()
    descriptor["model"]["measures"]["executed"]["currency"] = "USD"
    errors = _refused(officer, demo.package_build(year=YEAR, descriptor=descriptor))
    assert errors == ["datapackage.json: the measure «executed» is not in tenge (currency must "
                      "be KZT)."]  # fmt: skip


def test_fiscal_year_out_of_range_and_mixed_years(officer):
    errors = _refused(officer, demo.package_build(rows=_rows(r0={"year": "1999"},
                                                             r1={"year": "2024"})))  # fmt: skip
    assert errors[0].startswith("budget.csv, row 2, column «year»: «1999» is not a fiscal year")
    assert "differs from the package's other rows" in errors[1]


def test_inconsistent_codes(officer):
    errors = _refused(officer, demo.package_build(rows=_rows(
        r0={"administrator": "202"}, r1={"programme_ru": "Другое имя"},
        r5={"programme": "5"}, r6={"programme": "003"},
    )))  # fmt: skip
    assert any(
        "row 3" in e and "administrator's code «201» differs from the other rows" in e
        for e in errors
    ), errors
    assert any("row 3" in e and "another name" in e for e in errors), errors
    assert any("row 7" in e and "«5» is not a code of three digits" in e for e in errors)
    assert any("row 8" in e and "appears twice" in e for e in errors), errors


def test_a_huge_file_is_refused_before_reading(officer):
    huge = b"a" * (fdp.MAX_UPLOAD_BYTES + 1)
    errors = _refused(officer, [("datapackage.json", demo.package_build()[0][1]),
                                ("budget.csv", huge)])  # fmt: skip
    assert errors == ["budget.csv is larger than the 5 MB allowed."]


def test_a_malformed_csv(officer):
    uploads = demo.package_build()
    errors = _refused(officer, [uploads[0], ("budget.csv", b"\xff\xfe\x00garbage,,\n1,2\n")])
    assert errors and all("budget.csv" in e for e in errors), errors


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_bomb_is_not_unpacked(officer):
    bomb = _zip({"datapackage.json": demo.package_build()[0][1],
                 "budget.csv": b"0" * (30 * 1024 * 1024)})  # fmt: skip
    assert len(bomb) < fdp.MAX_UPLOAD_BYTES
    assert _refused(officer, [("budget.zip", bomb)]) == [
        "budget.zip unpacks to far more data than allowed; it was not opened."
    ]


def test_path_traversal_in_a_zip(officer):
    files = dict(demo.package_build())
    evil = _zip({**files, "../../etc/cron.d/x": b"* * * * * root sh"})
    errors = _refused(officer, [("budget.zip", evil)])
    assert errors == ["budget.zip holds a file with a name that is not allowed "
                      "(«../../etc/cron.d/x»): only plain file names, no folders."]  # fmt: skip


def test_a_resource_path_outside_the_upload_or_remote(officer):
    for path in ("../budget.csv", "/etc/passwd", "https://example.org/budget.csv"):
        descriptor = _descriptor()
        descriptor["resources"][0]["path"] = path
        errors = _refused(officer, demo.package_build(descriptor=descriptor))
        assert "the resource «budget» must have a name" in errors[0]


def test_an_unexpected_file_is_refused(officer):
    uploads = [*demo.package_build(), ("notes.txt", b"hello")]
    assert _refused(officer, uploads) == [
        "notes.txt is not part of the package: only datapackage.json and the CSV files it "
        "names may be uploaded."
    ]


def test_errors_are_worded_in_kazakh_and_russian(officer):
    descriptor = _descriptor()
    descriptor["model"]["measures"]["planned"]["currency"] = "EUR"
    with pytest.raises(fdp.PackageInvalid) as caught:
        services.budget_publish(actor=officer, organisation_code="kz-mvd",
                                uploads=demo.package_build(descriptor=descriptor))  # fmt: skip
    with translation.override("ru"):
        assert "теңге" not in str(caught.value.errors[0])
        assert "KZT" in str(caught.value.errors[0]) and "тенге" in str(caught.value.errors[0])
    with translation.override("kk"):
        assert "теңге" in str(caught.value.errors[0])


def test_only_the_agencys_officers_and_heads_publish(agencies):
    for user in (member(agencies["kz-health"]), member(agencies["kz-mvd"], "representative")):
        with pytest.raises(Problem) as caught:
            services.budget_publish(actor=user, organisation_code="kz-mvd",
                                    uploads=demo.package_build())  # fmt: skip
        assert caught.value.status == 403
    head = member(agencies["kz-mvd"], "head")
    assert services.budget_publish(actor=head, organisation_code="kz-mvd",
                                   uploads=demo.package_build()).number == 1  # fmt: skip


def test_the_administrator_code_stays_the_agencys(officer):
    services.budget_publish(actor=officer, organisation_code="kz-mvd",
                            uploads=demo.package_build(year=2024))  # fmt: skip
    rows = [{**r, "administrator": "226"} for r in _rows()]
    with pytest.raises(fdp.PackageInvalid) as caught:
        services.budget_publish(actor=officer, organisation_code="kz-mvd",
                                uploads=demo.package_build(rows=rows))  # fmt: skip
    assert "differs from the one this agency published before" in str(caught.value.errors[0])
    assert BudgetVersion.objects.count() == 1


def test_descriptor_copy_is_not_shared():
    assert copy.deepcopy(_descriptor()) == _descriptor()

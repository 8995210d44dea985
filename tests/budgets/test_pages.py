"""The public pages: the overview with totals and execution, an agency's year per programme,
a programme over the years, the charts (PNG) and the package download; the demo budgets; the
open dataset; the back office upload page."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qyzmet.budgets import demo, selectors, services
from qyzmet.budgets.models import BudgetVersion
from qyzmet.core.open_datasets import publishers
from tests.budgets.conftest import member

TIYN = 100_000  # one thousand tenge (the packages' factor) in tiyn


def _rows(*lines):
    """Lines of (programme, sub, planned, adjusted, executed) in thousand tenge."""
    out = []
    for code, sub, planned, adjusted, executed in lines:
        out.append({
            "year": 2025, "administrator": "201", "functional": "0301", "programme": code,
            "programme_kk": f"Бағдарлама {code}", "programme_ru": f"Программа {code}",
            "programme_en": f"Programme {code}", "subprogramme": sub,
            "subprogramme_kk": f"Кіші {sub}" if sub else "",
            "subprogramme_ru": f"Подпрограмма {sub}" if sub else "",
            "planned": planned, "adjusted": adjusted, "executed": executed,
        })  # fmt: skip
    return out


@pytest.fixture
def published(agencies):
    officer = member(agencies["kz-mvd"])
    rows = _rows(("001", "100", 600, 700, 630), ("001", "101", 400, "", 300),
                 ("002", "", 1000, 900, 900))  # fmt: skip
    services.budget_publish(actor=officer, organisation_code="kz-mvd",
                            uploads=demo.package_build(rows=rows))  # fmt: skip
    return officer


def test_totals_and_execution(published):
    detail = selectors.budget_year(slug="ministry-of-internal-affairs", year=2025)
    first, second = detail.programmes
    # 001: planned 600 + 400; adjusted 700 + 400 (no adjustment = planned); executed 630 + 300
    assert (first.totals.planned, first.totals.adjusted, first.totals.executed) == (
        1000 * TIYN, 1100 * TIYN, 930 * TIYN)  # fmt: skip
    assert first.totals.execution_pct == Decimal("84.5")  # 930 / 1100
    assert second.totals.execution_pct == Decimal("100.0")
    assert detail.totals.planned == 2000 * TIYN and detail.totals.adjusted == 2000 * TIYN
    assert detail.totals.execution_pct == Decimal("91.5")  # 1830 / 2000
    [overview] = selectors.budgets_overview()
    assert overview.totals == detail.totals


def test_no_execution_reported_yet(agencies):
    officer = member(agencies["kz-mvd"])
    services.budget_publish(actor=officer, organisation_code="kz-mvd",
                            uploads=demo.package_build(executed_share=None))  # fmt: skip
    [overview] = selectors.budgets_overview()
    assert overview.totals.executed is None and overview.totals.execution_pct is None


def test_public_pages_in_three_languages(published):
    client = Client()
    for lang, words, amount in (("kk", "Бағдарлама 001", "84,5\u00a0%"),
                                ("ru", "Программа 001", "84,5\u00a0%"),
                                ("en", "Programme 001", "84.5\u00a0%")):  # fmt: skip
        client.cookies["django_language"] = lang
        index = client.get("/budgets/")
        assert index.status_code == 200
        assert "91,5" in index.text or "91.5" in index.text
        assert "kz-mvd" not in index.text  # the organisation's code is never shown
        year = client.get("/budgets/ministry-of-internal-affairs/2025/")
        assert year.status_code == 200 and words in year.text and amount in year.text
        assert "<caption>" in year.text and 'scope="col"' in year.text
        programme = client.get("/budgets/ministry-of-internal-affairs/programmes/001/")
        assert programme.status_code == 200 and words in programme.text


def test_charts_render(published):
    client = Client()
    for url in (
        "/budgets/ministry-of-internal-affairs/2025/chart.png",
        "/budgets/ministry-of-internal-affairs/programmes/001/chart.png",
    ):
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert response.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_package_downloads_as_published(published):
    response = Client().get("/budgets/ministry-of-internal-affairs/2025/package.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert sorted(names) == ["budget.csv", "datapackage.json"]


@pytest.mark.parametrize("url", [
    "/budgets/nobody/2025/", "/budgets/ministry-of-internal-affairs/1990/",
    "/budgets/ministry-of-internal-affairs/2025/?version=9",
    "/budgets/ministry-of-internal-affairs/2025/?version=x",
    "/budgets/ministry-of-internal-affairs/programmes/999/",
    "/budgets/ministry-of-internal-affairs/2025/package.zip?version=3",
])  # fmt: skip
def test_unknown_things_are_404(published, url):
    assert Client().get(url).status_code == 404


def test_demo_budgets(agencies):
    today = dt.date(2026, 12, 1)
    assert demo.demo_budgets_ensure(today=today) == 10  # 3 × 3, and a second version
    assert demo.demo_budgets_ensure(today=today) == 0  # idempotent
    overview = selectors.budgets_overview()
    assert {(a.organisation_code, a.fiscal_year) for a in overview} == {
        (code, year) for code in ("kz-mvd", "kz-health", "kz-edu") for year in (2024, 2025, 2026)
    }
    assert all(Decimal(70) < a.totals.execution_pct <= Decimal(100) for a in overview)
    assert BudgetVersion.objects.filter(fiscal_year=2026, number=2).count() == 1


def test_open_dataset(published):
    publisher = next(p for p in publishers() if p.name == "budget-programmes")
    rows = list(publisher.rows())
    assert len(rows) == 6  # two programmes × three phases
    row = next(r for r in rows if r["programme_code"] == "001" and r["phase"] == "executed")
    assert row["amount_kzt"] == "930000" and row["agency_name_en"].startswith("Ministry")
    fields = {f["name"] for f in publisher.schema["fields"]}
    assert all(set(r) == fields for r in rows)


def test_back_office_upload(agencies):
    officer = member(agencies["kz-mvd"])
    client = Client()
    client.force_login(officer)
    assert client.get("/backoffice/open/budgets/").status_code == 200
    files = [SimpleUploadedFile(name, data) for name, data in demo.package_build()]
    response = client.post("/backoffice/open/budgets/upload/", {"package": files})
    assert response.status_code == 302
    assert BudgetVersion.objects.count() == 1
    bad = [SimpleUploadedFile("datapackage.json", b"[1, 2"),
           SimpleUploadedFile("budget.csv", b"year\n2025\n")]  # fmt: skip
    response = client.post("/backoffice/open/budgets/upload/", {"package": bad})
    assert response.status_code == 400 and "datapackage.json" in response.text
    assert BudgetVersion.objects.count() == 1
    response = client.post("/backoffice/open/budgets/upload/",
                           {"package": files, "agency": "kz-health"})  # fmt: skip
    assert response.status_code == 400

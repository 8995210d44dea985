"""The benchmark's smoke mode end to end on SQLite, with tiny numbers: a real gunicorn, real
HTTP load, a JSON report with positive rates and latencies, and no failed request."""

from __future__ import annotations

import json

from bench.cli import main


def test_smoke_run_reports_positive_figures(tmp_path):
    code = main(
        [
            "--smoke", "--db", "sqlite", "--no-docs", "--out", str(tmp_path),
            "--applications", "3000", "--population", "1000", "--citizens", "20",
            "--duration", "2", "--warmup", "0.5", "--samples", "10", "--deep-pages", "3",
            "--clients", "4", "--workers", "2", "--only", "applications",
        ]
    )  # fmt: skip

    assert code == 0
    (report_file,) = tmp_path.glob("*-smoke.json")
    report = json.loads(report_file.read_text())
    assert report["mode"] == "smoke"
    assert report["machine"]["cores"] >= 1
    (result,) = report["results"]
    assert "error" not in result, result.get("error")
    # the demo holds a past year of decided applications (about 2,000): topped up to the figure
    assert result["dataset"]["applications_before"] == 3000

    rates = result["submissions"]
    for name in ("noop", "light_api", "submissions"):
        assert rates[name]["rate_per_s"] > 0, name
        assert rates[name]["errors"] == {}, name
        assert 0 < rates[name]["p50_ms"] <= rates[name]["p95_ms"], name
    assert 0 < rates["ratio_vs_noop"] < 1  # a submission costs more than a static file

    inbox = result["inbox"]
    for page in ("first_page", "deep_page", "raw_sql_first_page", "raw_sql_deep_page"):
        assert inbox[page]["samples"] == 10, page
        assert 0 < inbox[page]["p50_ms"] <= inbox[page]["p95_ms"], page
    assert inbox["deep_page_number"] == 4
    assert result["queries_per_request"]["inbox_page"] > 0
    # the inbox's raw baseline runs the statements the selector sent, one per agency
    assert 1 <= len(inbox["sql_first_page"]) <= 5
    assert all("ORDER BY" in sql for sql in inbox["sql_first_page"])
    assert inbox["first_page"]["server_cpu_ms_per_request"] > 0
    seeding = result["dataset"]["seeding_seconds"]
    assert seeding["total_s"] >= seeding["insert_s"] >= 0

    # portal submissions through the HTML forms: every step counted, a plausible cost each
    portal = result["portal"]
    assert portal["submissions"] == 5
    assert set(portal["statements_by_step"]) == {
        "apply_page",
        "sign_and_submit",
        "code_confirmed",
        "signed_return",
    }
    assert all(n > 0 for n in portal["statements_by_step"].values())
    assert portal["ms_per_submission_in_process"] > 0
    assert result["pgbench"] is None  # SQLite: pgbench only beside PostgreSQL
    assert set(result["verdict"]) >= {"submissions_met", "inbox_met"}

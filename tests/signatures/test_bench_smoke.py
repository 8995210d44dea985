"""`bench/signatures.py` in smoke mode: a real child process, positive figures, a table."""

from bench.signatures import markdown, run


def test_signatures_bench_smoke_reports_positive_rates():
    results = run(smoke=True)
    assert "error" not in results, results
    for key in (
        "raw_sign",
        "cms_sign",
        "raw_verify",
        "cms_verify_integrity",
        "full_verdict",
        "remote_end_to_end",
        "signed_pdf_issue",
    ):
        assert results[key]["per_s"] > 0, key
    assert results["ratio_sign"] > 0 and results["ratio_verify"] > 0
    table = markdown(results)
    assert "CMS (CAdES-BES) detached sign" in table and "signed-PDF issuance" in table

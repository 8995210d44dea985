"""The outputs: a table on stdout, the JSON file, and the results section of docs/benchmarks.md
(between two markers, so the hand-written text around it stays)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"

# Issue 12's targets, for the 2-core machine with PostgreSQL (inbox at 1,000,000 applications).
TARGET_SUBMISSIONS_PER_S = 250.0
TARGET_SQL_PER_SUBMISSION = 15
TARGET_INBOX_P95_MS = 20.0


def verdict(result: dict[str, Any]) -> dict[str, Any]:
    rate = result["submissions"]["submissions"]["rate_per_s"]
    first = result["inbox"]["first_page"]["p95_ms"]
    deep = result["inbox"]["deep_page"]["p95_ms"]
    sub = result["submissions"]
    statements = result["queries_per_request"]["submission"]
    return {
        "submissions_per_s": rate,
        "submissions_met": rate >= TARGET_SUBMISSIONS_PER_S,
        "cpu_bound_per_s": sub["idle_machine_estimate_per_s"],
        "cpu_bound_met": (sub["idle_machine_estimate_per_s"] or 0) >= TARGET_SUBMISSIONS_PER_S,
        "sql_per_submission": statements,
        "sql_met": statements <= TARGET_SQL_PER_SUBMISSION,
        "applications": result["dataset"]["applications_before"],
        "inbox_p95_ms": max(first, deep),
        "inbox_met": max(first, deep) <= TARGET_INBOX_P95_MS,
    }


_PLAN_KEYS = ("SEARCH", "SCAN", "Index", "Filter", "Rows Removed", "Execution Time", "Sort")


def _plan_lines(plan: list[str]) -> list[str]:
    """The lines of a plan that say which index is used and how many rows were thrown away."""
    return [line.rstrip() for line in plan if any(key in line for key in _PLAN_KEYS)][:8]


def _num(value: float | None, spec: str) -> str:
    """A ratio or estimate that may be missing (a baseline of zero requests): shown as '–'."""
    return "–" if value is None else format(value, spec)


def _ms(block: dict[str, Any], role: str) -> str:
    value = block.get(f"{role}_cpu_ms_per_request")
    return "–" if value is None else f"{value:.1f}"


def _rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(measure, value, baseline/ratio) rows of one database's result."""
    s, i = result["submissions"], result["inbox"]
    sub, noop, light = s["submissions"], s["noop"], s["light_api"]

    def errs(block: dict) -> str:
        return f", errors {block['errors']}" if block["errors"] else ""

    def lat(block: dict, digits: int = 1) -> str:
        return f"{block['p50_ms']:.{digits}f} / {block['p95_ms']:.{digits}f} ms"

    q = result["queries_per_request"]
    portal, pgbench = result.get("portal"), result.get("pgbench")
    extra = []
    if portal:
        extra.append((
            "Portal submission (apply page + sign and submit + code + signed return), in-process",
            f"{portal['ms_per_submission_in_process']:.1f} ms, "
            f"{portal['statements_per_submission']:.0f} SQL statements",
            f"{portal['cpu_bound_estimate_per_s']:.1f}/s if the cores did only this; statements "
            f"by step {portal['statements_by_step']}",
        ))  # fmt: skip
    if "server_cpu_ms_per_request" in i["first_page"]:
        first, deep = i["first_page"], i["deep_page"]
        extra.append((
            "CPU per inbox page: server / database (first page; deep page)",
            f"{_ms(first, 'server')} / {_ms(first, 'database')} ms; "
            f"{_ms(deep, 'server')} / {_ms(deep, 'database')} ms",
            "what a page costs whatever else the machine does; the p95 adds the waits for a core",
        ))  # fmt: skip
    if pgbench:
        extra.append((
            "pgbench read-write, same server, same run",
            f"{pgbench['tps']:.0f} transactions/s",
            f"{pgbench['clients']} clients, {pgbench['seconds']} s, scale {pgbench['scale']}",
        ))  # fmt: skip
    seeding = result["dataset"].get("seeding_seconds")
    if seeding:
        extra.append((
            "Seeding the applications (before the timed part)",
            f"{seeding.get('total_s', 0):.0f} s",
            ", ".join(f"{k.removesuffix('_s')} {v:.0f} s" for k, v in seeding.items()
                      if k != "total_s"),
        ))  # fmt: skip
    return [
        (
            "Submissions/s (POST /api/v1/applications, 201 only)",
            f"{sub['rate_per_s']:.1f}{errs(sub)}",
            f"{_num(s['ratio_vs_noop'], '.3f')} × no-op ({noop['rate_per_s']:.0f}/s "
            f"{noop['path']}); {_num(s['ratio_vs_light_api'], '.2f')} × light API read "
            f"({light['rate_per_s']:.0f}/s {light['path']})",
        ),
        (
            "Submission latency p50 / p95 under load",
            f"{sub['p50_ms']:.0f} / {sub['p95_ms']:.0f} ms",
            f"{sub['clients']} concurrent clients; no-op p50 {noop['p50_ms']:.1f} ms",
        ),
        (
            "Inbox first page p50 / p95 (25 rows)",
            lat(i["first_page"]) + errs(i["first_page"]),
            f"{_num(i['p95_ratio_first_vs_raw_sql'], '.1f')} × raw SQL p95 "
            f"(raw SQL p50 / p95 {lat(i['raw_sql_first_page'], 2)})",
        ),
        (
            f"Inbox page {i['deep_page_number']} p50 / p95 (cursor)",
            lat(i["deep_page"]) + errs(i["deep_page"]),
            f"{_num(i['p95_ratio_deep_vs_raw_sql'], '.1f')} × raw SQL p95 "
            f"(raw SQL p50 / p95 {lat(i['raw_sql_deep_page'], 2)})",
        ),
        (
            "CPU per submission: server / database / load generator",
            f"{_ms(sub, 'server')} / {_ms(sub, 'database')} / {_ms(sub, 'load_generator')} ms",
            f"no-op: {_ms(noop, 'server')} / {_ms(noop, 'database')} / "
            f"{_ms(noop, 'load_generator')} ms",
        ),
        (
            "Submissions/s if server + database had the cores alone",
            _num(s["idle_machine_estimate_per_s"], ".1f"),
            "cores ÷ (server + database CPU per submission): independent of other load",
        ),
        (
            "SQL statements per request",
            f"submission {q['submission']}, inbox page {q['inbox_page']}",
            "counted in-process on the same code path",
        ),
        *extra,
    ]


def table(report: dict[str, Any]) -> str:
    lines = []
    for result in report["results"]:
        if "error" in result:
            lines.append(f"\n{result['label']}: FAILED — {result['error']}")
            continue
        ds = result["dataset"]
        lines.append(
            f"\n{result['label']}: {result['database']}, {result['server']['description']}, "
            f"{ds['applications_before']:,} applications ({ds['open_for_kz_mvd']:,} open in the "
            f"kz-mvd inbox), {ds['citizens']} citizens"
        )
        rows = _rows(result)
        width = max(len(r[0]) for r in rows)
        value_width = max(len(r[1]) for r in rows)
        for measure, value, baseline in rows:
            lines.append(f"  {measure:<{width}}  {value:>{value_width}}  {baseline}")
        v = result["verdict"]
        lines.append(
            f"  target ≥ {TARGET_SUBMISSIONS_PER_S:.0f} submissions/s: "
            f"{'met' if v['submissions_met'] else 'NOT met'}; target inbox p95 ≤ "
            f"{TARGET_INBOX_P95_MS:.0f} ms: {'met' if v['inbox_met'] else 'NOT met'}"
        )
    return "\n".join(lines)


def markdown(report: dict[str, Any], json_path: str) -> str:
    m = report["machine"]
    out = [
        START,
        "",
        f"_Written by `make bench` on {report['started_at']} (mode: {report['mode']}); "
        f"raw figures in `{json_path}` (not committed)._",
        "",
        f"**Machine:** {m['cpu_model']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, {m['os']}; "
        f"Python {m['python']}, Django {m['django']}, gunicorn {m['gunicorn']}, "
        + ", ".join(r["database"] for r in report["results"] if "database" in r)
        + ".",
        "",
        f"**Load average** (other work on the shared machine) at the start: "
        f"{m['load_average_at_start']}, at the end: {m.get('load_average_at_end')}.",
        "",
    ]
    for result in report["results"]:
        if "error" in result:
            out += [f"### {result['label']}", "", f"Failed: `{result['error']}`", ""]
            continue
        ds = result["dataset"]
        out += [
            f"### {result['label']} — {result['database']}",
            "",
            f"{ds['applications_before']:,} applications before the timed part "
            f"({ds['open_for_kz_mvd']:,} open in the kz-mvd inbox), {ds['citizens']} citizens "
            f"submitting; server: {result['server']['description']}; "
            f"{result['submissions']['submissions']['clients']} concurrent clients for "
            f"{result['submissions']['submissions']['duration_s']:.0f} s per rate.",
            "",
            "| Measure | Result | Baseline in the same run |",
            "| --- | --- | --- |",
        ]
        out += [f"| {a} | {b} | {c} |" for a, b, c in _rows(result)]
        out += ["", "Query plans of the inbox page (first page, then the deep page):", "", "```"]
        out += _plan_lines(result["inbox"]["plan_first_page"])
        out += ["---", *_plan_lines(result["inbox"]["plan_deep_page"]), "```", ""]
    out += ["### Targets (PostgreSQL)", ""]
    pg = [r for r in report["results"] if r.get("label") == "postgres" and "verdict" in r]
    if not pg:
        out.append("PostgreSQL was not measured in this run.")
    else:
        v = pg[0]["verdict"]
        out += [
            f"- ≥ {TARGET_SUBMISSIONS_PER_S:.0f} submissions/s as measured: **"
            f"{'met' if v['submissions_met'] else 'not met'}** ({v['submissions_per_s']:.1f}/s).",
            f"- ≥ {TARGET_SUBMISSIONS_PER_S:.0f} submissions/s CPU-bound: **"
            f"{'met' if v.get('cpu_bound_met') else 'not met'}** ({v.get('cpu_bound_per_s')}/s).",
            f"- ≤ {TARGET_SQL_PER_SUBMISSION} SQL statements per submission: **"
            f"{'met' if v.get('sql_met') else 'not met'}** ({v.get('sql_per_submission')}).",
            f"- Inbox p95 ≤ {TARGET_INBOX_P95_MS:.0f} ms at {v.get('applications', 0):,} "
            "applications: **"
            f"{'met' if v['inbox_met'] else 'not met'}** (worst page p95 "
            f"{v['inbox_p95_ms']:.1f} ms).",
        ]
    out += ["", END]
    return "\n".join(out)


def docs_update(report: dict[str, Any], json_path: str, docs: Path = DOCS) -> None:
    """Replace the results section; the hand-written parts of the page stay as they are."""
    section = markdown(report, json_path)
    text = docs.read_text(encoding="utf-8") if docs.exists() else "# Benchmarks\n"
    if START not in text or END not in text:
        text = text.rstrip() + f"\n\n## Results\n\n{START}\n{END}\n"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    docs.write_text(pattern.sub(lambda _: section, text), encoding="utf-8")

"""Every API operation and every page must appear in some area's authorization matrix
(`MATRIX` in tests/security/test_authz_*.py: rows of (kind, method, path, body, expectations))."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from django.urls import get_resolver

from qyzmet.api.api import api

HERE = Path(__file__).parent


def _rows(kind: str) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for module_path in sorted(HERE.glob("test_authz_*.py")):
        module = importlib.import_module(f"tests.security.{module_path.stem}")
        rows.extend((row[1], row[2]) for row in getattr(module, "MATRIX", []) if row[0] == kind)
    return rows


def _shape(path: str) -> str:
    """/x/{id}/y and /x/<int:id>/y both become /x/{}/y."""
    path = re.sub(r"<(?:\w+:)?\w+>", "{}", path)
    return re.sub(r"\{[^}]*\}", "{}", path)


def _matches(route: str, method: str | None, rows: list[tuple[str, str]]) -> bool:
    """A route is covered when some row's path fits it: each route parameter matches exactly one
    path segment of the row (a placeholder like {case} or a literal like a service code)."""
    pattern = "^" + "[^/]+".join(re.escape(part) for part in _shape(route).split("{}")) + "$"
    return any((method is None or m == method) and re.match(pattern, p) for m, p in rows)


def test_every_api_operation_is_in_a_matrix():
    rows = _rows("api")
    missing = [
        f"{method.upper()} {path}"
        for path, ops in api.get_openapi_schema()["paths"].items()
        for method in ops
        if not _matches(path, method, rows)
    ]
    assert missing == []


def _pages() -> set[str]:
    found: set[str] = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif not (prefix + str(p.pattern)).startswith("api/v1/"):
                found.add("/" + prefix + str(p.pattern))

    walk(get_resolver().url_patterns)
    return found


def test_every_page_is_in_a_matrix():
    rows = _rows("page")
    missing = sorted(page for page in _pages() if not _matches(page, None, rows))
    assert missing == []

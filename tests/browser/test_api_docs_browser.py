"""/api/v1/docs in a real Chromium that enforces the site's Content-Security-Policy (this
context does not bypass it, unlike the journey tests that inject axe): Swagger UI starts from
the project's own static files, lists every operation of the OpenAPI document, and the browser
reports no CSP violation and no script error."""

from __future__ import annotations

import pytest

from qyzmet.api.api import api

from .conftest import RUN_BROWSER, SKIP_REASON, TIMEOUT_MS, WIDE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not RUN_BROWSER, reason=SKIP_REASON),
]

# Collects the browser's own CSP reports before any page script runs (an init script is
# evaluated by the browser, not inserted as an inline <script>, so the CSP does not block it).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def _operation_count() -> int:
    methods = {"get", "put", "post", "delete", "patch"}
    paths = api.get_openapi_schema()["paths"].values()
    return sum(1 for ops in paths for method in ops if method in methods)


@pytest.fixture
def strict_page(browser, live_server):
    """A tab that enforces CSP, with every console message and page error kept."""
    context = browser.new_context(base_url=live_server.url, bypass_csp=False, viewport=WIDE)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.add_init_script(RECORD_VIOLATIONS)
    tab.console_messages_seen = []
    tab.page_errors_seen = []
    tab.on("console", lambda message: tab.console_messages_seen.append(message))
    tab.on("pageerror", lambda error: tab.page_errors_seen.append(str(error)))
    yield tab
    context.close()


def test_swagger_ui_lists_every_operation_under_the_strict_csp(strict_page):
    from playwright.sync_api import expect

    page = strict_page
    response = page.goto("/api/v1/docs")
    assert response is not None and response.ok
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Qyzmet API")
    operations = page.locator(".opblock .opblock-summary-path")
    expect(operations.first).to_be_visible()
    expect(operations).to_have_count(_operation_count())
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/catalog/services").first
           ).to_be_visible()  # fmt: skip
    # Open one operation: its parameters and responses render too (more of Swagger UI's code).
    page.locator(".opblock-summary-path", has_text="/api/v1/catalog/services/{code}").click()
    expect(page.locator(".opblock.is-open .responses-wrapper")).to_be_visible()

    violations = page.evaluate("window.__cspViolations")
    csp_console = [
        m.text for m in page.console_messages_seen if "Content Security Policy" in m.text
    ]
    errors = [m.text for m in page.console_messages_seen if m.type == "error"]
    assert violations == []
    assert csp_console == []
    assert errors == []
    assert page.page_errors_seen == []


def test_the_same_page_does_report_a_violation_when_inline_script_is_tried(strict_page):
    """The check above can fail: an inline script added to the page is refused and reported."""
    page = strict_page
    page.goto("/api/v1/docs")
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.__ran = true;"; document.body.appendChild(s); }"""
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__ran === undefined")
    assert any(v.startswith("script-src") for v in page.evaluate("window.__cspViolations"))

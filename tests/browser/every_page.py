"""What "every page" means for the browser suite, and the detectors it runs on each page.

`PAGES` lists every HTML page a person sees (by URL name), who sees it and how its arguments are
filled from the demo data; `EXCLUDED` (by URL name) and `EXCLUDED_PREFIXES` (whole mounts) list,
with the reason, every URL pattern that is not such a page. `url_inventory()` reads the project's
resolver, so a URL pattern added without a line in one of the two lists fails the suite (see
test_every_page.py) — "every page" stays true as the site grows.

The detectors work on what a person reads: `innerText` for code-shaped tokens, visible text nodes
for untranslated English strings (the msgids of our own catalogues)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polib

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "qyzmet"
LANGS = ("kk", "ru", "en")
WIDTHS = (1280, 320)

# --- the pages --------------------------------------------------------------------------------


def _this_year() -> int:
    import datetime as dt

    return dt.date.today().year


@dataclass(frozen=True)
class Page:
    """A page of the site: the role that sees it, and its URL arguments from the demo `world`
    (a dict filled once by the suite's setup: ids of a case, an appeal, a document...)."""

    role: str  # anonymous | citizen | officer (the desk) | appeals (appeals desk, AI) | head |
    # finance (an agency's finance officer) | treasury (the platform's)
    kwargs: Callable[[dict[str, Any]], dict[str, Any]] = lambda world: {}
    query: str = ""
    # A page that needs a session in a given state (half signed in; answers waiting for their
    # check): the suite prepares a fresh session of that kind for each language.
    prepared: str = ""


PAGES: dict[str, Page] = {
    # Public
    "home": Page("anonymous"),
    "service-list": Page("anonymous"),
    "service-detail": Page("anonymous", lambda w: {"code": w["service"]}),
    "login": Page("anonymous"),
    "login-code": Page("anonymous", prepared="signing-in"),
    "dev-otp": Page("anonymous"),  # the demo's SMS inbox, linked from the sign-in page
    "signature-verify": Page("anonymous"),
    "document-verify": Page("anonymous", lambda w: {"public_id": w["document"]}),
    "algorithms": Page("anonymous"),
    "performance": Page("anonymous"),
    "performance-method": Page("anonymous"),
    "performance-agency": Page("anonymous", lambda w: {"slug": w["performance_agency"]}),
    # Citizen
    "apply": Page("citizen", lambda w: {"code": w["service"]}),
    "apply-check": Page("citizen", lambda w: {"code": w["service"]}, prepared="answers"),
    "signature-confirm": Page("citizen", lambda w: {"request_id": w["signature_request"]}),
    "my-application-submitted": Page("citizen", lambda w: {"application_id": w["application"]}),
    "my-applications": Page("citizen"),
    "my-application": Page("citizen", lambda w: {"application_id": w["application"]}),
    # Withdrawing: the confirmation of a passport application waiting for its fee
    "my-application-withdraw": Page("citizen", lambda w: {"application_id": w["withdrawable"]}),
    "appeal-new": Page("citizen"),
    "my-appeals": Page("citizen"),
    "my-appeal": Page("citizen", lambda w: {"appeal_id": w["appeal"]}),
    "my-notifications": Page("citizen"),
    "my-consents": Page("citizen"),
    "my-data": Page("citizen"),
    # The citizen's payments: a fee due (the ways to pay, the invoice) and one paid (the return
    # page as the card page leaves the payer there: paid, with the receipt)
    "my-payments": Page("citizen"),
    "my-payment": Page("citizen", lambda w: {"public_id": w["payment_due"]}),
    "my-payment-invoice": Page("citizen", lambda w: {"public_id": w["payment_due"]}),
    "my-payment-return": Page("citizen", lambda w: {"public_id": w["payment_paid"]}),
    # Officer: the applications desk
    "bo-inbox": Page("officer"),
    "bo-case": Page("officer", lambda w: {"application_id": w["case"]}),
    "bo-decided": Page(
        "officer",
        lambda w: {"application_id": w["approved"], "request_id": w["approval_signature"]},
    ),
    # Appeals desk, triage, analytics, the AI models (an officer holding those roles)
    "bo-appeals-inbox": Page("appeals"),
    "bo-appeals-triage": Page("appeals"),
    "bo-appeals-analytics": Page("appeals"),
    "bo-appeal": Page("appeals", lambda w: {"appeal_id": w["bo_appeal"]}),
    "bo-ai": Page("appeals"),
    "bo-ai-model": Page("appeals", lambda w: {"version_id": w["model_version"]}),
    "bo-ai-run": Page("appeals", lambda w: {"run_id": w["training_run"]}),
    "bo-ai-suggestions": Page("appeals"),
    # Open legal acts: the public pages and the agency's (a head of the publishing agency)
    "legal-acts": Page("anonymous"),
    "legal-acts-policy": Page("anonymous"),
    "legal-act": Page("citizen", lambda w: {"act_id": w["legal_act"]}),
    "legal-act-diff": Page("anonymous", lambda w: {"act_id": w["legal_act"]}, query="?from=1&to=2"),
    "bo-legal-acts": Page("head"),
    "bo-legal-act-new": Page("head"),
    "bo-legal-act": Page("head", lambda w: {"act_id": w["legal_act"]}),
    "bo-legal-act-edit": Page("head", lambda w: {"act_id": w["legal_act"]}),
    # Head of an agency: the exchange access rights of their organisation
    "bo-exchange-rights": Page("head"),
    # Open dialogue: the public pages, the asker's, and the agency's inbox and moderation
    "dialogue-list": Page("anonymous"),
    "dialogue-policy": Page("anonymous"),
    "dialogue-agency": Page("anonymous", lambda w: {"organisation": w["dialogue_agency"]}),
    "dialogue-question": Page("anonymous", lambda w: {"question_id": w["dialogue_question"]}),
    "dialogue-ask": Page("citizen"),
    "dialogue-mine": Page("citizen"),
    "bo-dialogue-inbox": Page("officer"),
    "bo-dialogue-moderation": Page("officer"),
    "bo-dialogue-question": Page("officer", lambda w: {"question_id": w["bo_dialogue_question"]}),
    # Open data: the public catalogue and a dataset; the agency's datasets and upload form
    "opendata-list": Page("anonymous"),
    "opendata-dataset": Page("anonymous", lambda w: {"name": w["opendata_dataset"]}),
    "bo-opendata": Page("officer"),
    "bo-opendata-upload": Page("officer"),
    "bo-opendata-dataset": Page("officer", lambda w: {"name": w["bo_opendata_dataset"]}),
    "bo-opendata-upload-version": Page("officer", lambda w: {"name": w["bo_opendata_dataset"]}),
    # Open budgets: the demo's Ministry of Internal Affairs (this year: two versions published)
    "budgets": Page("anonymous"),
    "budgets-year": Page("anonymous", lambda w: {"agency": "ministry-of-internal-affairs",
                                                 "year": _this_year()}),
    "budgets-programme": Page("anonymous", lambda w: {"agency": "ministry-of-internal-affairs",
                                                      "code": "001"}),
    "bo-budgets": Page("officer"),
    # The finance desk (a finance officer of the migration service, whose fees are the passport's;
    # the bank statements and the reconciliation, every agency's money, are the treasury's)
    "bo-finance": Page("finance"),
    "bo-finance-payment": Page("finance", lambda w: {"public_id": w["finance_payment"]}),
    "bo-finance-refunds": Page("finance", query="?state=all"),
    "bo-finance-statements": Page("treasury"),
    "bo-finance-statement": Page("treasury", lambda w: {"statement_id": w["finance_statement"]}),
    "bo-finance-lines": Page("treasury"),
    "bo-finance-line": Page("treasury", lambda w: {"line_id": w["finance_line"]}),
    "bo-finance-reconciliation": Page("treasury"),
    "bo-finance-reconciliation-day": Page("treasury", lambda w: {"day": w["finance_day"]}),
    "bo-finance-revenue": Page("finance"),
}

# Whole mounts that serve machines, not people (every pattern under them).
EXCLUDED_PREFIXES: dict[str, str] = {
    "api/3/": "the CKAN-compatible Action API over the open data catalogue (JSON)",
    "api/v1/": "the JSON API and its OpenAPI/docs pages (the docs page has its own browser test)",
    "r1/": "the exchange gateway (X-Road style signed messages between systems)",
    "data/": "the GovStack Digital Registries Data API (JSON)",
    "pki/": "CA certificates, CRLs, OCSP and the timestamp authority (DER/binary)",
    "open311/v2/": "Open311 GeoReport v2 (JSON/XML for other systems)",
    "i18n/": "set_language: POST-only, redirects back to the page",
}

# Single patterns that are not pages a person reads.
EXCLUDED: dict[str, str] = {
    "favicon": "an image",
    "performance-chart": "a chart PNG; its numbers are in the table beside it on the agency page",
    "opendata-download": "an open dataset's CSV/JSON file (tests/opendata/test_downloads.py)",
    "opendata-download-latest": "redirects to the current version's file",
    "opendata-datapackage": "a Data Package descriptor (JSON)",
    "opendata-datapackage-latest": "redirects to the current version's Data Package",
    "opendata-dcat-jsonld": "the DCAT-AP catalogue in JSON-LD (tests/opendata/test_dcat.py)",
    "opendata-dcat-ttl": "the DCAT-AP catalogue in Turtle (tests/opendata/test_dcat.py)",
    "ckan-action-unversioned": "the CKAN Action API at /api/action/ (JSON)",
    "logout": "POST-only, redirects",
    "my-notification-read": "POST-only, redirects to the notification's target",
    "apply-signed": "the signing page's return address: submits and redirects (GET, idempotent)",
    "my-application-answer": "POST-only, redirects to the application",
    "my-application-result": "the result PDF",
    "my-application-signature": "a signature download (.p7s / signed payload)",
    "signature-download": "a signature download (.p7s)",
    "my-appeal-photo": "an image (the citizen's own photo)",
    "my-appeal-rate": "POST-only, redirects to the appeal",
    "my-appeal-reopen": "POST-only, redirects to the appeal",
    "algorithms-confusion": "a PNG chart",
    "appeals-place-search": "JSON for the map's address search",
    "appeals-map-outlines": "GeoJSON: the map's district outlines",
    "my-consent-give": "POST-only, redirects to the consents",
    "my-consent-withdraw": "POST-only, redirects to the consents",
    "my-payment-card": "POST-only, redirects (303) to the card acquirer's page",
    "my-payment-receipt": "the signed receipt PDF (tests/browser/test_payment_browser.py)",
    "bo-act": "POST-only, redirects to the case or to the signing page",
    "bo-decide-signed": "the signing page's return address: applies the decision, redirects",
    "bo-case-signature": "a signature download",
    "bo-evidence-refetch": "POST-only, redirects to the case",
    "bo-attachment": "a file download (the citizen's attachment)",
    "bo-appeals-chart": "a PNG chart",
    "bo-appeal-act": "POST-only, redirects to the appeal",
    "bo-appeal-photo": "an image",
    "bo-ai-confusion": "a PNG chart",
    "bo-ai-activate": "POST-only, redirects",
    "bo-ai-rollback": "POST-only, redirects",
    "bo-ai-threshold": "POST-only, redirects",
    "bo-ai-train": "POST-only, redirects to the run's page",
    "dialogue-rate": "POST-only, redirects to the question",
    "dialogue-same": "POST-only, redirects to the question",
    "bo-dialogue-moderate": "POST-only, redirects to the moderation queue",
    "bo-dialogue-answer": "POST-only, redirects to the question",
    "legal-act-summary": "the sealed summary PDF (checked in tests/participation)",
    "bo-legal-act-publish": "POST-only, redirects to the draft",
    "bo-legal-act-moderate": "POST-only, redirects to the draft",
    "bo-legal-act-answer": "POST-only, redirects to the draft",
    "bo-legal-act-summary": "POST-only, redirects to the draft",
    "bo-exchange-grant": "POST-only, redirects",
    "bo-exchange-revoke": "POST-only, redirects",
    "budgets-year-chart": "a chart PNG; its numbers are in the table beside it",
    "budgets-programme-chart": "a chart PNG; its numbers are in the table beside it",
    "budgets-package": "the Fiscal Data Package as published (zip; tests/budgets)",
    "bo-budgets-upload": "POST-only, redirects to the budgets page (or shows its errors)",
    "bo-finance-export": "the filtered payments as CSV (tests/payments/test_finance_desk.py)",
    "bo-finance-refund-request": "POST-only, redirects to the payment (or shows its errors)",
    "bo-finance-refund-decide": "POST-only, redirects to the refunds",
    "bo-finance-statement-upload": "POST-only, redirects to the statement (or shows the problems)",
    "bo-finance-reconcile": "POST-only, redirects to the day's reconciliation",
    "bo-finance-revenue-chart": "a chart PNG; its numbers are in the table beside it",
}


def url_inventory() -> Iterator[tuple[str, str]]:
    """(route, name) of every URL pattern of the project, the route with its mount prefixes;
    an unnamed pattern gets its route as its name."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix: str) -> Iterator[tuple[str, str]]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield route, pattern.name or route

    yield from walk(get_resolver().url_patterns, "")


def unlisted_patterns() -> list[str]:
    """URL patterns in neither list: a new page needs a line in PAGES, anything else in
    EXCLUDED — with the reason it is not a page a person reads."""
    missing = []
    for route, name in url_inventory():
        if route.startswith(tuple(EXCLUDED_PREFIXES)):
            continue
        if name not in PAGES and name not in EXCLUDED:
            missing.append(f"{name} ({route})")
    return missing


# --- code-shaped tokens -----------------------------------------------------------------------

# Shown on purpose, removed before looking for codes: e-mail addresses and links written out.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\bhttps?://\S+")
# Identifier shapes: snake_case, dotted lowercase (kz.address-certificate), kebab-case.
_SNAKE = re.compile(r"(?<![\w.-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])")
_DOTTED = re.compile(r"(?<![\w.-])[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*)+(?![\w-])")
_KEBAB = re.compile(r"(?<![\w.-])[a-z][a-z0-9]*(?:-[a-z0-9]+)+(?![\w-])")
_JSON = re.compile(r"[{\[]\s*\"")
# Justified exceptions: "e-mail" is a word in all three languages; "a.m"/"p.m" are English
# times of day; "openssl" is the name of a program (the signature check names it as a tool a
# person may have used); file names a person downloads are matched by _FILE_NAME(S).
ALLOWED_TOKENS = frozenset({"e-mail", "a.m", "p.m", "openssl"})
_FILE_NAME = re.compile(r"\.(?:pdf|png|p7s|json|csv|xml)$")
_FILE_NAMES = re.compile(r"(?<![\w.-])[\w-]+\.(?:pdf|png|p7s|json|csv|xml)\b")


def code_tokens(text: str, *, lang: str, known_codes: frozenset[str]) -> list[str]:
    """The code-shaped tokens in `text` (a page's innerText in `lang`).

    snake_case, dotted lowercase identifiers and raw JSON are never prose. Lowercase Latin
    kebab-case is never prose in Kazakh or Russian; in English ("sign-in", "one-time") it is
    flagged when it holds a digit or is one of the codes the platform knows (organisations,
    services, categories). On kk/ru pages any lowercase Latin word is flagged too: a status or
    other code (`registered`, `routed`) or a word left in English."""
    text = _FILE_NAMES.sub(" ", _URL.sub(" ", _EMAIL.sub(" ", text)))
    found: list[str] = []
    for match in _SNAKE.finditer(text):
        found.append(match.group())
    for match in _DOTTED.finditer(text):
        token = match.group()
        if token not in ALLOWED_TOKENS and not _FILE_NAME.search(token):
            found.append(token)
    for match in _KEBAB.finditer(text):
        token = match.group()
        if token in ALLOWED_TOKENS:
            continue
        if lang != "en" or token in known_codes or re.search(r"\d", token):
            found.append(token)
    if _JSON.search(text):
        found.append("raw JSON")
    if lang != "en":
        # A lowercase Latin word in Kazakh or Russian prose is a code (`registered`, `approve`)
        # or an untranslated word; proper names and abbreviations are capitalised.
        for word in re.findall(r"(?<![\w.-])[a-z]{3,}(?![\w-])", text):
            if word not in ALLOWED_TOKENS:
                found.append(word)
    return sorted(set(found))


# --- untranslated strings ---------------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def english_msgids(lang: str) -> frozenset[str]:
    """The English source strings of our catalogues whose `lang` translation differs from them
    (a msgid translated as itself — "PDF", "QR" — is not a gap); placeholders left out, since a
    rendered string no longer contains them."""
    found = set()
    for path in PACKAGE.rglob(f"locale/{lang}/LC_MESSAGES/*.po"):
        for entry in polib.pofile(str(path)):
            if entry.obsolete or entry.msgid_plural or "%" in entry.msgid or "{" in entry.msgid:
                continue
            msgid = normalise(entry.msgid)
            if re.search(r"[A-Za-z]{2}", msgid) and normalise(entry.msgstr) != msgid:
                found.add(msgid)
    return frozenset(found)


# Visible text nodes (their rendered parent), each normalised; run in the page.
VISIBLE_TEXTS_JS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (!text) continue;
    const parent = node.parentElement;
    if (!parent || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(parent.tagName)) continue;
    if (parent.closest('[lang]').lang !== document.documentElement.lang) continue;
    if (!parent.checkVisibility({visibilityProperty: true})) continue;
    out.push(text);
  }
  return out;
}"""


# What a person reads (innerText), less the passages marked as another language on purpose (the
# document's title in all three languages on the verify page, the language switch's options).
PAGE_TEXT_JS = """() => {
  let text = document.body.innerText;
  const lang = document.documentElement.lang;
  for (const el of document.body.querySelectorAll('[lang]')) {
    if (el.lang !== lang && el.innerText) text = text.replace(el.innerText, ' ');
  }
  return text;
}"""

# The last few elements that stick out past the right edge (what makes the page scroll).
OVERFLOWING_JS = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(-3)
  .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : '')
            + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')"""

# Two animation frames after a resize: media-query listeners have run and the layout settled.
SETTLED_JS = """() => new Promise(
  done => requestAnimationFrame(() => requestAnimationFrame(done)))"""

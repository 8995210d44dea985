"""Every page a person sees, in Kazakh, Russian and English, at 1280 and 320 CSS px: no axe-core
violation of any impact (WCAG 2.1 A/AA rules), no horizontal scrolling (WCAG 1.4.10 reflow), no
internal code in the visible text, no English string of our catalogues on a kk or ru page.

"Every page" is checked, not assumed: the project's URL patterns are read from the resolver and
each is either a page in `every_page.PAGES` or excluded, with the reason, in
`every_page.EXCLUDED`; a new pattern in neither list fails `test_every_url_pattern_is_listed`.

The matrix is one test on one demo world (loading the demo is the slow part): one browser context
per role, each page loaded once per language and looked at in both widths; every failure of every
page is collected and reported together, so one run tells all there is to fix.

`test_ux_screenshots` runs when `QYZMET_UX_DIR` is set (`make screenshots` sets it to docs/ux):
it writes small PNGs of the main pages in Kazakh at both widths there."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.browser import every_page as ep
from tests.browser.conftest import (  # noqa: F401 — fixtures
    RUN_BROWSER,
    SKIP_REASON,
    WCAG_TAGS,
    demo_world,
    latest_sms_code,
)
from tests.e2e.conftest import PASSWORD

UX_DIR = os.environ.get("QYZMET_UX_DIR", "")
# The main pages for docs/ux/ (file name stem -> page name), in Kazakh.
UX_PAGES = {
    "home": "home",
    "catalogue": "service-list",
    "service": "service-detail",
    "apply-form": "apply",
    "check-answers": "apply-check",
    "sign": "signature-confirm",
    "my-applications": "my-applications",
    "my-application": "my-application",
    "appeal": "my-appeal",
    "officer-inbox": "bo-inbox",
    "officer-case": "bo-case",
    "appeals-analytics": "bo-appeals-analytics",
    "verify": "document-verify",
}


# On a phone (800 px high here) the header leaves the page most of the screen: at most a
# fifth of it, whoever is signed in (a menu that collapses, not five rows of links).
HEADER_MAX_PX = 160


def test_every_url_pattern_is_listed():
    missing = ep.unlisted_patterns()
    assert not missing, (
        "URL patterns neither in tests/browser/every_page.py PAGES (a page a person sees: "
        "add how to fill its arguments and who sees it) nor in EXCLUDED (say why it is not "
        "a page):\n" + "\n".join(missing)
    )


def test_every_listed_name_still_exists():
    names = {name for __, name in ep.url_inventory()}
    stale = sorted((set(ep.PAGES) | set(ep.EXCLUDED)) - names)
    assert not stale, f"listed but no longer a URL name: {stale}"


# --- the demo world the pages are filled from -------------------------------------------------


def _in_thread(fn) -> Any:
    """Run service calls in a thread of their own (Playwright's loop runs in this one, and some
    work is done when the transaction commits)."""
    result: list[Any] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # re-raised in the test thread
            failures.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if failures:
        raise failures[0]
    return result[0]


def _world(people) -> tuple[dict[str, Any], dict[str, str]]:
    """Ids for the pages' arguments, and the IIN of each role. Adds what the demo does not
    have: an issued document (an officer's signed approval), a pending signature for the
    citizen, a registered model version with its metrics and a finished training run."""
    from qyzmet.ai import services as ai_services
    from qyzmet.appeals.models import Appeal
    from qyzmet.applications import selectors as app_selectors
    from qyzmet.applications import services as app_services
    from qyzmet.applications.models import Application
    from qyzmet.dialogue.models import Question
    from qyzmet.documents.models import Document
    from qyzmet.identity.models import Membership, User
    from qyzmet.participation.models import LegalAct
    from qyzmet.signatures.services import signature_confirm

    citizen = User.objects.get(iin=people.citizen_a)
    officer = User.objects.get(iin=people.officer_mvd)
    appeals_user = Membership.objects.filter(role="ai_admin").select_related("user").first().user
    cases = app_selectors.inbox_list(user=officer).items
    in_review = [c for c in cases if c.state == "in_review"]
    to_approve, to_show = in_review[0], in_review[-1] if len(in_review) > 1 else cases[0]

    def approve() -> str:
        request = app_services.application_decision_sign(
            actor=officer, application_id=to_approve.pk, action="approve"
        )
        signature_confirm(actor=officer, request_id=request.id,
                          code=latest_sms_code(officer.iin))  # fmt: skip
        app_services.application_act(actor=officer, application_id=to_approve.pk,
                                     action="approve", signature_request_id=request.id)  # fmt: skip
        return request.id

    approval_signature = _in_thread(approve)

    def prepare_signature():
        return app_services.application_submission_sign(
            actor=citizen, service_code="kz.address-certificate", data={"purpose": "bank"}
        )

    signature = _in_thread(prepare_signature)
    metrics = {"n": 1200, "category_macro_f1": 0.81, "category_accuracy": 0.86,
               "reason_accuracy": 0.74, "org_accuracy": 0.69}  # fmt: skip
    model_dir = Path(os.environ.get("TMPDIR", "/tmp")) / "every-page-model"
    model_dir.mkdir(exist_ok=True)
    version = ai_services.model_register(
        actor=appeals_user, version="v3", path=str(model_dir),
        metadata={"fingerprint": "sha256:5f2c0d9e", "metrics": metrics,
                  "confusion_matrix": {"labels": ["a", "b"], "rows": [[8, 2], [1, 9]]}},
    )  # fmt: skip
    ai_services.model_activate(actor=appeals_user, version_id=version.id)
    run = ai_services.training_run_create(actor=appeals_user)
    ai_services.training_run_progress(run_id=run.pk, fraction=1.0, message="done")
    ai_services.training_run_finish(run_id=run.pk, error="")

    own = Application.objects.filter(applicant=citizen).exclude(state="draft").order_by("pk")
    world = {
        "service": "kz.address-certificate",
        "application": own.first().pk,
        "appeal": Appeal.objects.filter(citizen=citizen).order_by("pk").first().pk,
        "bo_appeal": Appeal.objects.order_by("pk").first().pk,
        "document": Document.objects.order_by("pk").first().public_id,
        "signature_request": signature.id,
        "case": to_show.pk,
        "approved": to_approve.pk,
        "approval_signature": approval_signature,
        "model_version": version.id,
        "training_run": run.pk,
        "legal_act": LegalAct.objects.filter(status="open", organisation_code="kz-mvd")
        .order_by("pk").first().pk,
        "performance_agency": _performance_slug(),  # the demo publishes its datasets
        # Open dialogue (the demo's questions): an answered one, and one of the desk's agency
        "dialogue_agency": "kz-mvd",
        "dialogue_question": Question.objects.filter(status="answered").order_by("pk").first().pk,
        "bo_dialogue_question": Question.objects.filter(organisation_code="kz-mvd",
                                                        status="moderation").first().pk,
        # Open data: the service catalogue dataset, and the agency's own (from the demo)
        **_opendata_world(),
        # The finance desk: a paid passport fee, a statement with a line left open, a day reconciled
        **_in_thread(_finance_world),
        # The citizen's fees: one due, one paid (by a bank statement line)
        **_in_thread(lambda: _payments_world(citizen)),
    }
    roles = {
        "citizen": people.citizen_a,
        "officer": people.officer_mvd,
        "appeals": appeals_user.iin,
        "head": people.head_mvd,
        "finance": _finance_officer_iin(),
        "treasury": _finance_officer_iin("treasury"),
    }
    return world, roles


def _payments_world(citizen) -> dict[str, str]:
    """Two passport applications of the citizen waiting for their fee; the second one paid."""
    from django.utils import timezone

    from qyzmet.applications import services as app_services
    from qyzmet.payments.selectors import payment_by_public_id
    from qyzmet.payments.services import payment_record_success

    data = {"reason": "expired", "collection_office": "Алматы, Бостандық ауданының ХҚКО",
            "personal_attendance": True}  # fmt: skip
    due, _ = app_services.application_submit(
        actor=citizen, service_code="kz.passport", data=data, language="kk"
    )
    paid, _ = app_services.application_submit(
        actor=citizen, service_code="kz.passport", data={**data, "reason": "pages_full"},
        language="kk",
    )  # fmt: skip
    due.refresh_from_db()
    paid.refresh_from_db()
    payment = payment_by_public_id(public_id=paid.payment_public_id)
    payment_record_success(
        payment_id=payment.id, provider="reference", amount=payment.amount,
        currency=payment.currency, at=timezone.now(), external_ref="every-page-line",
    )  # fmt: skip
    return {"payment_due": str(due.payment_public_id), "payment_paid": str(payment.public_id),
            "withdrawable": due.pk}


def _finance_officer_iin(role: str = "finance_officer") -> str:
    from qyzmet.countries.kz.demo import demo_logins

    return next(login.iin for login in demo_logins() if login.role == role)


def _finance_world() -> dict[str, Any]:
    """What the finance desk's pages show: a passport fee paid at a bank, an imported statement
    with one line no invoice claims, and that day reconciled."""
    from django.utils import timezone

    from qyzmet.identity.models import User
    from qyzmet.payments import services as pay_services
    from qyzmet.payments.finance import statement_get
    from qyzmet.payments.statements import statement_import
    from tests.payments.camt_builder import E, camt053

    citizen = User.objects.get(iin=people_citizen_iin())
    treasury = User.objects.get(iin=_finance_officer_iin("treasury"))
    payment = pay_services.payment_require(
        source_ref="every-page:finance", payer_id=citizen.pk, payer_iin=citizen.iin,
        agency_code="kz-mvd-migration", service_code="kz.passport", language="kk",
        description={"kk": "Төлқұжат бажы", "ru": "Пошлина за паспорт", "en": "Passport duty"},
        amount=1_730_000,
    )  # fmt: skip
    today = timezone.localdate()
    content = camt053(E(amount=f"{payment.amount // 100}.00", ref=payment.reference,
                        booked=today.isoformat()),
                      E(amount="1500.00", ustrd="Салық", booked=today.isoformat()),
                      msg_id="EVERY-PAGE-1", stmt_id="EVERY-PAGE-1")  # fmt: skip
    result = statement_import(actor=treasury, filename="statement.xml", content=content)
    _row, lines = statement_get(statement_id=result.statement_id)
    pay_services.reconcile_day(day=today)
    return {
        "finance_payment": str(payment.public_id),
        "finance_statement": result.statement_id,
        "finance_line": next(line.id for line in lines if line.state == "unmatched"),
        "finance_day": today.isoformat(),
    }


def people_citizen_iin() -> str:
    from qyzmet.countries.kz.demo import DEMO_CITIZEN_A_IIN

    return DEMO_CITIZEN_A_IIN


def _opendata_world() -> dict[str, str]:
    from qyzmet.opendata.demo import NAME, opendata_demo_ensure
    from qyzmet.opendata.services import publish_all

    opendata_demo_ensure()
    publish_all()
    return {"opendata_dataset": "service-catalogue", "bo_opendata_dataset": NAME}


def _performance_slug() -> str:
    """An agency of the agency performance pages, after publishing the demo's datasets."""
    from qyzmet.opendata import performance
    from qyzmet.opendata.performance_demo import performance_demo_ensure

    performance_demo_ensure()
    return sorted(performance.slugs(performance.agencies(performance.published_rows())))[0]


def _known_codes() -> frozenset[str]:
    """Codes the platform keeps that must never reach a person: organisations, appeal
    categories, application and appeal statuses, training-run statuses, metric names. (Service
    codes are dotted, which the detector finds by their shape.)"""
    from qyzmet.ai.models import TrainingRun
    from qyzmet.appeals.config import appeals_pack
    from qyzmet.appeals.models import Appeal
    from qyzmet.applications.models import Application
    from qyzmet.identity.models import Organisation

    codes = set(Organisation.objects.values_list("code", flat=True))
    codes |= {code for code, __ in Appeal.STATUSES}
    codes |= {v for k, v in vars(Application).items() if k.isupper() and isinstance(v, str)}
    codes |= set(appeals_pack().categories)
    codes |= set(TrainingRun.Status.values) | {"activate", "rollback"}
    codes |= {"category_macro_f1", "category_accuracy", "reason_accuracy", "org_accuracy"}
    return frozenset(c for c in codes if c and len(c) >= 3)


# --- the matrix -------------------------------------------------------------------------------


def _session_cookie(iin: str | None, base: str) -> list[dict]:
    from django.conf import settings

    from qyzmet.identity.models import User

    if iin is None:
        return []
    client = Client()
    client.force_login(User.objects.get(iin=iin))
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [{"name": settings.SESSION_COOKIE_NAME, "value": value, "url": base}]


def _prepared_cookie(kind: str, *, iin: str, url: str, base: str) -> list[dict]:
    """A session in the state the page needs: `signing-in` half way through signing in
    (password accepted, the code asked for); `answers` with the citizen's answers to the
    service's form waiting to be checked."""
    from django.conf import settings

    from qyzmet.identity.models import User

    client = Client()
    if kind == "signing-in":
        response = client.post("/login/", {"iin": iin, "password": PASSWORD})
    else:
        client.force_login(User.objects.get(iin=iin))
        form = url.removesuffix("check/")
        response = client.post(form, {"purpose": "bank", "presented_to": "Халық банкі"})
    assert response.status_code == 302, (kind, response.status_code)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [{"name": settings.SESSION_COOKIE_NAME, "value": value, "url": base}]


def _axe(tab) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        tab,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    found = []
    for violation in results.response["violations"]:
        targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        found.append(f"axe {violation['id']} ({violation['impact']}): {targets}")
    return found


def _shot(tab, stem: str, width: int) -> Path:
    """A small PNG for docs/ux/: the page's first two screens, 64 colours."""
    from PIL import Image

    target = Path(UX_DIR) / f"{stem}-{width}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(target), full_page=True)
    with Image.open(target) as image:
        height = min(image.height, 2400 if width < 600 else 1800)
        small = image.crop((0, 0, image.width, height)).convert("RGB")
        small = small.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
        small.save(target, optimize=True)
    return target


def _look(tab, *, lang: str, codes: frozenset[str], msgids: frozenset[str]) -> list[str]:
    """Everything wrong with the page as it is now, in both widths."""
    problems: list[str] = []
    actual_lang = tab.evaluate("document.documentElement.lang")
    if actual_lang != lang:
        problems.append(f"html lang is {actual_lang!r}")
    for width in ep.WIDTHS:
        tab.set_viewport_size({"width": width, "height": 800})
        tab.evaluate(ep.SETTLED_JS)  # media-query listeners (the header's menu) have run
        overflow = tab.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            wide = tab.evaluate(ep.OVERFLOWING_JS)
            problems.append(f"{width}px: scrolls sideways by {overflow}px ({'; '.join(wide)})")
        if width < 600:
            header = tab.evaluate(
                "(document.querySelector('header') || {offsetHeight: 0}).offsetHeight"
            )
            if header > HEADER_MAX_PX:
                problems.append(f"{width}px: the site header is {header}px high")
        problems += [f"{width}px: {p}" for p in _axe(tab)]
        tokens = ep.code_tokens(tab.evaluate(ep.PAGE_TEXT_JS), lang=lang,
                                known_codes=codes)  # fmt: skip
        if tokens:
            problems.append(f"{width}px: code-shaped text {tokens}")
    if lang != "en":
        texts = {ep.normalise(t) for t in tab.evaluate(ep.VISIBLE_TEXTS_JS)}
        untranslated = sorted(texts & msgids)
        if untranslated:
            problems.append(f"untranslated {untranslated[:8]}")
    return problems


class _Tabs:
    """One browser context per role (its session cookie), reused for all its pages; a page that
    needs a prepared session gets a fresh context each time."""

    def __init__(self, browser, base: str, roles: dict[str, str], citizen: str) -> None:
        self.browser, self.base, self.roles, self.citizen = browser, base, roles, citizen
        self.contexts: dict[str, Any] = {}

    def open(self, spec: ep.Page, url: str, lang: str):
        """The page in `lang` at 1280 px: (tab, problem or "")."""
        key = f"{spec.role}-{spec.prepared}" if spec.prepared else spec.role
        if spec.prepared or key not in self.contexts:
            if key in self.contexts:
                self.contexts.pop(key).close()
            # The site's own CSP applies (an inline style it blocks is not there for a person
            # either); axe is evaluated through the DevTools protocol, which the CSP allows.
            context = self.browser.new_context(base_url=self.base, locale="kk-KZ")
            context.set_default_timeout(15_000)
            if spec.prepared:
                cookies = _prepared_cookie(spec.prepared, iin=self.citizen, url=url, base=self.base)
            else:
                cookies = _session_cookie(self.roles.get(spec.role), self.base)
            context.add_cookies(cookies)
            context.new_page()
            self.contexts[key] = context
        tab = self.contexts[key].pages[0]
        tab.context.add_cookies([{"name": "django_language", "value": lang, "url": self.base}])
        tab.set_viewport_size({"width": 1280, "height": 800})
        response = tab.goto(url)
        if response is None or response.status != 200 or not tab.url.endswith(url):
            status = response.status if response else "no response"
            return tab, f"answered {status} (at {tab.url})"
        return tab, ""

    def close(self) -> None:
        for context in self.contexts.values():
            context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not RUN_BROWSER, reason=SKIP_REASON)
def test_every_page_in_every_language_and_width(browser, live_server, demo_world, settings):  # noqa: F811
    settings.QYZMET_DEMO_SMS_PAGE = True  # the demo's SMS inbox page, as `make run` has it
    started = time.monotonic()
    world, roles = _world(demo_world)
    codes = _known_codes()
    msgids = {lang: ep.english_msgids(lang) for lang in ("kk", "ru")}
    tabs = _Tabs(browser, live_server.url, roles, demo_world.citizen_a)
    failures: list[str] = []
    looked = 0
    for name, spec in ep.PAGES.items():
        url = reverse(name, kwargs=spec.kwargs(world)) + spec.query
        for lang in ep.LANGS:
            tab, refused = tabs.open(spec, url, lang)
            where = f"{name} [{lang}] {url}"
            if refused:
                failures.append(f"{where}: {refused}")
                continue
            looked += 1
            for problem in _look(tab, lang=lang, codes=codes, msgids=msgids.get(lang, frozenset())):
                failures.append(f"{where}: {problem}")
    tabs.close()
    elapsed = time.monotonic() - started
    print(f"\nevery page: {looked} page loads × {len(ep.WIDTHS)} widths in {elapsed:.0f}s")
    assert not failures, f"{len(failures)} problem(s) on the pages:\n" + "\n".join(failures)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not (RUN_BROWSER and UX_DIR), reason="QYZMET_UX_DIR not set (make screenshots)")
def test_ux_screenshots(browser, live_server, demo_world):  # noqa: F811
    """docs/ux/: the main pages in Kazakh at 1280 and 320 px, as small PNGs (`make screenshots`)."""
    world, roles = _world(demo_world)
    tabs = _Tabs(browser, live_server.url, roles, demo_world.citizen_a)
    written = []
    for stem, name in UX_PAGES.items():
        spec = ep.PAGES[name]
        tab, refused = tabs.open(spec, reverse(name, kwargs=spec.kwargs(world)) + spec.query, "kk")
        assert not refused, f"{name}: {refused}"
        for width in ep.WIDTHS:
            tab.set_viewport_size({"width": width, "height": 800})
            tab.evaluate(ep.SETTLED_JS)
            written.append(_shot(tab, stem, width))
    tabs.close()
    too_big = [
        f"{p.name} {p.stat().st_size // 1024} KB" for p in written if p.stat().st_size > 160_000
    ]
    assert not too_big, too_big

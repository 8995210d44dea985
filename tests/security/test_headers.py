"""Response headers that keep personal data out of caches and scripts out of the API docs.

`Cache-Control: no-store` is checked over every row of the authorization matrices (the same
users, routes and bodies as tests/security/test_authz_*.py, through the whole middleware
stack): a response to a signed-in person, or on a route that is not public, must carry it; an
anonymous GET of a public page (catalogue, verification, transparency log, PKI, Open311) must
not, so that those keep their caching. The public routes are listed here by hand, not derived
from the middleware, so that a route made public by mistake fails this test."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from django.test import Client

from qyzmet.api.api import api
from qyzmet.api.docs import SelfHostedSwagger
from qyzmet.appeals.demo import organisations_ensure
from qyzmet.identity.models import Organisation
from qyzmet.identity.services import api_token_issue
from qyzmet.signatures.services import pki_init
from tests.identity.factories import MembershipFactory, UserFactory
from tests.portal.factories import SERVICE, citizen
from tests.security import matrix
from tests.security import test_authz_appeals as appeals
from tests.security import test_authz_applications as applications
from tests.security import test_authz_exchange as exchange
from tests.security import test_authz_govstack as govstack
from tests.security import test_authz_signatures as signatures
from tests.security import test_authz_transparency as transparency
from tests.security.test_authz_appeals import world as appeals_world  # noqa: F401
from tests.security.test_authz_applications import world as applications_world  # noqa: F401
from tests.security.test_authz_exchange import world as exchange_world  # noqa: F401
from tests.security.test_authz_govstack import world as govstack_world  # noqa: F401
from tests.security.test_authz_signatures import world as signatures_world  # noqa: F401
from tests.security.test_authz_transparency import world as transparency_world  # noqa: F401

O311 = "/open311/v2"
# (matrix, the row paths an anonymous visitor may have cached). Every other row, and every row
# requested by a signed-in actor, must be answered with no-store.
AREAS: dict[str, tuple[list[tuple], set[str]]] = {
    "applications": (applications.MATRIX, {
        "/", "/services/", f"/services/{SERVICE}/", "/verify/{public}/",
        "/api/v1/catalog/services", f"/api/v1/catalog/services/{SERVICE}",
        "/api/v1/catalog/life-events", "/api/v1/documents/verify/{public}",
    }),
    "appeals": (appeals.MATRIX, {
        "/algorithms/", "/algorithms/confusion-matrix.png",
        f"{O311}/services.json", f"{O311}/services/improvement.xml", f"{O311}/requests.json",
        f"{O311}/requests/{{number}}.json", f"{O311}/tokens/{{token}}.json",
    }),
    "signatures": (signatures.MATRIX, {
        "/api/v1/signatures/documents/{public}", "/api/v1/signatures/documents/unknown",
        "/pki/ca/root.crt", "/pki/crl/citizens.crl", "/pki/ocsp/AAAA", "/sign/verify/",
    }),
    "transparency": (transparency.MATRIX, {row[2] for row in transparency.MATRIX}),
    "govstack": (govstack.MATRIX, set()),
    "exchange": (exchange.MATRIX, {"/r1/keys"}),  # public keys, like the PKI's certificates
}  # fmt: skip


def no_store(response: Any) -> bool:
    """For Django's test responses and httpx's alike."""
    return "no-store" in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("area", AREAS)
def test_personal_responses_are_never_stored_and_public_pages_keep_their_caching(
    request, area
):
    """Each row's request as each of its actors, in the matrix's order, on one world: every
    response breaking the rule is listed (status codes may differ from the authorization
    matrix, as earlier rows change state; the cache rule holds for any status)."""
    rows, public = AREAS[area]
    world = request.getfixturevalue(f"{area}_world")
    findings, public_seen = [], 0
    for kind, method, path, body, expected in rows:
        url = path.format(**world.ids)
        for actor, _status in expected:
            client = matrix.client_for(world.users, actor, kind)
            response = matrix.call(client, kind, method, url, body, world.ids)
            may_be_stored = actor == "anonymous" and method == "get" and path in public
            public_seen += may_be_stored
            if no_store(response) == may_be_stored:
                findings.append(
                    f"{method.upper()} {url} as {actor} → {response.status_code}, "
                    f"Cache-Control: {response.get('Cache-Control')!r}"
                )
    assert findings == []
    assert public_seen == len(public)  # every listed public row was requested anonymously


def test_no_store_comes_with_pragma_and_overrides_a_views_own_private_caching(db):
    """The back office's analytics chart sets `private, max-age=300` itself: under /backoffice/
    it is personal-data territory, so no-store wins and max-age drops to 0."""
    organisations_ensure()
    officer = UserFactory()
    MembershipFactory(user=officer, organisation=Organisation.objects.get(code=appeals.ORG),
                      role="officer")  # fmt: skip
    client = Client()
    client.force_login(officer)
    response = client.get("/backoffice/appeals/analytics/weekly.png")
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "no-cache", "private", "max-age=0"} <= directives
    assert "max-age=300" not in directives
    assert response["Pragma"] == "no-cache"


def test_a_public_page_keeps_its_own_caching_for_anonymous_visitors(db):
    pki_init()
    response = Client().get("/pki/crl/citizens.crl")
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=60"
    assert "Pragma" not in response
    response = Client().get("/services/")
    assert response.status_code == 200
    assert not no_store(response)


def test_the_same_public_page_is_not_stored_for_a_signed_in_person(db):
    """The header of every page names the signed-in person."""
    client = Client()
    client.force_login(citizen())
    response = client.get("/services/")
    assert response.status_code == 200
    assert no_store(response)


def test_static_files_are_cached_even_for_a_signed_in_person(db):
    client = Client()
    client.force_login(citizen())
    response = client.get("/static/qyzmet/site.css")
    assert response.status_code == 200
    assert not no_store(response)


@pytest.mark.django_db(transaction=True)
def test_over_real_http_the_api_and_the_portal_send_no_store(live_server):
    """Through a socket and the WSGI handler of the live server, as a browser or a mobile
    client sees it."""
    person = citizen()
    token = api_token_issue(user=person)
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        mine = http.get("/api/v1/applications", headers={"Authorization": f"Bearer {token}"})
        catalogue = http.get("/api/v1/catalog/services")
        login = http.get("/login/")
    assert mine.status_code == 200 and no_store(mine)
    assert catalogue.status_code == 200 and not no_store(catalogue)
    assert login.status_code == 200 and no_store(login)  # a form with a CSRF token


class _Scripts(HTMLParser):
    """Every <script> and <style> element of a page, and every style="" attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline_styles = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inline_styles += tag == "style" or any(name == "style" for name, _ in attrs)
        if tag == "script":
            self.scripts.append({**dict(attrs), "text": ""})
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1]["text"] = (self.scripts[-1]["text"] or "") + data


def test_the_api_docs_page_runs_under_a_csp_without_unsafe_inline(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"

    page = _Scripts()
    page.feed(response.content.decode())
    assert page.inline_styles == 0
    executable = [s for s in page.scripts if s.get("type") != "application/json"]
    assert executable and all(s.get("src") and not (s["text"] or "").strip() for s in executable)
    # Swagger UI and the page's starter come from this site's static files, not a CDN.
    for script in executable:
        assert script["src"].startswith("/static/")
        assert Client().get(script["src"]).status_code == 200
    (settings,) = [s for s in page.scripts if s.get("type") == "application/json"]
    assert json.loads(settings["text"])["url"] == "/api/v1/openapi.json"


def test_a_settings_value_cannot_close_the_json_element(rf):
    """json_script escapes <, > and &: even a hostile value stays data, and no script is added."""
    hostile = "</script><script>alert(1)</script>"
    docs = SelfHostedSwagger(settings={"filter": hostile})
    response = docs.render_page(rf.get("/api/v1/docs"), api)
    page = _Scripts()
    page.feed(response.content.decode())
    (settings,) = [s for s in page.scripts if s.get("type") == "application/json"]
    assert json.loads(settings["text"])["filter"] == hostile
    assert all(s.get("src") for s in page.scripts if s.get("type") != "application/json")

"""No byte a client sends makes a server error (qyzmet.core.input_guard).

NUL (U+0000), lone surrogates (the JSON escape "\\ud800" and the bytes ED A0 80) and bytes that
are not UTF-8 are sent in every path parameter, in the query string and in the body of every
operation of the OpenAPI document, of every page and form (the URL resolver is walked, so a new
route is covered without a list to keep), of Open311, the gateway (/r1/), the registries (/data/)
and the PKI (/pki/), anonymously and signed in. Each must answer 400 (422 for a well-formed JSON
body whose strings hold them) in the route's error format, and nothing may be stored. Bodies
over the route's limit answer 413, with or without Content-Length; broken multipart, 400.

The PostgreSQL run is the real proof: there a NUL that reaches a query is a DataError.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from django.urls import get_resolver, reverse

from qyzmet.applications import services as app_services
from qyzmet.applications.models import Application
from qyzmet.core.clean_text import json_faults
from qyzmet.core.problem import PROBLEM_CONTENT_TYPE, Problem
from qyzmet.identity.services import api_token_issue
from qyzmet.ui.forms import form_data_from_post
from tests.portal.factories import SERVICE, catalog_loaded, citizen, officer, submitted

# Percent-encoded for paths and query strings: NUL, a surrogate as UTF-8-style bytes, not UTF-8.
PATH_BAD = {"nul": "a%00b", "surrogate": "a%ED%A0%80b", "not_utf8": "a%FFb"}
# JSON bodies: escapes that json.loads turns into NUL / a lone surrogate (422), raw bytes (400).
JSON_ESCAPES = {"nul": "a\\u0000b", "surrogate": "a\\ud800b", "low_surrogate": "\\udc00"}
RAW_BAD = {"nul": b"a\x00b", "surrogate": b"a\xed\xa0\x80b", "not_utf8": b"a\xffb",
           "overlong_nul": b"a\xc0\x80b"}
MACHINE = ("/api/", "/r1/", "/data/", "/pki/")
MB = 1024 * 1024


@pytest.fixture
def people(db):
    catalog_loaded()
    applicant = citizen()
    return {"citizen": applicant, "officer": officer(), "case": submitted(applicant, key="bb")}


def _api_client(actor: str, people: dict) -> Client:
    if actor == "anonymous":
        return Client()
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=people[actor])}")


def _page_client(actor: str, people: dict) -> Client:
    client = Client()
    if actor != "anonymous":
        client.force_login(people[actor])
    return client


def _refused(response, path: str, status: int | tuple[int, ...] = 400) -> str | None:
    """Why `response` is not the guard's refusal in the route's format, or None."""
    statuses = status if isinstance(status, tuple) else (status,)
    if response.status_code not in statuses:
        return f"status {response.status_code}"
    content_type = response["Content-Type"]
    if path.startswith("/open311/"):
        body = json.loads(response.content) if path.endswith(".json") else None
        if body is not None and not (body and body[0]["code"] == response.status_code):
            return f"open311 body {body!r}"
        if path.endswith(".xml") and b"<errors>" not in response.content:
            return "open311 xml body"
        return None
    if path.startswith(MACHINE):
        if content_type != PROBLEM_CONTENT_TYPE:
            return f"content type {content_type}"
        if json.loads(response.content)["code"] not in ("invalid_characters",
                                                        "request_too_large",
                                                        "request_malformed"):
            return f"problem {response.content[:200]!r}"
        return None
    if not content_type.startswith("text/html"):
        return f"content type {content_type}"
    page = response.content.decode()
    if not re.search(r'<html lang="(kk|ru|en)">', page) or "<h1>" not in page:
        return "not an accessible page"
    return None


# --- every API operation ----------------------------------------------------------------------


def _operations(document: dict) -> Iterator[tuple[str, str, dict]]:
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            yield method, path, op


def _fill(path: str, bad_param: str | None, bad: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: bad if m.group(1) == bad_param else "1", path)


@pytest.mark.parametrize("actor", ["anonymous", "citizen"])
def test_every_api_operation_refuses_bad_bytes(people, actor):
    client = _api_client(actor, people)
    failures, operations = [], 0
    document = Client().get("/api/v1/openapi.json").json()
    schemas = document.get("components", {}).get("schemas", {})
    for method, path, op in _operations(document):
        operations += 1
        send = getattr(client, method)
        params = op.get("parameters", [])
        queries = [p["name"] for p in params if p["in"] == "query"] or ["q"]
        for param in [p["name"] for p in params if p["in"] == "path"]:
            for kind, bad in PATH_BAD.items():
                url = _fill(path, param, bad)
                why = _refused(send(url), url)
                if why:
                    failures.append(f"{method.upper()} {url} ({kind} in {param}): {why}")
        url = _fill(path, None, "")
        for kind, bad in PATH_BAD.items():
            for name in queries:
                why = _refused(send(f"{url}?{name}={bad}"), url)
                if why:
                    failures.append(f"{method.upper()} {url}?{name}= ({kind}): {why}")
        if method in ("get", "delete"):
            continue
        fields = _json_fields(op, schemas)
        for kind, escape in JSON_ESCAPES.items():
            body = "{" + ", ".join(f'"{f}": "{escape}"' for f in fields) + "}"
            response = send(url, body, content_type="application/json")
            why = _refused(response, url, 422)
            if why:
                failures.append(f"{method.upper()} {url} JSON {kind}: {why}")
            elif json.loads(response.content)["errors"][0]["pointer"] != f"/{fields[0]}":
                failures.append(f"{method.upper()} {url} JSON {kind}: pointer")
        for kind, raw in RAW_BAD.items():
            body = b'{"' + fields[0].encode() + b'": "' + raw + b'"}'
            why = _refused(send(url, body, content_type="application/json"), url)
            if why:
                failures.append(f"{method.upper()} {url} raw {kind}: {why}")
    assert operations >= 50
    assert failures == []


def _json_fields(op: dict, schemas: dict) -> list[str]:
    """The operation's top-level body fields when it documents them (else one made-up field)."""
    content = op.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref:
        schema = schemas.get(ref.rsplit("/", 1)[-1], {})
    return sorted(schema.get("properties", {})) or ["x"]


# --- every page, form and machine route outside the API -------------------------------------


def _routes() -> list[str]:
    """Every URL pattern outside /api/v1/, parameters as {name}."""
    found: list[str] = []

    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, route)
            elif not route.startswith("api/v1/"):
                found.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))

    walk(get_resolver().url_patterns)
    return sorted(set(found))


def _page_url(route: str, bad_param: str | None, bad: str) -> str:
    def value(m: re.Match) -> str:
        if m.group(1) == bad_param:
            return bad
        return {"fmt": "json", "ca_code": "root", "version": "1.0", "part": "signature.p7s",
                "registry": "population"}.get(m.group(1), "1")

    return re.sub(r"\{(\w+)\}", value, route)


@pytest.mark.parametrize("actor", ["anonymous", "citizen"])
def test_every_page_and_form_refuses_bad_bytes(people, actor):
    client = _page_client(actor, people)
    routes = _routes()
    assert {"/verify/{public_id}/", "/open311/v2/requests.{fmt}", "/r1/{rest}",
            "/backoffice/cases/{application_id}/act/", "/appeals/new/"} <= set(routes)
    failures = []
    for route in routes:
        for param in re.findall(r"\{(\w+)\}", route):
            for kind, bad in PATH_BAD.items():
                url = _page_url(route, param, bad)
                for method in ("get", "post"):
                    why = _refused(getattr(client, method)(url), url)
                    if why:
                        failures.append(f"{method.upper()} {url} ({kind} in {param}): {why}")
        url = _page_url(route, None, "")
        for kind, bad in PATH_BAD.items():
            why = _refused(client.get(f"{url}?q={bad}&lang=ru"), url)
            if why:
                failures.append(f"GET {url}?q= ({kind}): {why}")
            body = f"text={bad}&message=x&csrfmiddlewaretoken=x"
            response = client.post(url, body, content_type="application/x-www-form-urlencoded")
            why = _refused(response, url)
            if why:
                failures.append(f"POST {url} urlencoded ({kind}): {why}")
        for kind, raw in RAW_BAD.items():
            response = client.post(url, _multipart({"text": raw, "message": b"x"}),
                                   content_type="multipart/form-data; boundary=BoUnDaRy")
            why = _refused(response, url)
            if why:
                failures.append(f"POST {url} multipart ({kind}): {why}")
        for kind, escape in JSON_ESCAPES.items():
            body = '{"text": "' + escape + '"}'
            why = _refused(client.post(url, body, content_type="application/json"), url, 422)
            if why and not url.startswith("/open311/"):
                failures.append(f"POST {url} JSON {kind}: {why}")
    assert failures == []


def _multipart(fields: dict[str, bytes], filename: bytes | None = None,
               file_field: bytes = b"file") -> bytes:
    parts = []
    for name, value in fields.items():
        parts.append(b"--BoUnDaRy\r\nContent-Disposition: form-data; name=\"" + name.encode()
                     + b"\"\r\n\r\n" + value + b"\r\n")
    if filename is not None:
        parts.append(b"--BoUnDaRy\r\nContent-Disposition: form-data; name=\"" + file_field
                     + b"\"; filename=\"" + filename
                     + b"\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\x00\r\n")
    return b"".join(parts) + b"--BoUnDaRy--\r\n"


def test_multipart_file_content_is_not_text_but_its_names_are(people):
    """A file's bytes are binary (a NUL inside a PDF is fine); the names around it are text."""
    client = _page_client("citizen", people)
    url = f"/my/applications/{people['case'].pk}/answer/"
    form = "multipart/form-data; boundary=BoUnDaRy"
    ok = client.post(url, _multipart({"message": b"see file"}, filename=b"scan.pdf"),
                     content_type=form)
    assert ok.status_code == 302
    bad = client.post(url, _multipart({"message": b"see"}, b"scan.pdf", file_field=b"f\x00"),
                      content_type=form)
    assert _refused(bad, url) is None
    # Django itself drops a NUL from a file name and skips a part header that is not UTF-8.
    for name in (b"scan\x00.pdf", b"scan\xff.pdf"):
        odd = client.post(url, _multipart({"message": b"see file"}, filename=name),
                          content_type=form)
        assert odd.status_code < 500


def test_headers_with_bad_bytes_are_refused(people):
    page = Client(HTTP_COOKIE="sessionid=a\x00b")
    assert _refused(page.get("/services/"), "/services/") is None
    gateway = Client(HTTP_X_ROAD_USERID="KZ\x00870101300123")
    response = gateway.get("/r1/listClients")
    assert _refused(response, "/r1/listClients") is None
    assert "X-Road-Userid" in response.json()["detail"]
    latin1 = Client(HTTP_X_ROAD_PURPOSE="\xe9t\xe9")  # ISO-8859-1 bytes, not UTF-8
    assert _refused(latin1.get("/r1/listClients"), "/r1/listClients") is None
    utf8 = Client(HTTP_X_ROAD_PURPOSE="été".encode().decode("iso-8859-1"))
    assert utf8.get("/r1/listClients").status_code == 200


def test_open311_answers_in_its_own_format(people):
    client = Client()
    xml = client.get("/open311/v2/requests.xml?service_code=a%00b")
    assert xml.status_code == 400 and b"<errors><error><code>400</code>" in xml.content
    russian = client.get("/open311/v2/requests.json?service_code=a%00b",
                         HTTP_ACCEPT_LANGUAGE="ru")
    assert russian.status_code == 400
    assert "нулевой символ" in russian.json()[0]["description"]
    assert russian["Content-Language"] == "ru"
    post = client.post("/open311/v2/requests.json", "service_code=x&description=a%00b",
                       content_type="application/x-www-form-urlencoded")
    assert post.status_code == 400 and post.json()[0]["code"] == 400


def test_open311_json_body_is_told_to_use_form_fields(people):
    response = Client().post("/open311/v2/requests.json",
                             {"api_key": "x", "service_code": "pothole", "description": "a"},
                             content_type="application/json")
    assert response.status_code == 415
    [error] = response.json()
    assert error["code"] == 415
    assert "application/x-www-form-urlencoded" in error["description"]
    assert "api_key" not in error["description"]
    # A form without a key is still told about the key.
    form = Client().post("/open311/v2/requests.json", {"service_code": "pothole"})
    assert form.status_code == 403


def test_valid_text_passes_the_guard(people):
    """An emoji is a surrogate pair in JSON: valid. Cyrillic and Kazakh letters pass as well."""
    client = Client()
    for text in ("\\ud83d\\ude00", "Қазақстан", "\\u049a\\u0430\\u0437"):
        body = '{"challenge": "' + text + '", "code": "000000"}'
        response = client.post("/api/v1/auth/verify", body, content_type="application/json")
        assert response.status_code == 401, (text, response.content)
    page = client.get("/services/?q=%D2%9A%D0%B0%D0%B7")
    assert page.status_code == 200


def test_binary_bodies_of_the_pki_are_not_read_as_text(people):
    """OCSP and time-stamp queries are DER: NUL bytes belong there."""
    response = Client().post("/pki/tsa", b"\x30\x03\x02\x01\x00",
                             content_type="application/timestamp-query")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/timestamp-reply"


# --- sizes and broken bodies ----------------------------------------------------------------


def test_a_12_mb_body_is_413_everywhere_but_where_photos_go(people):
    big = b"x" * (12 * MB)
    client = _api_client("citizen", people)
    for url in ("/api/v1/auth/verify", "/api/v1/applications", "/r1/listClients",
                "/data/population/1.0"):
        response = client.post(url, big, content_type="application/json")
        assert _refused(response, url, 413) is None, url
        assert response.json()["limit_bytes"] == settings.QYZMET_REQUEST_MAX_BYTES
    page = _page_client("citizen", people).post(
        f"/my/applications/{people['case'].pk}/answer/", big,
        content_type="multipart/form-data; boundary=BoUnDaRy")
    assert _refused(page, "/my/", 413) is None
    open311 = Client().post("/open311/v2/requests.json", big,
                            content_type="application/x-www-form-urlencoded")
    assert open311.status_code == 413 and open311.json()[0]["code"] == 413
    # An appeal carries up to five 5 MB photos: 12 MB reaches the API (and is judged there).
    appeal = client.post("/api/v1/appeals", b'{"text": "' + big + b'"}',
                         content_type="application/json")
    assert appeal.status_code == 422
    too_big = client.post("/api/v1/appeals", b"x" * (35 * MB), content_type="application/json")
    assert _refused(too_big, "/api/v1/appeals", 413) is None


def test_route_limits_name_real_routes():
    for name in settings.QYZMET_REQUEST_MAX_BYTES_BY_ROUTE:
        assert reverse(name, kwargs={"public_id": "x"} if name == "document-verify" else None)
    largest = max(settings.QYZMET_REQUEST_MAX_BYTES_BY_ROUTE.values())
    assert largest <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _chunked(client: Client, url: str, body: bytes, content_type: str):
    """As a WSGI server hands over a chunked request: no Content-Length, the framing removed."""
    return client.generic("POST", url, b"", content_type=content_type,
                          HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": io.BytesIO(body)})


def test_chunked_bodies_are_read_up_to_the_limit(people):
    client = Client()
    big = _chunked(client, "/api/v1/auth/verify", b"x" * (12 * MB), "application/json")
    assert _refused(big, "/api/v1/auth/verify", 413) is None
    nul = _chunked(client, "/api/v1/auth/verify", b'{"challenge": "\\u0000", "code": "1"}',
                   "application/json")
    assert _refused(nul, "/api/v1/auth/verify", 422) is None
    fine = _chunked(client, "/api/v1/auth/verify", b'{"challenge": "x", "code": "000000"}',
                    "application/json")
    assert fine.status_code == 401  # the body reached the operation


def test_broken_multipart_is_400(people):
    client = _api_client("citizen", people)
    url = f"/api/v1/applications/{people['case'].pk}/attachments"
    cases = {
        "no boundary": ("multipart/form-data", b"--x\r\n\r\n"),
        "empty boundary": ("multipart/form-data; boundary=", b"--x\r\n"),
        "control character": ("multipart/form-data; boundary=a\x01b", b"--a\x01b\r\n"),
        "too long": ("multipart/form-data; boundary=" + "b" * 300, b"--x\r\n"),
    }
    for name, (content_type, body) in cases.items():
        response = client.post(url, body, content_type=content_type)
        assert _refused(response, url) is None, name
    page = _page_client("citizen", people).post("/appeals/new/", b"--x\r\n",
                                                content_type="multipart/form-data")
    assert _refused(page, "/appeals/new/") is None
    # A body whose parts never match the boundary is no form at all; never a server error.
    odd = client.post(url, b"garbage", content_type="multipart/form-data; boundary=zz")
    assert 400 <= odd.status_code < 500


# --- refused at input, never stored ---------------------------------------------------------


def test_surrogate_submission_is_refused_and_the_case_page_renders(people):
    applicant, case = people["citizen"], people["case"]
    before = Application.objects.count()
    client = _api_client("citizen", people)
    body = '{"service_code": "' + SERVICE + '", "data": {"purpose": "\\ud800"}}'
    response = client.post("/api/v1/applications", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/data/purpose"
    # The data layer refuses too, whoever calls it (nothing reaches the database).
    for data in ({"purpose": "\ud800"}, {"purpose": "a\x00b"}, {"a\x00": "bank"}):
        with pytest.raises(Problem) as refused:
            app_services.application_submit(actor=applicant, service_code=SERVICE, data=data)
        assert refused.value.status == 422
        with pytest.raises(Problem):
            app_services.application_draft_save(actor=applicant, service_code=SERVICE,
                                                data=data)
    assert Application.objects.count() == before
    assert all(not json_faults(a.data) for a in Application.objects.all())
    page = _page_client("officer", people).get(f"/backoffice/cases/{case.pk}/")
    assert page.status_code == 200


def test_portal_form_cleaning_refuses_bad_text(people):
    """The application form's own cleaning (qyzmet.ui.forms), whatever the HTTP layer let by."""
    from qyzmet.catalog.selectors import service_current

    form = service_current(code=SERVICE).package.form
    data, raw, errors = form_data_from_post(form=form, post={"purpose": "a\x00b"})
    assert "purpose" in errors and "purpose" not in data and raw["purpose"] == ""
    data, _raw, errors = form_data_from_post(form=form, post={"purpose": "\ud800"})
    assert "purpose" in errors and "purpose" not in data

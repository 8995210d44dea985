"""The public API, version 1: one NinjaAPI, problem+json errors everywhere (RFC 9457)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.parser import Parser

from qyzmet.core.clean_text import json_faults
from qyzmet.core.input_guard import malformed, too_large
from qyzmet.core.problem import PROBLEM_CONTENT_TYPE, FieldError, Problem

from . import (
    ai,
    appeals,
    applications,
    auth,
    catalog,
    documents,
    exchange,
    inbox,
    payments,
    payments_webhooks,
    signatures,
    transparency,
)
from .docs import SelfHostedSwagger
from .openapi import ContractAPI


class TextJSONParser(Parser):
    """JSON bodies whose strings are text: `json.loads` turns the escapes "\\u0000" and
    "\\ud800" into a NUL and a lone surrogate, which PostgreSQL and UTF-8 refuse later. The
    request guard (qyzmet.core.input_guard) refuses them first, with pointers; this holds the
    line if a request reaches the API without it (ninja answers 400)."""

    def parse_body(self, request: HttpRequest):
        data = super().parse_body(request)
        faults = json_faults(data)
        if faults:
            pointer, fault = faults[0]
            raise ValueError(f"{pointer}: {fault}")
        return data


api = ContractAPI(
    title="Qyzmet API",
    version="1",
    description=(
        "Public services online: catalogue, applications, the officer's inbox, results.\n\n"
        "The open data catalogue speaks the CKAN Action API at [/api/3/action/](/api/3/action/"
        "status_show), described in its own OpenAPI document: [/api/3/openapi.json]"
        "(/api/3/openapi.json); the DCAT-AP catalogue is at [/open-data/catalog.ttl]"
        "(/open-data/catalog.ttl) and [/open-data/catalog.jsonld](/open-data/catalog.jsonld)."
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
    docs=SelfHostedSwagger(),
    openapi_url="/openapi.json",
    parser=TextJSONParser(),
)
api.add_router("/auth", auth.router)
api.add_router("/catalog", catalog.router)
api.add_router("/applications", applications.router)
api.add_router("/inbox", inbox.router)
api.add_router("/documents", documents.router)
api.add_router("/transparency", transparency.router)
api.add_router("/signatures", signatures.router)
api.add_router("/exchange", exchange.router)
api.add_router("/appeals", appeals.router)
api.add_router("/ai", ai.router)
api.add_router("/payments/webhooks", payments_webhooks.router)
api.add_router("/payments", payments.router)
api.add_router("/refunds", payments.refunds_router)


def problem_response(request: HttpRequest, problem: Problem) -> HttpResponse:
    response = api.create_response(request, problem.as_dict(request.path), status=problem.status)
    response["Content-Type"] = PROBLEM_CONTENT_TYPE
    for name, value in problem.headers.items():
        response[name] = value
    return response


@api.exception_handler(Problem)
def on_problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return problem_response(request, exc)


def _pointer(loc: list | tuple) -> str:
    # ninja prefixes the location with the parameter source ("body", "query", ...).
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in {"body", "query", "path"} else loc
    if parts and parts[0] in {"payload", "data", "body"} and len(parts) > 1:
        parts = parts[1:]
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


@api.exception_handler(ValidationError)
def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [FieldError(_pointer(e.get("loc", [])), e.get("msg", "invalid")) for e in exc.errors]
    return problem_response(
        request, Problem(422, "validation_failed", "Validation failed", "", errors)
    )


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem_response(
        request, Problem(401, "unauthenticated", "Authentication required", "Sign in first.")
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(AuthorizationError)
def on_forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return problem_response(request, Problem(403, "forbidden", "Forbidden", str(exc)))


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(request, Problem(404, "not_found", "Not found", "No such resource."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem_response(
        request, Problem(exc.status_code, "http_error", str(exc.message), str(exc.message))
    )


@api.exception_handler(RequestDataTooBig)
def on_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem_response(request, too_large(None, settings.DATA_UPLOAD_MAX_MEMORY_SIZE))


@api.exception_handler(MultiPartParserError)
@api.exception_handler(UnreadablePostError)
@api.exception_handler(SuspiciousOperation)
@api.exception_handler(BadRequest)
def on_unreadable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A body Django cannot read (broken multipart, too many fields): the client's fault, 400."""
    return problem_response(request, malformed("form", str(exc)[:200]))

"""The request guard: no byte sequence a client sends reaches a view unless it is text the
platform can store and show, and no body is larger than the route it is sent to can use.

Runs before every other middleware that reads the request (sessions read the cookie, the CSRF
check reads the form), in this order, each step cheap and linear:

1. the path, the query string and every header: valid UTF-8 after percent-decoding, no NUL
   (`qyzmet.core.clean_text`); a header that is not is named in the answer;
2. the body's size: `Content-Length` against the route's limit (413 before a byte is read); a
   chunked body without a length is read up to the limit and no further;
3. the body's text: a form (urlencoded) after percent-decoding, any other body except the
   declared binary types (OCSP and time-stamp queries) as raw UTF-8, and JSON escapes of NUL
   or of a lone surrogate in a well-formed JSON body (422, with the JSON pointer of each);
   a multipart form is parsed here (a missing or broken boundary is a 400) and its field
   names, values and file names are checked.

Refusals are problem+json on the machine routes (`QYZMET_MACHINE_PREFIXES`; a route family with
an error format of its own, Open311, names its renderer in `QYZMET_INPUT_REFUSAL_RENDERERS`)
and a plain page in the visitor's language everywhere else. Nothing refused is stored.

Limits: `QYZMET_REQUEST_MAX_BYTES` for every route, raised per route (by URL name) in
`QYZMET_REQUEST_MAX_BYTES_BY_ROUTE` for the forms that carry several files.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from functools import cached_property, partial
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.encoding import escape_uri_path
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .clean_text import Fault, bytes_fault, decoded_fault, json_body_faults
from .middleware import CSP
from .problem import PROBLEM_CONTENT_TYPE, FieldError, Problem

Renderer = Callable[[HttpRequest, Problem], HttpResponse]
Refusal = Callable[[], Problem]  # worded when the answer's language is known
_READ_CHUNK = 64 * 1024


def _fault_words(fault: Fault) -> str:
    return {
        "nul": _("a null character (U+0000)"),
        "surrogate": _("a lone surrogate code point (not a character)"),
        "not_utf8": _("bytes that are not valid UTF-8 text"),
    }[fault]


def _where_words(where: str, name: str) -> str:
    return {
        "path": _("The address"),
        "query": _("The query string"),
        "header": _("The header %(name)s"),
        "form": _("The form"),
        "field": _("The form field %(name)s"),
        "file": _("The name of an uploaded file"),
        "body": _("The request body"),
        "json": _("A text in the request body"),
    }[where] % ({"name": name} if name else {})


def refused_text(where: str, fault: Fault, pointers: list[str] | None = None,
                 name: str = "") -> Problem:
    """400 (raw bytes) or 422 (a well-formed JSON body whose strings hold bad characters)."""
    detail = _("%(where)s contains %(what)s. Send text without it.") % {
        "where": _where_words(where, name), "what": _fault_words(fault)}
    title = _("Characters that cannot be processed")
    if pointers:
        errors = [FieldError(p, detail) for p in pointers]
        return Problem(422, "invalid_characters", title, detail, errors)
    return Problem(400, "invalid_characters", title, detail)


def too_large(size: int | None, limit: int) -> Problem:
    mb = f"{limit / (1024 * 1024):.1f}".rstrip("0").rstrip(".")
    if size is None:
        detail = _("The request body is larger than %(limit)s MB, the limit here.") % {"limit": mb}
    else:
        detail = _("The request body has %(size)d bytes; the limit here is %(limit)s MB.") % {
            "size": size, "limit": mb}
    return Problem(413, "request_too_large", _("Request too large"), detail,
                   extra={"limit_bytes": limit})


def malformed(reason: str, cause: str = "") -> Problem:
    detail = {
        "length": _("Content-Length is not a number."),
        "boundary": _("A multipart form needs a boundary (RFC 2046) in its Content-Type."),
        "form": _("The form could not be read: %(cause)s"),
        "truncated": _("The request body ended before its announced length."),
    }[reason]
    if "%(cause)s" in detail:
        detail = detail % {"cause": cause}
    return Problem(400, "request_malformed", _("The request could not be read"), detail)


def _header_name(meta_key: str) -> str:
    name = meta_key[5:] if meta_key.startswith("HTTP_") else meta_key
    return "-".join(part.capitalize() for part in name.split("_"))


def _wsgi_bytes(value: str) -> bytes:
    """A WSGI environ string is the raw bytes read as ISO-8859-1 (PEP 3333). Anything else (a
    test client's lone surrogate) is encoded so that the check sees it."""
    try:
        return value.encode("iso-8859-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.max_bytes = int(settings.QYZMET_REQUEST_MAX_BYTES)
        self.route_max_bytes = dict(getattr(settings, "QYZMET_REQUEST_MAX_BYTES_BY_ROUTE", {}))
        self.binary_types = frozenset(getattr(settings, "QYZMET_BINARY_BODY_TYPES", ()))
        self.machine_prefixes = tuple(settings.QYZMET_MACHINE_PREFIXES)

    @cached_property
    def renderers(self) -> list[tuple[str, Renderer]]:
        """Imported on first use: the renderers live in apps that import this module's layer."""
        paths = getattr(settings, "QYZMET_INPUT_REFUSAL_RENDERERS", {})
        return [(prefix, import_string(path)) for prefix, path in paths.items()]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            refusal = self.refusal(request)
        except RequestDataTooBig:
            refusal = partial(too_large, None, self.limit_for(request))
        except (MultiPartParserError, TooManyFilesSent, SuspiciousOperation) as exc:
            refusal = partial(malformed, "form", str(exc)[:200])
        except (UnreadablePostError, OSError):
            refusal = partial(malformed, "truncated")
        if refusal is not None:
            return self.respond(request, refusal)
        return self.get_response(request)

    # --- the checks: each returns how to word the refusal, or None -----------------------

    def refusal(self, request: HttpRequest) -> Refusal | None:
        meta = request.META
        # Django has already put bytes that are not UTF-8 back as %XX escapes (a path never
        # needs a literal "%XX" of its own), so the path is judged with those undone.
        path = _wsgi_bytes(meta.get("PATH_INFO", ""))
        fault = bytes_fault(unquote_to_bytes(path) if b"%" in path else path)
        if fault:
            return partial(refused_text, "path", fault)
        query = _wsgi_bytes(meta.get("QUERY_STRING", ""))
        fault = bytes_fault(unquote_to_bytes(query) if b"%" in query else query)
        if fault:
            return partial(refused_text, "query", fault)
        for key, value in meta.items():
            if (key.startswith("HTTP_") or key == "CONTENT_TYPE") and isinstance(value, str):
                fault = bytes_fault(_wsgi_bytes(value))
                if fault:
                    return partial(refused_text, "header", fault, name=_header_name(key))
        request.GET  # noqa: B018 - too many query fields is a refusal here, not an error later
        return self.body_refusal(request)

    def limit_for(self, request: HttpRequest) -> int:
        """The route's own limit when it names one, else the platform's."""
        if not self.route_max_bytes:
            return self.max_bytes
        try:
            name = resolve(request.path_info).view_name
        except Resolver404:
            return self.max_bytes
        return int(self.route_max_bytes.get(name, self.max_bytes))

    def body_refusal(self, request: HttpRequest) -> Refusal | None:
        meta = request.META
        length_text = str(meta.get("CONTENT_LENGTH") or "").strip()
        if length_text:
            if not length_text.isdigit():
                return partial(malformed, "length")
            length = int(length_text)
            if length > self.max_bytes:
                limit = self.limit_for(request)
                if length > limit:
                    return partial(too_large, length, limit)
            if length == 0:
                return None
        elif "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower():
            refusal = self.chunked_read(request)
            if refusal is not None or not request.body:
                return refusal
        else:
            return None
        content_type = request.content_type or ""
        if content_type in self.binary_types:
            return None
        if content_type == "multipart/form-data":
            return self.multipart_refusal(request)
        body = request.body
        if content_type == "application/x-www-form-urlencoded":
            fault = bytes_fault(unquote_to_bytes(body) if b"%" in body else body)
            return partial(refused_text, "form", fault) if fault else None
        fault = bytes_fault(body)
        if fault:
            return partial(refused_text, "body", fault)
        found = json_body_faults(body)
        if found:
            pointers = [pointer for pointer, _fault in found]
            return partial(refused_text, "json", found[0][1], pointers)
        return None

    def chunked_read(self, request: HttpRequest) -> Refusal | None:
        """A body without Content-Length (chunked; the WSGI server has removed the framing):
        read at most one byte past the limit, then hand Django the bytes with their length."""
        limit = self.limit_for(request)
        stream = request.environ["wsgi.input"]  # type: ignore[attr-defined]
        chunks, size = [], 0
        while size <= limit:
            chunk = stream.read(min(_READ_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            return partial(too_large, None, limit)
        data = b"".join(chunks)
        request.META["CONTENT_LENGTH"] = str(len(data))
        request._body = data  # what HttpRequest.body caches after reading the stream
        request._stream = io.BytesIO(data)
        return None

    def multipart_refusal(self, request: HttpRequest) -> Refusal | None:
        boundary = (request.content_params or {}).get("boundary", "")
        if not boundary or len(boundary) > 70 or not boundary.isascii():
            return partial(malformed, "boundary")
        if request.method != "POST":  # Django parses forms of POST requests only
            return None
        for name, values in request.POST.lists():
            for text in (name, *values):
                fault = decoded_fault(text)
                if fault:
                    return partial(refused_text, "field", fault, name=name[:100])
        for name, uploads in request.FILES.lists():
            for upload in uploads:
                fault = decoded_fault(name) or decoded_fault(upload.name or "")
                if fault:
                    return partial(refused_text, "file", fault)
        return None

    # --- the answer ---------------------------------------------------------------------------

    def respond(self, request: HttpRequest, refusal: Refusal) -> HttpResponse:
        """The refusal in the visitor's language (cookie or Accept-Language, as the pages)."""
        path = request.path_info
        try:
            language = translation.get_language_from_request(request)
        except Exception:  # a broken Accept-Language or cookie must not hide the answer
            language = settings.LANGUAGE_CODE
        with translation.override(language):
            problem = refusal()
            renderer = next((r for prefix, r in self.renderers if path.startswith(prefix)), None)
            if renderer is not None:
                response = renderer(request, problem)
            elif path.startswith(self.machine_prefixes):
                response = problem_json(request, problem)
            else:
                response = render(request, "qyzmet/bad_request.html",
                                  {"problem": problem}, status=problem.status)
                response.headers.setdefault("Content-Security-Policy", CSP)
        response["Content-Language"] = language
        return response


def problem_json(request: HttpRequest, problem: Problem) -> HttpResponse:
    body = problem.as_dict(escape_uri_path(request.path))
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=problem.status,
                        content_type=PROBLEM_CONTENT_TYPE)

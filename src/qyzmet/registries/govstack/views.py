"""HTTP endpoints of the registries: the GovStack Digital Registries Data API, the facts the
registry client asks for, and "who looked at my data" (myPersonalDataUsage).

Thin by design: verify that the request came through the gateway (`gateway_request_verify`),
parse, call a selector or service, check consent, audit what is returned, render. Every answer
that is an error is `application/problem+json` with a stable `code`. A view runs in one
transaction, so a read's audit rows commit exactly when its answer is sent.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt

from qyzmet.audit.services import audit_record, personal_data_read
from qyzmet.audit.usage import personal_data_usage, registry_usage
from qyzmet.core.problem import PROBLEM_CONTENT_TYPE, FieldError, Problem
from qyzmet.exchange import registry_client as registry_client_module
from qyzmet.registries.consent.selectors import consent_missing
from qyzmet.registries.descriptor import registry_descriptor

from . import selectors, services
from .bodies import body_json, invalid, query_filter, section_content, write_values
from .gateway import GatewayContext, gateway_request_verify, personal_read_require
from .registries import VERSION, FieldInvalid, Registry, audit_subject, registry_get
from .schema_registries import (
    SchemaRegistry,
    registry_by_database_id,
    registry_find,
    registry_versions,
)
from .usage import imported_usage


def problem_response(
    request: HttpRequest, problem: Problem, content_type: str = PROBLEM_CONTENT_TYPE
) -> HttpResponse:
    response = HttpResponse(
        json.dumps(problem.as_dict(request.path), ensure_ascii=False),
        status=problem.status,
        content_type=content_type,
    )
    return response


def _security_log(request: HttpRequest, problem: Problem) -> None:
    audit_record(
        actor=None,
        kind="security",
        action="govstack.request_refused",
        object_type="govstack",
        object_id=problem.code,
        data={"path": request.path[:300], "method": request.method,
              "remote": request.META.get("REMOTE_ADDR", "")},
    )  # fmt: skip


def endpoint(*methods: str, last_write_only: bool = False) -> Callable:
    """CSRF-exempt (machine clients), method check, one transaction, Problem → problem+json.

    `last_write_only`: the view only reads, then writes one row as its very last step (a fact
    read and its audit row), so a refusal can have written nothing and needs no savepoint — two
    statements less on the gateway's hottest path."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = problem_response(
                    request,
                    Problem(405, "govstack.method_not_allowed", "Method not allowed",
                            f"Use {', '.join(methods)}."),
                )  # fmt: skip
                response["Allow"] = ", ".join(methods)
                return response
            try:
                with contextlib.nullcontext() if last_write_only else transaction.atomic():
                    return view(request, *args, **kwargs)
            except Problem as problem:
                if problem.code.startswith("gateway.proof"):
                    _security_log(request, problem)
                return problem_response(request, problem)

        # Every exception leaves this view through its own savepoint (or before its only write):
        # the gateway's in-process transport need not open another around it.
        wrapper.isolates_transaction = True  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _registry(name: str, version: str) -> Registry:
    """A built-in registry (version 1.0), else a schema-described one at that version."""
    registry: Registry | None = registry_get(name)
    if registry is not None:
        if version != VERSION:
            raise Problem(404, "govstack.unknown_version", "Not found",
                          f"The registry “{name}” serves version {VERSION} only.")  # fmt: skip
        return registry
    registry = registry_find(name, version)
    if registry is not None:
        return registry
    versions = registry_versions(name)
    if versions:
        raise Problem(
            404,
            "govstack.unknown_version",
            "Not found",
            f"The registry “{name}” serves version {', '.join(sorted(versions))}.",
        )
    raise Problem(404, "govstack.unknown_registry", "Not found", f"No registry “{name}”.")


def _query_persons(registry: Registry, content: dict[str, Any]) -> set[str]:
    """Persons named in a query: reading "does X have a record" is reading X's data."""
    return {
        str(value)
        for name, value in content.items()
        if (spec := registry.field(name)) is not None and registry.is_person_field(spec)
        and isinstance(value, str) and value
    }  # fmt: skip


def _audit_read(registry: Registry, person: str, *, purpose: str, data: dict) -> None:
    """One personal-data read. A person of a schema-described registry is also recorded as the
    row's object (`govstack.{registry}.person`, their ID), so their myPersonalDataUsage finds
    it whatever their identifier scheme; an IIN is also the row's subject (the portal tracker)."""
    if isinstance(registry, SchemaRegistry):
        audit_record(
            actor=None, kind="read", action=f"read:{registry.name}.record",
            object_type=f"govstack.{registry.name}.person"[:60], object_id=person[:64],
            subject_iin=audit_subject(person), purpose=purpose, data=data,
        )  # fmt: skip
        return
    personal_data_read(actor=None, subject_iin=person, what=f"{registry.name}.record",
                       purpose=purpose, data=data)  # fmt: skip


def _consent_check(registry: str, category: str, persons: Iterable[str],
                   context: GatewayContext) -> None:  # fmt: skip
    for iin in sorted(set(persons)):
        missing = consent_missing(
            registry=registry, category=category, subject_iin=iin,
            client=context.client, purpose=context.purpose,
        )  # fmt: skip
        if missing:
            raise Problem(
                403, "consent.required", "Consent required",
                "The person has not given (or has withdrawn) the consent this data needs.",
                extra={"agreements": [{"code": a.code, "version": a.version} for a in missing]},
            )  # fmt: skip


def _release(
    registry: Registry,
    records: list[Any],
    context: GatewayContext,
    *,
    queried: Iterable[str] = (),
    fields: list[str] | None = None,
) -> list[dict]:
    """Check consent for every person concerned, then audit one read per person and record."""
    _consent_check(
        registry.name, "record",
        [*queried, *(iin for obj in records for iin in registry.persons(obj))], context,
    )  # fmt: skip
    out = []
    for obj in records:
        content = registry.to_content(obj)
        returned = fields if fields is not None else list(content)
        for person in registry.persons(obj):
            _audit_read(
                registry,
                person,
                purpose=context.purpose,
                data={**context.audit_data(returned), "record": content[registry.key]},
            )
        out.append(content)
    return out


def _page_url(request: HttpRequest, page: int) -> str:
    params = request.GET.copy()
    params["page"] = str(page)
    return request.build_absolute_uri(request.path + "?" + urlencode(list(params.items())))


# --- the Data API -------------------------------------------------------------------------------


@endpoint("GET")
def records_list_view(request: HttpRequest, registry: str, version: str) -> HttpResponse:
    """GET /data/{registry}/{version}: search, filter, order and page through the records."""
    reg = _registry(registry, version)
    context = gateway_request_verify(request)
    personal_read_require(context)
    params = {k: request.GET.get(k, "") for k in request.GET}  # the last value of each, as items()
    page = selectors.records_list(registry=reg, params=params)
    queried = _query_persons(
        reg, {k.removeprefix("query."): v for k, v in params.items() if k.startswith("query.")}
    )
    results = _release(reg, page.records, context, queried=queried)
    # `next`/`previous` only when there is such a page (the suite's schema wants a string).
    answer: dict[str, Any] = {"count": page.count}
    if page.has_next:
        answer["next"] = _page_url(request, page.page + 1)
    if page.page > 1:
        answer["previous"] = _page_url(request, page.page - 1)
    answer["results"] = results
    return JsonResponse(answer, json_dumps_params={"ensure_ascii": False})


def _one(reg: Registry, content: dict[str, Any], *, base: str = "/query/content") -> Any | None:
    matches = selectors.records_find(registry=reg, q=query_filter(reg, content, base), limit=2)
    if len(matches) > 1:
        raise Problem(
            409, "govstack.ambiguous", "Conflict",
            "The query matches more than one record: name the record exactly.",
        )  # fmt: skip
    return matches[0] if matches else None


def _not_found() -> Problem:
    # The detail is the one the GovStack specification gives for read's 404.
    return Problem(404, "govstack.not_found", "Not found", "no record found")


def _json(data: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _op_create(request: HttpRequest, reg: Registry, context: GatewayContext) -> HttpResponse:
    content = section_content(body_json(request), "write")
    values = write_values(reg, content, creating=True)
    obj = services.record_create(registry=reg, values=values, context=context)
    return _json({"content": reg.to_content(obj)})


def _op_read(request: HttpRequest, reg: Registry, context: GatewayContext) -> HttpResponse:
    """One record: the first that matches, in key order ("searches and returns one record").
    Not found is the specification's own 404 answer, `application/json` with
    `detail: "no record found"` (still a problem document)."""
    personal_read_require(context)
    query = section_content(body_json(request), "query")
    found = selectors.records_find(registry=reg, q=query_filter(reg, query), limit=1)
    if not found:
        _consent_check(reg.name, "record", _query_persons(reg, query), context)
        return problem_response(request, _not_found(), content_type="application/json")
    return _json({"content": _release(reg, found, context, queried=_query_persons(reg, query))[0]})


def _exists_query(body: dict[str, Any]) -> dict[str, Any]:
    """`{"query": {"content": {…}}}`; the GovStack test suite sends the fields bare, so a body
    with neither `query` nor `write` is taken as the query content itself."""
    if "query" not in body and "write" not in body:
        return body
    return section_content(body, "query")


def _op_exists(request: HttpRequest, reg: Registry, context: GatewayContext) -> HttpResponse:
    personal_read_require(context)
    query = _exists_query(body_json(request))
    found = selectors.records_find(registry=reg, q=query_filter(reg, query), limit=1)
    _release(reg, found, context, queried=_query_persons(reg, query), fields=["exists"])
    message = "Object found from database." if found else "Object not found from database."
    return _json({"answer": {"status": bool(found), "message": message}})


def _query_and_write(request: HttpRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    body = body_json(request)
    return section_content(body, "query"), section_content(body, "write")


def _op_update(request: HttpRequest, reg: Registry, context: GatewayContext) -> HttpResponse:
    query, write = _query_and_write(request)
    values = write_values(reg, write, creating=False)
    obj = _one(reg, query)
    if obj is None:
        applied = _already_applied(reg, write)
        if applied is None:
            raise _not_found()
        return _json({"content": reg.to_content(applied)})
    obj = services.record_update(registry=reg, obj=obj, values=values, context=context)
    return _json({"content": reg.to_content(obj)})


def _already_applied(reg: Registry, write: dict[str, Any]) -> Any | None:
    """The record an update already produced, when the same update is sent again: nothing
    matches the query any more, but exactly one record holds every written value. A PUT is
    idempotent (RFC 9110 §9.2.2), so a client that retries after a lost answer — or the GovStack
    suite, which sends each request more than once — gets the same answer, not a 404."""
    try:
        matches = selectors.records_find(
            registry=reg, q=query_filter(reg, write, "/write/content"), limit=2
        )
    except Problem:  # a written field that cannot be queried (an array, an object)
        return None
    return matches[0] if len(matches) == 1 else None


def _op_update_entries(request: HttpRequest, reg: Registry,
                       context: GatewayContext) -> HttpResponse:  # fmt: skip
    query, write = _query_and_write(request)
    values = write_values(reg, write, creating=False)
    matches = selectors.records_find(registry=reg, q=query_filter(reg, query))
    # Nothing to update is an answer ({"count": 0}), not an error: the operation is "update the
    # entries that match", and a retried request finds its entries already changed.
    for obj in matches:
        services.record_update(registry=reg, obj=obj, values=values, context=context)
    return _json({"count": len(matches)})


def _op_update_or_create(request: HttpRequest, reg: Registry,
                         context: GatewayContext) -> HttpResponse:  # fmt: skip
    query, write = _query_and_write(request)
    obj = _one(reg, query)
    if obj is not None:
        values = write_values(reg, write, creating=False)
        obj = services.record_update(registry=reg, obj=obj, values=values, context=context)
        return _json({"content": reg.to_content(obj)})
    merged = {**query, **write}
    values = write_values(reg, merged, creating=True)
    obj = services.record_create(registry=reg, values=values, context=context)
    return _json({"content": reg.to_content(obj)})


def _op_delete(request: HttpRequest, reg: Registry, context: GatewayContext) -> HttpResponse:
    query = section_content(body_json(request), "query")
    obj = _one(reg, query)
    if obj is None:
        raise _not_found()
    services.record_delete(registry=reg, obj=obj, context=context)
    return HttpResponse(status=204)


# operation name → (methods, handler); GovStack spells some in kebab-case, some clients in camel.
_OPERATIONS: dict[str, tuple[tuple[str, ...], Callable[..., HttpResponse]]] = {
    "create": (("POST",), _op_create),
    "read": (("POST",), _op_read),
    "exists": (("POST",), _op_exists),
    "update": (("PUT", "PATCH", "POST"), _op_update),
    "update-entries": (("PUT", "PATCH", "POST"), _op_update_entries),
    "updateEntries": (("PUT", "PATCH", "POST"), _op_update_entries),
    "update-or-create": (("PUT", "POST"), _op_update_or_create),
    "updateOrCreate": (("PUT", "POST"), _op_update_or_create),
    "delete": (("DELETE",), _op_delete),
}


@endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def operation_view(request: HttpRequest, registry: str, version: str,
                   operation: str) -> HttpResponse:  # fmt: skip
    """POST/PUT/DELETE /data/{registry}/{version}/{operation} with a GovStack body."""
    reg = _registry(registry, version)
    known = _OPERATIONS.get(operation)
    if known is None:
        raise Problem(404, "govstack.unknown_operation", "Not found",
                      f"No operation “{operation}”.")  # fmt: skip
    methods, handler = known
    if request.method not in methods:
        raise Problem(405, "govstack.method_not_allowed", "Method not allowed",
                      f"Use {', '.join(methods)} for “{operation}”.")  # fmt: skip
    context = gateway_request_verify(request)
    return handler(request, reg, context)


@endpoint("DELETE")
def record_delete_view(request: HttpRequest, registry: str, version: str,
                       record_id: str) -> HttpResponse:  # fmt: skip
    """DELETE /data/{registry}/{version}/{ID}/delete."""
    reg = _registry(registry, version)
    context = gateway_request_verify(request)
    obj = selectors.record_by_key(registry=reg, key=record_id)
    if obj is None:
        raise _not_found()
    services.record_delete(registry=reg, obj=obj, context=context)
    return HttpResponse(status=204)


@endpoint("GET")
def read_value_view(request: HttpRequest, registry: str, version: str, record_id: str,
                    field: str) -> HttpResponse:  # fmt: skip
    """GET /data/{registry}/{version}/{ID}/read-value/{field}[.{ext}] (also `readValue`): one
    field's value, as text (or as JSON with `.json`)."""
    reg = _registry(registry, version)
    context = gateway_request_verify(request)
    personal_read_require(context)
    name, _dot, ext = field.rpartition(".") if "." in field else (field, "", "")
    if reg.field(name) is None:
        raise invalid([FieldError("/field", f"The registry has no field “{name}”.")],
                      "Unknown field.")  # fmt: skip
    obj = selectors.record_by_key(registry=reg, key=record_id)
    if obj is None:
        raise _not_found()
    value = _release(reg, [obj], context, fields=[name])[0].get(name)
    if ext == "json":
        # The value itself as JSON (a string is a JSON string), as the specification answers.
        return HttpResponse(json.dumps(value, ensure_ascii=False),
                            content_type="application/json")  # fmt: skip
    if ext not in ("", "txt"):
        raise Problem(415, "govstack.unsupported_format", "Unsupported format",
                      "This field can be read as .txt or .json only.")  # fmt: skip
    text = "" if value is None else (value if isinstance(value, str) else json.dumps(value))
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@endpoint("GET")
def openapi_view(request: HttpRequest, registry: str, version: str) -> HttpResponse:
    """The registry's OpenAPI description (what the gateway's getOpenAPI returns for it)."""
    from .openapi import registry_openapi

    return _json(registry_openapi(_registry(registry, version)))


# --- facts (what the registry client asks for) ----------------------------------------------

_CLIENT_ERRORS = {
    registry_client_module.UnknownFact: 404,
    registry_client_module.SubjectNotFound: 404,
    registry_client_module.InvalidSubject: 400,
    registry_client_module.InvalidRequest: 400,
}


@endpoint("GET", last_write_only=True)
def fact_view(request: HttpRequest, registry: str, version: str, fact: str) -> HttpResponse:
    """GET /data/{registry}/{version}/facts/{fact}?subject=…[&fields=a,b]: the same dict as
    `LocalRegistryClient.fetch`, audited with the gateway's client, user and purpose. Every
    registry with a descriptor answers its facts, whether or not it has a Data API."""
    if registry_descriptor(registry) is None or version != VERSION:
        _registry(registry, version)  # the Data API's 404 for an unknown registry or version
    context = gateway_request_verify(request)
    personal_read_require(context)
    subject = request.GET.get("subject", "")
    fields_raw = request.GET.get("fields")
    fields = [f for f in fields_raw.split(",") if f] if fields_raw else None
    try:
        found = registry_client_module.fact_answer(
            registry=registry, fact=fact, subject=subject, fields=fields
        )
    except registry_client_module.RegistryError as exc:
        status = next((s for cls, s in _CLIENT_ERRORS.items() if isinstance(exc, cls)), 400)
        errors = [FieldError("/subject", str(exc))] if exc.code.endswith("subject") else []
        raise Problem(status, exc.code, "Registry error", str(exc), errors) from exc
    _consent_check(registry, fact, [found.person_iin] if found.person_iin else [], context)
    personal_data_read(
        actor=None, subject_iin=found.person_iin, what=f"{registry}.{fact}",
        purpose=context.purpose,
        data={**context.audit_data(found.fields), "subject": subject.strip()},
    )  # fmt: skip
    return _json(found.answer)


# --- myPersonalDataUsage ------------------------------------------------------------------------


def _usage_json(request: HttpRequest, subject_iin: str) -> JsonResponse:
    raw_limit = request.GET.get("page_size", "")
    limit = int(raw_limit) if raw_limit.isdigit() else 50
    page = personal_data_usage(
        subject_iin=subject_iin, cursor=request.GET.get("cursor"), limit=limit
    )
    lang = (get_language() or "en")[:2]
    next_url = None
    if page.next_cursor:
        params = request.GET.copy()
        params["cursor"] = page.next_cursor
        next_url = request.build_absolute_uri(request.path + "?" + urlencode(list(params.items())))
    return _json({"results": [e.as_json(lang) for e in page.entries], "next": next_url})


def _usage_govstack(request: HttpRequest) -> HttpResponse:
    """GovStack's form: `userID` and `DatabaseID` (the specification spells them `userId`,
    `databaseId`) → a JSON array of PersonalDataUsage items, the reads of that one database's
    data about the person: our audit trail's, then those the registry's previous system logged
    (`usage_field`), newest first. The parameters are checked before the gateway's proof, as a
    registry name in a Data API path is (400 here, 404 there, whoever asks)."""
    user = (request.GET.get("userID") or request.GET.get("userId") or "").strip()
    database = (request.GET.get("DatabaseID") or request.GET.get("databaseId") or "").strip()
    errors = []
    if not user:
        errors.append(FieldError("/userID", "Say whose data usage is asked for."))
    if not database:
        errors.append(FieldError("/DatabaseID", "Name the database (registry)."))
    if errors:
        raise invalid(errors, "A query parameter is not valid.")
    schema_registry = registry_by_database_id(database)
    builtin = registry_get(database) if schema_registry is None else None
    if schema_registry is None and builtin is None:
        raise invalid([FieldError("/DatabaseID", f"No database “{database}”.")],
                      "A query parameter is not valid.")  # fmt: skip
    if schema_registry is not None:
        spec = schema_registry.field(schema_registry.person_field)
        if spec is None:
            raise invalid([FieldError("/DatabaseID", "This database holds no personal data.")],
                          "A query parameter is not valid.")  # fmt: skip
        try:
            person = str(spec.parse(user))
        except FieldInvalid as exc:
            raise invalid([FieldError("/userID", exc.reason)], "userID invalid.") from exc
    else:
        try:
            person = registry_client_module.subject_validate(kind="iin", subject=user)
        except registry_client_module.InvalidSubject as exc:
            raise invalid([FieldError("/userID", exc.reason)], "userID invalid.") from exc
    context = gateway_request_verify(request)
    if not context.open_registry and context.user != person:
        raise Problem(403, "govstack.not_own_data", "Forbidden",
                      "A person's data usage is shown only to that person.")  # fmt: skip
    name = schema_registry.name if schema_registry is not None else database
    lang = (get_language() or "en")[:2]
    items = [
        e.as_govstack(lang)
        for e in registry_usage(registry=name, subject=person, schema=schema_registry is not None)
    ]
    if schema_registry is not None:
        items.extend(imported_usage(registry=schema_registry, person=person))
    items.sort(key=lambda item: str(item.get("SearchDateTime", "")), reverse=True)
    return JsonResponse(items, safe=False, json_dumps_params={"ensure_ascii": False})


@endpoint("GET")
def usage_gateway_view(request: HttpRequest) -> HttpResponse:
    """GET /data/MyPersonalDataUsage/1.0 with `ID` (query or header): the reads of that person's
    data. Through the gateway only, and only on the person's own behalf (`X-Road-UserId` = ID).
    With GovStack's `userID` and `DatabaseID` instead: see `_usage_govstack`."""
    if any(k in request.GET for k in ("userID", "userId", "DatabaseID", "databaseId")):
        return _usage_govstack(request)
    context = gateway_request_verify(request)
    person = (request.GET.get("ID") or request.META.get("HTTP_ID", "")).strip()
    if not person:
        raise invalid([FieldError("/ID", "Say whose data usage is asked for.")], "ID missing.")
    try:
        person = registry_client_module.subject_validate(kind="iin", subject=person)
    except registry_client_module.InvalidSubject as exc:
        raise invalid([FieldError("/ID", exc.reason)], "ID invalid.") from exc
    if context.user != person:
        raise Problem(403, "govstack.not_own_data", "Forbidden",
                      "A person's data usage is shown only to that person.")  # fmt: skip
    return _usage_json(request, person)


@endpoint("GET")
def usage_citizen_view(request: HttpRequest) -> HttpResponse:
    """GET /data/my/personal-data-usage: the signed-in person's own list (session or token)."""
    from qyzmet.identity.auth import user_for_token

    user = getattr(request, "user", None)
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("bearer "):
        user = user_for_token(header[7:].strip())
    if user is None or not getattr(user, "is_authenticated", False) or not user.iin:
        raise Problem(401, "unauthenticated", "Authentication required", "Sign in first.")
    return _usage_json(request, user.iin)

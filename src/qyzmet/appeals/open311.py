"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2), so that existing 311 clients
work unchanged: services (= appeal categories), service definitions, service requests (GET with
the standard filters, POST with an api_key), single requests and tokens, each as .json or .xml,
and errors in the specification's own format (`[{"code", "description"}]` /
`<errors><error>`), with the matching HTTP status.

Language: a `lang` parameter (kk, ru or en; query string or form field) or else the request's
`Accept-Language` (Django's LocaleMiddleware) picks the language of service names and of error
descriptions; the answer says which in `Content-Language`. Parameter names inside descriptions
("description: …") stay as the specification spells them."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from qyzmet.core.problem import Problem
from qyzmet.identity.selectors import organisation_names

from . import selectors, services
from .config import appeals_pack
from .labels import place_note
from .models import Appeal
from .validation import language_guess

MAX_RESULTS = 1000
DEFAULT_DAYS = 90


class FmtConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class IdConverter:
    regex = r"[A-Za-z0-9_\-]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


LANGS = ("kk", "ru", "en")
# Our problem pointers → the Open311 parameter that carried the value.
PARAMETERS = {"text": "description", "lat": "lat", "lon": "long", "address": "address_string",
              "category": "service_code", "media_url": "media_url"}


def _lang() -> str:
    lang = (get_language() or "kk")[:2]
    return lang if lang in LANGS else "kk"


def _localised(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer in the `lang` parameter's language, else in the one LocaleMiddleware chose from
    Accept-Language (or the language cookie), else in the default."""

    @wraps(view)
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        asked = request.GET.get("lang") or (
            request.POST.get("lang") if request.method == "POST" else None)
        lang = (asked or getattr(request, "LANGUAGE_CODE", "") or "kk")[:2].lower()
        lang = lang if lang in LANGS else "kk"
        with translation.override(lang):
            response = view(request, *args, **kwargs)
        response["Content-Language"] = lang
        return response

    return answer


def _xml(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        el = ET.SubElement(top, item)
        _fill(el, row)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def _fill(el: ET.Element, row: dict[str, Any]) -> None:
    for key, value in row.items():
        child = ET.SubElement(el, key)
        if isinstance(value, list):
            singular = {"attributes": "attribute", "values": "value"}.get(key, "item")
            for entry in value:
                _fill(ET.SubElement(child, singular), entry)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        elif value is not None:
            child.text = str(value)


def _respond(fmt: str, rows: Any, *, root: str = "", item: str = "", status: int = 200):
    if fmt == "xml":
        if isinstance(rows, dict):
            top = ET.Element(root)
            _fill(top, rows)
            body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        else:
            body = _xml(root, item, rows)
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    return HttpResponse(json.dumps(rows, ensure_ascii=False), status=status,
                        content_type="application/json; charset=utf-8")


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    return _respond(fmt, [{"code": status, "description": description}], root="errors",
                    item="error", status=status)


def _w3c(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _service(code: str) -> dict[str, Any]:
    cat = appeals_pack().categories[code]
    lang = _lang()
    return {
        "service_code": cat.code,
        "service_name": cat.name(lang),
        "description": cat.description.get(lang) or cat.description.get("en") or cat.name(lang),
        "metadata": bool(_attributes(code)),
        "type": "realtime",
        "keywords": ",".join(sorted(set(cat.names.values()))),
        "group": appeals_pack().types[cat.type].names.get(lang, cat.type)
        if cat.type in appeals_pack().types else cat.type,
    }


# Service attributes per category (Open311 "service definition"); all optional.
ATTRIBUTES: dict[str, list[dict[str, Any]]] = {
    "housing": [{
        "variable": True, "code": "entrance", "datatype": "string", "required": False,
        "datatype_description": gettext_lazy("The number of the entrance"), "order": 1,
        "description": gettext_lazy("Which entrance of the building"), "values": [],
    }],
}


def _attributes(code: str) -> list[dict[str, Any]]:
    """The category's attributes, their words in the active language."""
    return [{k: str(v) if isinstance(v, Promise) else v for k, v in attribute.items()}
            for attribute in ATTRIBUTES.get(code, [])]


@_localised
def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method != "GET":
        return _error(fmt, 405, _("Only GET is allowed here."))
    rows = [_service(code) for code in appeals_pack().categories]
    return _respond(fmt, rows, root="services", item="service")


@_localised
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if request.method != "GET":
        return _error(fmt, 405, _("Only GET is allowed here."))
    if code not in appeals_pack().categories:
        return _error(fmt, 404, _("service_code %(code)s not found") % {"code": code})
    definition = {"service_code": code, "attributes": _attributes(code)}
    return _respond(fmt, definition, root="service_definition")


def _request_row(appeal: Appeal, names: dict[str, dict]) -> dict[str, Any]:
    lang = _lang()
    cats = appeals_pack().categories
    org = names.get(appeal.organisation_code or "", {})
    return {
        "service_request_id": appeal.number,
        "status": "open" if appeal.is_open else "closed",
        "status_notes": appeal.answer_text or None,
        "service_name": cats[appeal.category].name(lang) if appeal.category in cats else None,
        "service_code": appeal.category,
        "description": appeal.text,
        "agency_responsible": org.get(lang) or org.get("en") or None,
        "service_notice": None,
        "requested_datetime": _w3c(appeal.created_at),
        "updated_datetime": _w3c(appeal.updated_at),
        "expected_datetime": (
            _w3c(dt.datetime.combine(appeal.due_date, dt.time(18, 0),
                                     tzinfo=timezone.get_current_timezone()))
            if appeal.due_date and appeal.is_open else None
        ),
        "address": appeal.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": appeal.lat,
        "long": appeal.lon,
        "media_url": appeal.media_url or None,
    }


def _rows(appeals: list[Appeal]) -> list[dict[str, Any]]:
    names = organisation_names(codes={a.organisation_code for a in appeals if a.organisation_code})
    return [_request_row(a, names) for a in appeals]


def _date(value: str | None, name: str) -> dt.datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value.replace(" ", "+"))
    if parsed is None:
        raise ValueError(_("%(name)s must be a W3C datetime, e.g. 2010-01-01T00:00:00Z")
                         % {"name": name})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, dt.UTC)
    return parsed


def _ids_of(numbers: list[str]) -> list[int]:
    ids = []
    for n in numbers:
        m = re.fullmatch(r"A-\d{4}-(\d+)", n.strip())
        if m:
            ids.append(int(m.group(1)))
    return ids


@csrf_exempt
@_localised
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    if request.method != "GET":
        return _error(fmt, 405, _("Only GET and POST are allowed here."))
    q = request.GET
    if q.get("service_request_id"):
        appeals = selectors.open311_requests(ids=_ids_of(q["service_request_id"].split(",")))
        return _respond(fmt, _rows(appeals), root="service_requests", item="request")
    try:
        start, end = _date(q.get("start_date"), "start_date"), _date(q.get("end_date"), "end_date")
    except ValueError as exc:
        return _error(fmt, 400, str(exc))
    if start and end and end - start > dt.timedelta(days=DEFAULT_DAYS):
        return _error(fmt, 400, _("start_date and end_date may not span more than %(days)d days")
                      % {"days": DEFAULT_DAYS})
    if start is None and end is None:
        start = timezone.now() - dt.timedelta(days=DEFAULT_DAYS)
    statuses = [s.strip() for s in q.get("status", "").split(",") if s.strip()]
    if any(s not in ("open", "closed") for s in statuses):
        return _error(fmt, 400, _("status must be open or closed"))
    codes = [c.strip() for c in q.get("service_code", "").split(",") if c.strip()]
    appeals = selectors.open311_requests(service_codes=codes, start=start, end=end,
                                         status=statuses, limit=MAX_RESULTS)
    return _respond(fmt, _rows(appeals), root="service_requests", item="request")


def _float(value: str | None, name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise ValueError(_("%(name)s must be a number") % {"name": name}) from exc


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.content_type and request.content_type not in FORM_TYPES:
        # GeoReport v2 posts service requests as form fields; a JSON body would otherwise look
        # like a request without an api_key.
        return _error(fmt, 415, _("Send the service request as form fields "
                                  "(application/x-www-form-urlencoded or multipart/form-data), "
                                  "not as %(type)s.") % {"type": request.content_type[:100]})
    p = request.POST
    key = services.open311_key_check(raw=p.get("api_key"))
    if key is None:
        return _error(fmt, 403, _("api_key is missing or not valid"))
    code = p.get("service_code", "")
    if not code:
        return _error(fmt, 400, _("service_code is required"))
    if code not in appeals_pack().categories:
        return _error(fmt, 400, _("service_code %(code)s not found") % {"code": code})
    try:
        lat, lon = _float(p.get("lat"), "lat"), _float(p.get("long"), "long")
    except ValueError as exc:
        return _error(fmt, 400, str(exc))
    if lat is None and lon is None and not p.get("address_string") and not p.get("address_id"):
        return _error(fmt, 400, _("a location is required: lat and long, or address_string"))
    known = {a["code"] for a in _attributes(code)}
    attributes = {}
    for name, value in p.items():
        m = re.fullmatch(r"attribute\[(.+)\]", name)
        if m:
            if m.group(1) not in known:
                return _error(fmt, 400, _("attribute %(name)s is not defined for %(code)s")
                              % {"name": m.group(1), "code": code})
            attributes[m.group(1)] = value[:500]
    description = p.get("description", "")
    try:
        appeal = services.appeal_submit(
            actor=None,
            text=description,
            lat=lat,
            lon=lon,
            address=p.get("address_string", ""),
            category=code,
            language=language_guess(description),
            source="open311",
            contact={k: p.get(k, "") for k in ("email", "first_name", "last_name", "phone")},
            media_url=p.get("media_url", ""),
            attributes=attributes,
            api_key=key,
        )
    except Problem as problem:
        detail = problem.errors[0].detail if problem.errors else problem.detail
        field = problem.errors[0].pointer.strip("/").split("/")[0] if problem.errors else ""
        field = PARAMETERS.get(field, field)
        return _error(fmt, 400, f"{field}: {detail}" if field else detail)
    row = {"service_request_id": appeal.number, "token": str(appeal.token),
           "service_notice": place_note(appeal.place_status) or "", "account_id": None}
    return _respond(fmt, [row], root="service_requests", item="request", status=201)


def input_refused(request: HttpRequest, problem: Problem) -> HttpResponse:
    """The request guard's refusal (bad bytes, a body too large; `qyzmet.core.input_guard`) in
    the specification's error format, in the format the path asks for."""
    fmt = "xml" if request.path_info.endswith(".xml") else "json"
    return _error(fmt, problem.status, problem.detail)


@_localised
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    if request.method != "GET":
        return _error(fmt, 405, _("Only GET is allowed here."))
    appeals = selectors.open311_requests(ids=_ids_of([request_id]))
    appeals = [a for a in appeals if a.number == request_id]
    if not appeals:
        return _error(fmt, 404, _("service_request_id %(id)s not found") % {"id": request_id})
    return _respond(fmt, _rows(appeals), root="service_requests", item="request")


@_localised
def token_detail(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    if request.method != "GET":
        return _error(fmt, 405, _("Only GET is allowed here."))
    appeal = selectors.appeal_by_token(token=token)
    if appeal is None:
        return _error(fmt, 404, _("token %(token)s not found") % {"token": token})
    rows = [{"service_request_id": appeal.number, "token": str(appeal.token)}]
    return _respond(fmt, rows, root="service_requests", item="request")

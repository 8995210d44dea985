"""GET /data/<registry>/1.0/events: a registry's change feed, answered only through the gateway.

Thin: verify the gateway's proof (`qyzmet.registries.govstack.gateway`, as the facts endpoint
does; the gateway has already checked the subscriber's access right to the registry's `events`
service), parse, read one page, audit a page of personal events, render. Errors are
problem+json (the GovStack views' `endpoint` wrapper)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from qyzmet.audit.services import personal_data_read
from qyzmet.core.problem import FieldError, Problem
from qyzmet.registries.descriptor import registry_descriptor
from qyzmet.registries.govstack.gateway import gateway_request_verify, personal_read_require
from qyzmet.registries.govstack.views import endpoint

from .selectors import LIMIT_DEFAULT, LIMIT_MAX, CursorInvalid, cursor_decode, feed_page

VERSION = "1.0"


def _invalid(pointer: str, detail: str) -> Problem:
    return Problem(
        400, "events.invalid_query", _("A query parameter is not valid."), detail,
        [FieldError(pointer, detail)],
    )  # fmt: skip


@endpoint("GET")
def events_view(request: HttpRequest, registry: str, version: str) -> HttpResponse:
    """`?after=<cursor>&limit=<n>&type=<CloudEvents type>` → `{"events": [...], "next": c}`."""
    descriptor = registry_descriptor(registry)
    if descriptor is None or version != VERSION or not descriptor.change_events:
        raise Problem(404, "events.unknown_feed", _("Not found"),
                      _("This registry publishes no change feed at this version."))  # fmt: skip
    context = gateway_request_verify(request)
    type_ = request.GET.get("type", "").strip()
    declared = descriptor.change_events
    if type_:
        declared = tuple(e for e in declared if e.type == type_)
        if not declared:
            raise _invalid("/type", _("This registry publishes no event of this type."))
    raw_limit = request.GET.get("limit", "")
    if raw_limit and not (raw_limit.isdigit() and int(raw_limit) > 0):
        raise _invalid("/limit", _("The limit must be a positive whole number."))
    limit = min(int(raw_limit), LIMIT_MAX) if raw_limit else LIMIT_DEFAULT
    after = 0
    if raw_after := request.GET.get("after", ""):
        try:
            after = cursor_decode(registry=registry, cursor=raw_after)
        except CursorInvalid:
            raise _invalid("/after", _("This cursor was not issued by this feed.")) from None
    if any(e.personal for e in declared):
        personal_read_require(context)
    page = feed_page(registry=registry, after=after, limit=limit, type=type_ or None)
    # One personal-data read per person the page is about, so each sees it on "who looked at
    # my data" (that page looks rows up by the person's IIN).
    for person, event_ids in page.events_of.items():
        personal_data_read(
            actor=None, subject_iin=person, what=f"{registry}.events", purpose=context.purpose,
            data={**context.audit_data(["events"]), "events": event_ids,
                  "count": len(page.events)},
        )  # fmt: skip
    return JsonResponse(
        {"events": page.events, "next": page.next_cursor},
        json_dumps_params={"ensure_ascii": False},
    )

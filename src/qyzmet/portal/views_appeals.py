"""The citizen's appeal pages (submit, my appeals, one appeal: rate or reopen) and the public
algorithm register (what the routing model does, on what data, how well, where people decide,
how to object)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qyzmet.ai import charts as ai_charts
from qyzmet.ai import selectors as ai_selectors
from qyzmet.appeals import maps, selectors, services
from qyzmet.appeals.config import appeals_pack
from qyzmet.appeals.labels import RATING_LABELS, decorate, history_decorate, place_note
from qyzmet.appeals.validation import PHOTO_MAX_BYTES, PHOTO_MAX_COUNT, TEXT_MAX
from qyzmet.core.problem import FieldError, Problem
from qyzmet.identity.selectors import organisation_names
from qyzmet.ui.language_switch import form_kept


def _lang() -> str:
    lang = (get_language() or "kk")[:2]
    return lang if lang in ("kk", "ru", "en") else "kk"


def _categories() -> list[tuple[str, str]]:
    lang = _lang()
    return [(c.code, c.name(lang)) for c in appeals_pack().categories.values()]


def _float(value: str | None, pointer: str) -> float | None:
    value = (value or "").strip().replace(",", ".")
    if not value:
        return None
    try:
        return float(value)
    except ValueError as exc:
        detail = _("Latitude and longitude must be numbers.")
        raise Problem(
            422, "place_invalid", _("Invalid coordinates"), detail, [FieldError(pointer, detail)]
        ) from exc


def _field_labels() -> dict[str, str]:
    """The form's fields by the first segment of a problem's pointer: (input id, label)."""
    return {
        "text": _("What is the problem?"),
        "lat": _("Latitude"),
        "lon": _("Longitude"),
        "address": _("Address"),
        "category": _("Category"),
        "photos": _("Photos"),
    }


def _form_errors(problem: Problem) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """The error summary as (input id, field label, message) and each field's own message,
    so the page names the field and links to it."""
    labels = _field_labels()
    summary: list[tuple[str, str, str]] = []
    by_field: dict[str, str] = {}
    for error in problem.errors:
        field = error.pointer.strip("/").split("/")[0]
        if field not in labels:
            continue
        summary.append((field, labels[field], error.detail))
        by_field.setdefault(field, error.detail)
    return summary, by_field


@login_required
@maps.map_page
@require_http_methods(["GET", "POST"])
def appeal_new(request: HttpRequest) -> HttpResponse:
    context = {
        "categories": _categories(),
        "text_max": TEXT_MAX,
        "photo_max": PHOTO_MAX_COUNT,
        "values": {},
        "error": None,
        "error_summary": [],
        "field_errors": {},
        **maps.map_context(),
    }
    if request.method == "POST":
        values = request.POST
        context["values"] = values
        try:
            files = request.FILES.getlist("photos")
            if len(files) > PHOTO_MAX_COUNT:
                detail = _("Attach at most %(count)d photos.") % {"count": PHOTO_MAX_COUNT}
                raise Problem(
                    422,
                    "too_many_photos",
                    _("Too many photos"),
                    detail,
                    [FieldError("/photos", detail)],
                )
            photos = [f.read(PHOTO_MAX_BYTES + 1) for f in files]
            appeal = services.appeal_submit(
                actor=request.user,
                text=values.get("text", ""),
                lat=_float(values.get("lat"), "/lat"),
                lon=_float(values.get("lon"), "/lon"),
                address=values.get("address", ""),
                category=values.get("category") or None,
                photos=photos,
                language=_lang(),
                source="portal",
            )
        except Problem as problem:
            context["error"] = problem
            context["error_summary"], context["field_errors"] = _form_errors(problem)
            return render(request, "portal/appeals/new.html", context, status=422)
        messages.success(
            request, _("Your appeal is registered as No. %(number)s.") % {"number": appeal.number}
        )
        note = place_note(appeal.place_status)
        if note:
            messages.warning(request, note)
        return redirect("my-appeal", appeal_id=appeal.pk)
    context["values"] = form_kept(request) or {}  # what was typed before a language switch
    return render(request, "portal/appeals/new.html", context)


@login_required
@require_GET
def my_appeals(request: HttpRequest) -> HttpResponse:
    page = selectors.appeal_list_for_citizen(
        user=request.user, cursor=request.GET.get("cursor"), limit=20
    )
    decorate(page.items, dict(_categories()))
    return render(request, "portal/appeals/list.html", {"page": page})


@login_required
@maps.map_page
@require_GET
def my_appeal(request: HttpRequest, appeal_id: int) -> HttpResponse:
    try:
        appeal = selectors.appeal_get_for_citizen(user=request.user, appeal_id=appeal_id)
    except Problem as problem:
        raise Http404 from problem
    decorate([appeal], dict(_categories()))
    lang = _lang()
    history = selectors.appeal_history(appeal_id=appeal.pk)
    codes = {appeal.organisation_code or ""} | {
        e.note for e in history if e.action in ("routed", "rerouted")
    }
    org_names = {
        code: n.get(lang) or n.get("en") or ""
        for code, n in organisation_names(codes=codes).items()
    }
    return render(
        request,
        "portal/appeals/detail.html",
        {
            "appeal": appeal,
            "organisation_name": org_names.get(appeal.organisation_code or ""),
            "district_label": appeals_pack().district_label(appeal.district, lang),
            "place_note": place_note(appeal.place_status),
            "history": history_decorate(history, org_names=org_names),
            "photos": selectors.appeal_photos(appeal_id=appeal.pk),
            "ratings": list(RATING_LABELS.items()),
            "kept": form_kept(request) or {},  # the reason typed before a language switch
            **maps.map_context(),
        },
    )


@login_required
@require_GET
def my_appeal_photo(request: HttpRequest, appeal_id: int, photo_id: int) -> HttpResponse:
    """A photo of the citizen's own appeal; anyone else's is 404. Never cached by others."""
    try:
        appeal = selectors.appeal_get_for_citizen(user=request.user, appeal_id=appeal_id)
        item = selectors.appeal_photo(appeal_id=appeal.pk, photo_id=photo_id)
    except Problem as problem:
        raise Http404 from problem
    response = HttpResponse(bytes(item.content), content_type=item.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _citizen_act(request: HttpRequest, appeal_id: int, fn, **kwargs) -> HttpResponse:
    try:
        fn(actor=request.user, appeal_id=appeal_id, **kwargs)
    except Problem as problem:
        if problem.status == 404:
            raise Http404 from problem
        messages.error(request, problem.detail or problem.title)
        return redirect("my-appeal", appeal_id=appeal_id)
    messages.success(request, _("Thank you."))
    return redirect("my-appeal", appeal_id=appeal_id)


@login_required
@require_POST
def appeal_rate(request: HttpRequest, appeal_id: int) -> HttpResponse:
    try:
        rating = int(request.POST.get("rating", ""))
    except ValueError:
        rating = 0
    return _citizen_act(request, appeal_id, services.appeal_rate, rating=rating)


@login_required
@require_POST
def appeal_reopen(request: HttpRequest, appeal_id: int) -> HttpResponse:
    return _citizen_act(
        request, appeal_id, services.appeal_reopen, reason=request.POST.get("reason", "")
    )


@require_GET
def algorithms(request: HttpRequest) -> HttpResponse:
    """The public algorithm register entry for appeal routing."""
    active = ai_selectors.model_active()
    metrics = active.metrics if active else {}
    shown = []
    for key, value in (metrics or {}).items():
        if isinstance(value, int | float):
            shown.append((key, f"{value:.3f}" if isinstance(value, float) else value))
    return render(
        request,
        "portal/appeals/algorithms.html",
        {
            "active": active,
            "metrics": shown,
            "has_matrix": bool(active and ai_charts.confusion_matrix_of(active.metadata)),
            "categories": _categories(),
        },
    )


@require_GET
def algorithms_confusion(request: HttpRequest) -> HttpResponse:
    active = ai_selectors.model_active()
    png = active and ai_charts.confusion_matrix_png(version_id=active.id, metadata=active.metadata)
    if not png:
        raise Http404
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "public, max-age=600"
    # Its axis titles are in the reader's language, chosen by the language cookie or the
    # browser's Accept-Language: a shared cache must keep one copy per each.
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    return response


@require_GET
def map_outlines(request: HttpRequest) -> HttpResponse:
    """The base of the appeals maps: the district outlines of the country pack (public data,
    names in kk/ru/en inside, so one cached copy serves every language)."""
    response = HttpResponse(maps.outlines_bytes(), content_type="application/geo+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


SEARCH_PER_MINUTE = 60  # a person typing an address and choosing from the list stays far below


def _search_allowed(request: HttpRequest) -> bool:
    """A per-person budget of address searches per minute (in the cache: a burst from one
    account is cut off, nothing is written to the database per keystroke)."""
    key = f"appeals:place-search:{request.user.pk}"
    cache.add(key, 0, 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 60)
        count = 1
    return count <= SEARCH_PER_MINUTE


@login_required
@require_GET
def place_search(request: HttpRequest) -> JsonResponse:
    """Address search for the map: `?q=` → {"results": [{label, lat, lon, district, kind}]}.
    Only the gazetteer's houses, streets and district names: nothing about who wrote."""
    if not _search_allowed(request):
        response = JsonResponse(
            {"results": [], "detail": _("Too many searches; wait a minute.")}, status=429
        )
        response["Retry-After"] = "60"
        return response
    results = maps.place_search(request.GET.get("q", ""), lang=_lang())
    response = JsonResponse({"results": [r.as_json() for r in results]})
    response["Cache-Control"] = "private, max-age=60"
    return response

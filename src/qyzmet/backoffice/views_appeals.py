"""The back office for appeals: the triage queue (the model's suggestion, route with one click),
organisation inboxes by deadline, the appeal page (take, answer from a template, extend, re-route,
merge or split a duplicate) and analytics drawn as pictures with the numbers beside them.

Officers of an organisation see their organisation's appeals; triage operators (`appeals_triage`)
see every appeal that has no organisation yet. Anyone else signed in gets 403; another
organisation's appeal is 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qyzmet.ai import selectors as ai_selectors
from qyzmet.appeals import chart_cache, charts, chooser, maps, selectors, services
from qyzmet.appeals.config import appeals_pack
from qyzmet.appeals.labels import (
    MEDIA_LABELS,
    PLACE_LABELS,
    history_decorate,
    media_error_text,
    percent,
    status_label,
)
from qyzmet.appeals.wording import suggestions_in_words
from qyzmet.backoffice.guards import area_required
from qyzmet.core.problem import Problem
from qyzmet.core.templating import text_render
from qyzmet.identity.selectors import organisation_names


def _lang() -> str:
    lang = (get_language() or "kk")[:2]
    return lang if lang in ("kk", "ru", "en") else "kk"


appeals_officer_required = area_required(
    lambda user: services.handler_organisations(user=user) or services.user_can_triage(user=user)
)


def _category_names() -> dict[str, str]:
    lang = _lang()
    return {code: cat.name(lang) for code, cat in appeals_pack().categories.items()}


def _org_names(codes) -> dict[str, str]:
    lang = _lang()
    return {
        code: n.get(lang) or n.get("en") or code
        for code, n in organisation_names(codes=set(codes)).items()
    }


@appeals_officer_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    orgs = services.handler_organisations(user=request.user)
    page = None
    if orgs:
        org = request.GET.get("organisation") or None
        page = selectors.inbox_list(
            user=request.user, organisation_code=org, cursor=request.GET.get("cursor"), limit=25
        )
        for appeal in page.items:
            appeal.status_label = status_label(appeal.status)
    return render(
        request,
        "backoffice/appeals/inbox.html",
        {
            "page": page,
            "orgs": _org_names(orgs),
            "categories": _category_names(),
            "can_triage": services.user_can_triage(user=request.user),
        },
    )


@appeals_officer_required
@require_GET
def triage(request: HttpRequest) -> HttpResponse:
    appeals = selectors.triage_list(user=request.user, limit=100)
    lang = _lang()
    categories = _category_names()
    organisations = chooser.organisations_for_appeals(lang=lang)
    org_names = dict(organisations)
    prints = chooser.footprint()
    suggestions_in_words(
        suggestions=[a.latest_suggestion for a in appeals if a.latest_suggestion is not None],
        lang=lang,
        org_names=org_names,
    )
    for appeal in appeals:
        appeal.place_unresolved = appeal.place_status == "unresolved"
        appeal.org_groups = chooser.route_groups(
            appeal=appeal, organisations=organisations, prints=prints, lang=lang
        )
    return render(
        request,
        "backoffice/appeals/triage.html",
        {
            "appeals": appeals,
            "categories": categories,
            "active_model": ai_selectors.model_active(),
        },
    )


def _answer_templates(appeal, lang: str) -> list[tuple[str, str]]:
    names = _org_names([appeal.organisation_code or ""])
    context = {
        "number": appeal.number,
        "address": appeal.address or "—",
        "organisation": names.get(appeal.organisation_code or "", ""),
    }
    result = []
    for tpl in appeals_pack().answers_for(appeal.category):
        text = tpl.text.get(appeal.language) or tpl.text.get("en") or ""
        result.append((tpl.names.get(lang) or tpl.code, text_render(text, context)))
    return result


@appeals_officer_required
@maps.map_page
@require_GET
def case(request: HttpRequest, appeal_id: int) -> HttpResponse:
    appeal = selectors.appeal_get_for_officer(user=request.user, appeal_id=appeal_id)
    lang = _lang()
    categories = _category_names()
    organisations = chooser.organisations_for_appeals(lang=lang)
    history = selectors.appeal_history(appeal_id=appeal.pk)
    suggestions = selectors.appeal_suggestions(appeal_id=appeal.pk)
    org_names = _org_names(
        {appeal.organisation_code or ""}
        | {e.note for e in history if e.action in ("routed", "rerouted")}
        | {s.organisation_code for s in suggestions}
    )
    suggestions_in_words(suggestions=suggestions, lang=lang, org_names=org_names)
    return render(
        request,
        "backoffice/appeals/case.html",
        {
            "appeal": appeal,
            "status_label": status_label(appeal.status),
            "organisation_name": org_names.get(appeal.organisation_code or ""),
            "category_name": categories.get(appeal.category or ""),
            "duplicate_pct": percent(appeal.duplicate_score, lang),
            "place_label": PLACE_LABELS.get(appeal.place_status, appeal.place_status),
            "place_unresolved": appeal.place_status == "unresolved",
            "district_label": appeals_pack().district_label(appeal.district, lang),
            "media_label": MEDIA_LABELS.get(appeal.media_status, ""),
            "media_error": media_error_text(appeal.media_error) if appeal.media_error else "",
            "history": history_decorate(history, org_names=org_names),
            "photos": selectors.appeal_photos(appeal_id=appeal.pk),
            "suggestions": suggestions,
            "categories": categories,
            "org_groups": chooser.route_groups(
                appeal=appeal, organisations=organisations, prints=chooser.footprint(), lang=lang
            ),
            "templates": _answer_templates(appeal, lang),
            "handles": services.user_handles(
                user=request.user, organisation_code=appeal.organisation_code
            ),
            **maps.map_context(),
        },
    )


ACTIONS = {"take", "answer", "extend", "route", "place", "merge", "split"}


@appeals_officer_required
@require_POST
def act(request: HttpRequest, appeal_id: int) -> HttpResponse:
    appeal = selectors.appeal_get_for_officer(user=request.user, appeal_id=appeal_id)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        messages.error(request, _("Unknown action."))
        return redirect("bo-appeal", appeal_id=appeal.pk)
    if action == "route" and not request.POST.get("organisation_code"):
        # No organisation is preselected: routing needs a person's explicit choice.
        messages.error(request, _("Organisation: choose the organisation the appeal is sent to."))
        if request.POST.get("next") == "triage":
            return redirect(f"{reverse('bo-appeals-triage')}#appeal-{appeal.pk}")
        return redirect(f"{reverse('bo-appeal', args=[appeal.pk])}#org")
    try:
        if action == "take":
            services.appeal_take(actor=request.user, appeal_id=appeal.pk)
        elif action == "answer":
            services.appeal_answer(
                actor=request.user, appeal_id=appeal.pk, text=request.POST.get("text", "")
            )
        elif action == "extend":
            services.appeal_extend(
                actor=request.user, appeal_id=appeal.pk, reason=request.POST.get("reason", "")
            )
        elif action == "route":
            services.appeal_route(
                actor=request.user,
                appeal_id=appeal.pk,
                organisation_code=request.POST.get("organisation_code", ""),
                category=request.POST.get("category") or None,
            )
        elif action == "place":
            services.appeal_place_set(
                actor=request.user,
                appeal_id=appeal.pk,
                lat=request.POST.get("lat"),
                lon=request.POST.get("lon"),
                reason=request.POST.get("place_reason", ""),
            )
        elif action == "merge":
            services.duplicate_merge(actor=request.user, appeal_id=appeal.pk)
        else:
            services.duplicate_split(actor=request.user, appeal_id=appeal.pk)
    except Problem as problem:
        if problem.status == 404:
            raise
        messages.error(request, problem.detail or problem.title)
        return redirect("bo-appeal", appeal_id=appeal.pk)
    messages.success(request, _("Done."))
    if request.POST.get("next") == "triage":
        return redirect("bo-appeals-triage")
    if action == "route" and not (
        services.user_can_triage(user=request.user)
        or services.user_handles(
            user=request.user, organisation_code=request.POST.get("organisation_code")
        )
    ):
        return redirect("bo-appeals-inbox")  # sent elsewhere: no longer ours to see
    return redirect("bo-appeal", appeal_id=appeal.pk)


@appeals_officer_required
@require_GET
def photo(request: HttpRequest, appeal_id: int, photo_id: int) -> HttpResponse:
    appeal = selectors.appeal_get_for_officer(user=request.user, appeal_id=appeal_id)
    item = selectors.appeal_photo(appeal_id=appeal.pk, photo_id=photo_id)
    response = HttpResponse(bytes(item.content), content_type=item.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


PERIOD_LABELS = {
    "4w": gettext_lazy("Last 4 weeks"),
    "13w": gettext_lazy("Last 13 weeks"),
    "26w": gettext_lazy("Last 26 weeks"),
    "52w": gettext_lazy("Last 52 weeks"),
    "all": gettext_lazy("All time"),
}


def _labeller(lang: str, org_names: dict[str, str]) -> Callable[[str, Any], str]:
    """Names people read for a category, district or organisation key."""
    cats = _category_names()
    pack = appeals_pack()

    def label(dimension: str, key: Any) -> str:
        if dimension == "category":
            return cats.get(key, key)
        if dimension == "district":
            return pack.district_label(key, lang) or key
        return org_names.get(key, key)

    return label


@appeals_officer_required
@require_GET
def analytics(request: HttpRequest) -> HttpResponse:
    """The numbers and the over-time charts come from `chart_cache` (drawn once per change of
    the appeals, in the background after a change), so the page never waits on drawing."""
    period = _period(request)
    lang = _lang()
    context = chart_cache.cached(
        kind="page", period=period, lang=lang, build=lambda: _analytics_context(period, lang)
    )
    periods = [(code, PERIOD_LABELS[code]) for code in selectors.PERIODS]
    return render(request, "backoffice/appeals/analytics.html", {**context, "periods": periods})


def _period(request: HttpRequest) -> str:
    period = request.GET.get("period") or selectors.DEFAULT_PERIOD
    return period if period in selectors.PERIODS else selectors.DEFAULT_PERIOD


def _analytics_context(period: str, lang: str) -> dict[str, Any]:
    """What the analytics page shows for a period, in `lang` (cached by `chart_cache`)."""
    data = selectors.analytics(period=period)
    label = _labeller(lang, _org_names([c for c, _ in data["by_organisation"]]))
    # Only what the template reads is kept: every request unpickles this from the cache, and
    # the hot-spot points (up to 20,000) and per-series weeks would cost more than the render.
    shown = {key: data[key] for key in ("period", "start", "total", "weekly", "on_time",
                                        "answered")}  # fmt: skip
    return {
        "data": shown,
        "charts": charts.over_time_charts(data, label=label),
        "by_category": [(label("category", c), n) for c, n in data["by_category"]],
        "by_district": [(label("district", c), n) for c, n in data["by_district"]],
        "by_organisation": [(label("organisation", c), n) for c, n in data["by_organisation"]],
        "hotspots_alt": charts.hotspots_alt(data["points"]),
        "compliance_pct": None if data["compliance"] is None else round(100 * data["compliance"]),
    }


CHARTS = {"weekly", "category", "district", "organisation", "hotspots"}


@appeals_officer_required
@require_GET
def chart(request: HttpRequest, name: str) -> HttpResponse:
    if name not in CHARTS:
        raise Http404
    period, lang = _period(request), _lang()
    png = chart_cache.cached(
        kind=f"png:{name}", period=period, lang=lang, build=lambda: _chart_png(name, period, lang)
    )
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


def _chart_png(name: str, period: str, lang: str) -> bytes:
    """One totals chart drawn for a period, in `lang` (cached by `chart_cache`)."""
    data = selectors.analytics(period=period)
    label = _labeller(lang, _org_names([c for c, _ in data["by_organisation"]]))
    if name == "weekly":
        png = charts.weekly_png(data["weekly"], _("Appeals per week"))
    elif name == "hotspots":
        png = charts.hotspots_png(data["points"], _("Hot spots"))
    else:
        titles = {
            "category": _("Appeals per category"),
            "district": _("Appeals per district"),
            "organisation": _("Appeals per organisation"),
        }
        png = charts.bar_png(
            name, [(label(name, c), n) for c, n in data[f"by_{name}"]], titles[name]
        )
    return png

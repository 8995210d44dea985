"""Open legal acts, the public side: drafts published for comment (search, filter by agency and
status), a draft's page (current text by paragraph, explanatory note, deadline, versions and the
difference between any two, published comments with the agency's answers, the comment form for
signed-in people, the sealed summary), and the moderation policy. Everything reads without
signing in except the comment form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from qyzmet.core.formats import date_long
from qyzmet.core.problem import Problem
from qyzmet.documents.selectors import document_pdf
from qyzmet.identity.selectors import organisation_names
from qyzmet.participation import selectors, services
from qyzmet.participation.labels import (
    COMMENT_STATUS_LABELS,
    KIND_LABELS,
    POSITION_LABELS,
    REASON_LABELS,
    REASON_TEXTS,
    STATUS_LABELS,
)

PAGE_SIZE = 20


def _lang() -> str:
    lang = (get_language() or "kk")[:2]
    return lang if lang in ("kk", "ru", "en") else "kk"


def _org_names(codes) -> dict[str, str]:
    lang = _lang()
    return {code: n.get(lang) or n.get("ru") or "" for code, n in
            organisation_names(codes=set(codes)).items()}


def _int(value: str | None, default: int = 0) -> int:
    try:
        return max(int(value or default), 0)
    except ValueError:
        return default


def _decorate(act, names: dict[str, str], lang: str) -> None:
    act.agency_name = names.get(act.organisation_code, "")
    act.kind_label = KIND_LABELS.get(act.kind, "")
    act.status_label = STATUS_LABELS.get(act.status, "")
    act.days_left = selectors.days_left(act)
    act.closes_label = date_long(act.closes_on, lang) if act.closes_on else ""
    act.opened_label = date_long(timezone.localtime(act.opened_at).date(), lang) \
        if act.opened_at else ""
    if getattr(act, "current", None) is not None:
        act.title_text = selectors.localized(act.current.title, lang)


@require_GET
def acts_list(request: HttpRequest) -> HttpResponse:
    lang = _lang()
    q = request.GET.get("q", "")[:200]
    agency = request.GET.get("agency", "")[:60]
    status = request.GET.get("status", "")[:20]
    page = selectors.acts_public(q=q, organisation=agency, status=status,
                                 offset=_int(request.GET.get("offset")), limit=PAGE_SIZE)
    codes = selectors.organisations_with_acts()
    names = _org_names(codes)
    for act in page.items:
        _decorate(act, names, lang)
    query = request.GET.copy()
    query.pop("offset", None)
    return render(request, "portal/legal_acts/list.html", {
        "page": page,
        "q": q,
        "agency": agency,
        "status": status,
        "agencies": sorted(names.items(), key=lambda item: item[1]),
        "statuses": [(s, STATUS_LABELS[s]) for s in selectors.PUBLIC_STATUSES],
        "query": query.urlencode(),
    })


def _comment_errors(problem: Problem) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    labels = {"text": _("Your comment"), "paragraph": _("Paragraph (optional)"),
              "on_behalf_of": _("Comment as")}
    summary: list[tuple[str, str, str]] = []
    by_field: dict[str, str] = {}
    for error in problem.errors:
        name = error.pointer.strip("/").split("/")[0]
        if name in labels:
            summary.append((name, labels[name], error.detail))
            by_field.setdefault(name, error.detail)
    return summary, by_field


def _act_context(request: HttpRequest, act_id: int) -> dict:
    lang = _lang()
    services.legal_act_close_if_due(act_id=act_id)  # the task may not have run yet today
    try:
        view = selectors.act_public(act_id=act_id)
    except Problem as problem:
        raise Http404 from problem
    # The templates read display attributes set here on the act and its comments (the models
    # declare none of them): these objects are handled as Any.
    act: Any = view.act
    comment: Any
    codes = {act.organisation_code} | {c.on_behalf_of for c in view.comments if c.on_behalf_of}
    reps = services.representative_organisations(user=request.user) \
        if request.user.is_authenticated else set()
    names = _org_names(codes | reps)
    act.current = view.current
    _decorate(act, names, lang)
    for comment in view.comments:
        comment.author_label = names.get(comment.on_behalf_of) or _("A citizen")
        comment.position_label = POSITION_LABELS.get(comment.position, "")
    own = selectors.comments_of_author(user=request.user, act_id=act.pk)
    for comment in own:
        comment.status_label = COMMENT_STATUS_LABELS[comment.status]
        comment.reason_label = REASON_LABELS.get(comment.reason, "")
    summary_on = ""
    if act.summary_published_at:
        summary_on = date_long(timezone.localtime(act.summary_published_at).date(), lang)
    return {
        "act": act,
        "view": view,
        "version": view.current,
        "title": selectors.localized(view.current.title, lang),
        "paragraphs": selectors.numbered_paragraphs(view.current, lang),
        "note": selectors.localized(view.current.note, lang),
        "missing_language": lang not in view.current.text,
        "comments": view.comments,
        "own_comments": own,
        "represents": sorted((code, names.get(code, "")) for code in reps),
        "summary": act.summary,
        "summary_on": summary_on,
        "answer_labels": POSITION_LABELS,
        "values": {},
        "error": None,
        "error_summary": [],
        "field_errors": {},
    }


@require_http_methods(["GET", "POST"])
def act_detail(request: HttpRequest, act_id: int) -> HttpResponse:
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        values = request.POST
        try:
            services.comment_submit(
                actor=request.user, act_id=act_id, text=values.get("text", ""),
                paragraph=values.get("paragraph") or None,
                on_behalf_of=values.get("on_behalf_of", ""),
            )
        except Problem as problem:
            if problem.status == 404:
                raise Http404 from problem
            context = _act_context(request, act_id)
            context["values"] = values
            context["error"] = problem
            context["error_summary"], context["field_errors"] = _comment_errors(problem)
            return render(request, "portal/legal_acts/detail.html", context,
                          status=422 if problem.status == 422 else 409)
        messages.success(request, _("Thank you. Your comment is sent to the moderator; it is "
                                    "published once accepted."))
        return redirect("legal-act", act_id=act_id)
    return render(request, "portal/legal_acts/detail.html", _act_context(request, act_id))


@require_GET
def act_diff(request: HttpRequest, act_id: int) -> HttpResponse:
    lang = _lang()
    try:
        view = selectors.act_public(act_id=act_id)
    except Problem as problem:
        raise Http404 from problem
    numbers = [v.number for v in view.versions]
    old = _int(request.GET.get("from"), numbers[0])
    new = _int(request.GET.get("to"), numbers[-1])
    diff = selectors.version_diff(view=view, old=old, new=new, lang=lang)
    status = 200
    if diff is None:
        status = 404 if request.GET else 200
        old, new = numbers[0], numbers[-1]
        diff = selectors.version_diff(view=view, old=old, new=new, lang=lang)
    versions = [(v.number, date_long(timezone.localtime(v.created_at).date(), lang),
                 v.change_note) for v in view.versions]
    return render(request, "portal/legal_acts/diff.html", {
        "act": view.act,
        "title": selectors.localized(view.current.title, lang),
        "versions": versions,
        "old": old,
        "new": new,
        "diff": diff,
        "not_found": status == 404,
    }, status=status)


@require_GET
def act_summary_pdf(request: HttpRequest, act_id: int) -> HttpResponse:
    """The summary as the agency sealed it (PAdES): public, like the act."""
    try:
        view = selectors.act_public(act_id=act_id)
    except Problem as problem:
        raise Http404 from problem
    if not view.act.summary_document:
        raise Http404
    response = HttpResponse(document_pdf(public_id=view.act.summary_document),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="legal-act-{act_id}-summary.pdf"'
    return response


@require_GET
def moderation_policy(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/legal_acts/policy.html", {
        "reasons": [(REASON_LABELS[code], REASON_TEXTS[code]) for code in REASON_LABELS],
        "min_days": services.min_comment_days(),
    })

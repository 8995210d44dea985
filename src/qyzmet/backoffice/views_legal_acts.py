"""Open legal acts, the agency's side: my agency's drafts, create and edit (a new version once
published), publish (heads), the moderation queue, answers to published comments and the summary
(heads). Officers and heads of an agency see their agency's drafts; anyone else signed in gets
403; another agency's draft is 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qyzmet.backoffice.guards import area_required
from qyzmet.core.problem import FieldError, Problem
from qyzmet.identity.selectors import organisation_names
from qyzmet.participation import selectors, services
from qyzmet.participation.labels import (
    COMMENT_STATUS_LABELS,
    FLAG_LABELS,
    KIND_LABELS,
    POSITION_LABELS,
    REASON_LABELS,
    STATUS_LABELS,
)

if TYPE_CHECKING:
    from qyzmet.participation.models import Comment

LANGS = ("kk", "ru", "en")


def _lang() -> str:
    lang = (get_language() or "kk")[:2]
    return lang if lang in LANGS else "kk"


legal_acts_staff_required = area_required(
    lambda user: services.staff_organisations(user=user)
)


def _org_names(codes) -> dict[str, str]:
    lang = _lang()
    return {code: n.get(lang) or n.get("ru") or "" for code, n in
            organisation_names(codes=set(codes)).items()}


def _field_labels() -> dict[str, str]:
    labels = {"kind": _("Type of act"), "comment_days": _("Comment period, days"),
              "organisation": _("Agency")}
    for lang, name in (("kk", _("in Kazakh")), ("ru", _("in Russian")), ("en", _("in English"))):
        labels[f"title_{lang}"] = _("Title") + f" ({name})"
        labels[f"text_{lang}"] = _("Text") + f" ({name})"
        labels[f"note_{lang}"] = _("Explanatory note") + f" ({name})"
    return labels


def _errors(problem: Problem, labels: dict[str, str]):
    summary: list[tuple[str, str, str]] = []
    by_field: dict[str, str] = {}
    for error in problem.errors:
        name = error.pointer.strip("/").split("/")[0]
        if name in labels:
            summary.append((name, labels[name], error.detail))
            by_field.setdefault(name, error.detail)
    return summary, by_field


def _texts(post) -> tuple[dict, dict, dict]:
    return tuple({lang: post.get(f"{part}_{lang}", "") for lang in LANGS}
                 for part in ("title", "text", "note"))  # type: ignore[return-value]


def _form_context(request: HttpRequest, **extra: Any) -> dict:
    orgs = services.staff_organisations(user=request.user)
    return {
        "kinds": list(KIND_LABELS.items()),
        "organisations": sorted(_org_names(orgs).items(), key=lambda item: item[1]),
        "languages": [("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English (optional)"))],
        "min_days": services.min_comment_days(),
        "values": {},
        "error": None,
        "error_summary": [],
        "field_errors": {},
        **extra,
    }


@legal_acts_staff_required
@require_GET
def acts(request: HttpRequest) -> HttpResponse:
    lang = _lang()
    items = selectors.acts_for_staff(user=request.user)
    names = _org_names({a.organisation_code for a in items})
    for act in items:
        act.title_text = selectors.localized(act.current.title, lang) if act.current else ""
        act.status_label = STATUS_LABELS[act.status]
        act.agency_name = names.get(act.organisation_code, "")
        act.days_left = selectors.days_left(act)
    return render(request, "backoffice/legal_acts/list.html", {"acts": items})


@legal_acts_staff_required
@require_http_methods(["GET", "POST"])
def act_new(request: HttpRequest) -> HttpResponse:
    context = _form_context(request, values={"comment_days": services.min_comment_days()})
    if request.method == "POST":
        post = request.POST
        title, text, note = _texts(post)
        orgs = services.staff_organisations(user=request.user)
        org = post.get("organisation") or (next(iter(orgs)) if len(orgs) == 1 else "")
        try:
            if org not in orgs:
                raise Problem(422, "validation_failed", _("Validation failed"),
                              errors=[FieldError("/organisation", _("Choose your agency."))])
            act = services.legal_act_create(
                actor=request.user, organisation_code=org, kind=post.get("kind", ""),
                comment_days=post.get("comment_days", ""), title=title, text=text, note=note,
            )
        except Problem as problem:
            context.update(values=post, error=problem)
            context["error_summary"], context["field_errors"] = _errors(problem, _field_labels())
            return render(request, "backoffice/legal_acts/form.html", context, status=422)
        messages.success(request, _("The draft is saved. It is not public until a head of the "
                                    "agency publishes it."))
        return redirect("bo-legal-act", act_id=act.pk)
    return render(request, "backoffice/legal_acts/form.html", context)


@legal_acts_staff_required
@require_http_methods(["GET", "POST"])
def act_edit(request: HttpRequest, act_id: int) -> HttpResponse:
    view = selectors.act_for_staff(user=request.user, act_id=act_id)
    act, current = view.act, view.current
    values: dict[str, Any] = {"kind": act.kind, "comment_days": act.comment_days}
    for lang in LANGS:
        values[f"title_{lang}"] = current.title.get(lang, "")
        values[f"text_{lang}"] = current.text.get(lang, "")
        values[f"note_{lang}"] = current.note.get(lang, "")
    context = _form_context(request, act=act, values=values)
    if request.method == "POST":
        post = request.POST
        title, text, note = _texts(post)
        draft = act.status == "draft"
        try:
            services.legal_act_edit(
                actor=request.user, act_id=act.pk, title=title, text=text, note=note,
                kind=post.get("kind") if draft else None,
                comment_days=post.get("comment_days") if draft else None,
                change_note=post.get("change_note", ""),
            )
        except Problem as problem:
            if problem.status == 409:
                messages.error(request, problem.detail)
                return redirect("bo-legal-act", act_id=act.pk)
            context.update(values=post, error=problem)
            context["error_summary"], context["field_errors"] = _errors(problem, _field_labels())
            return render(request, "backoffice/legal_acts/form.html", context, status=422)
        messages.success(request, _("Saved.") if draft else
                         _("A new version is published; the earlier ones stay public."))
        return redirect("bo-legal-act", act_id=act.pk)
    return render(request, "backoffice/legal_acts/form.html", context)


@legal_acts_staff_required
@require_GET
def act_page(request: HttpRequest, act_id: int) -> HttpResponse:
    lang = _lang()
    services.legal_act_close_if_due(act_id=act_id)
    view = selectors.act_for_staff(user=request.user, act_id=act_id)
    act = view.act
    names = _org_names({act.organisation_code} | {c.on_behalf_of for c in view.comments})
    act.status_label = STATUS_LABELS[act.status]
    act.kind_label = KIND_LABELS[act.kind]
    act.agency_name = names.get(act.organisation_code, "")
    act.days_left = selectors.days_left(act)
    pending: list[Comment] = []
    published: list[Comment] = []
    refused: list[Comment] = []
    for comment in view.comments:
        comment.flag_labels = [FLAG_LABELS[f] for f in comment.flags if f in FLAG_LABELS]
        comment.status_label = COMMENT_STATUS_LABELS[comment.status]
        comment.reason_label = REASON_LABELS.get(comment.reason, "")
        comment.position_label = POSITION_LABELS.get(comment.position, "")
        comment.shown_as = names.get(comment.on_behalf_of) or _("A citizen")
        {"pending": pending, "accepted": published, "rejected": refused}[comment.status].append(
            comment
        )
    is_head = act.organisation_code in services.head_organisations(user=request.user)
    return render(request, "backoffice/legal_acts/act.html", {
        "act": act,
        "view": view,
        "title": selectors.localized(view.current.title, lang),
        "pending": pending,
        "published": published,
        "refused": refused,
        "unanswered": sum(1 for c in published if not c.position),
        "reasons": list(REASON_LABELS.items()),
        "positions": list(POSITION_LABELS.items()),
        "is_head": is_head,
        "editable": act.status in ("draft", "open"),
        "answerable": act.status in ("open", "summary_due"),
    })


def _act_post(request: HttpRequest, act_id: int, fn: Callable[..., Any], labels: dict[str, str],
              done: str, **kwargs: Any) -> HttpResponse:
    try:
        fn(actor=request.user, act_id=act_id, **kwargs)
    except Problem as problem:
        if problem.status in (403, 404):
            raise
        if problem.errors:
            for error in problem.errors:
                name = error.pointer.strip("/").split("/")[0]
                messages.error(request, f"{labels.get(name, '')}: {error.detail}".lstrip(": "))
        else:
            messages.error(request, problem.detail or problem.title)
        return redirect("bo-legal-act", act_id=act_id)
    messages.success(request, done)
    return redirect("bo-legal-act", act_id=act_id)


@legal_acts_staff_required
@require_POST
def act_publish(request: HttpRequest, act_id: int) -> HttpResponse:
    return _act_post(request, act_id, services.legal_act_publish, {},
                     _("The draft is published: the comment period has started."))


@legal_acts_staff_required
@require_POST
def comment_moderate(request: HttpRequest, act_id: int, comment_id: int) -> HttpResponse:
    return _act_post(
        request, act_id, services.comment_moderate,
        {"decision": _("Decision"), "reason": _("Ground for refusal")}, _("Moderated."),
        comment_id=comment_id, decision=request.POST.get("decision", ""),
        reason=request.POST.get("reason", ""),
    )


@legal_acts_staff_required
@require_POST
def comment_answer(request: HttpRequest, act_id: int, comment_id: int) -> HttpResponse:
    return _act_post(
        request, act_id, services.comment_answer,
        {"position": _("Taken into account?"), "answer": _("Reasoning")}, _("The answer is saved."),
        comment_id=comment_id, position=request.POST.get("position", ""),
        text=request.POST.get("answer", ""),
    )


@legal_acts_staff_required
@require_POST
def summary_publish(request: HttpRequest, act_id: int) -> HttpResponse:
    return _act_post(
        request, act_id, services.summary_publish, {"conclusion": _("Conclusion")},
        _("The summary is published and sealed."), conclusion=request.POST.get("conclusion", ""),
    )

"""Open dialogue, the public side: the list of questions (search, filters, pages), an agency's
page with its figures, one question with its answer, asking a question (signed in), the
asker's own questions, rating an answer, "I have the same question", and the published rules
moderators apply."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qyzmet.core.problem import Problem
from qyzmet.dialogue import selectors, services
from qyzmet.dialogue.labels import (
    RATING_LABELS,
    REJECT_REASONS,
    STATUS_LABELS,
    TOPICS,
    decorate,
    reader_language,
)
from qyzmet.identity.selectors import organisation_list


def _lang() -> str:
    return reader_language()


def _agencies() -> list[tuple[str, str]]:
    """(code, name in the reader's language) of every agency, by name."""
    lang = _lang()
    return sorted(((o.code, o.name(lang)) for o in organisation_list(kind="agency")),
                  key=lambda pair: pair[1])  # fmt: skip


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


@require_GET
def question_list(request: HttpRequest) -> HttpResponse:
    agencies = _agencies()
    codes = {c for c, _n in agencies}
    organisation = request.GET.get("agency", "")
    status = request.GET.get("status", "")
    topic = request.GET.get("topic", "")
    filters = {
        "q": request.GET.get("q", "")[:200],
        "agency": organisation if organisation in codes else "",
        "status": status if status in selectors.PUBLIC_FILTERS else "",
        "topic": topic if topic in TOPICS else "",
    }
    try:
        page = selectors.public_list(
            q=filters["q"], organisation_code=filters["agency"], status=filters["status"],
            topic=filters["topic"], cursor=request.GET.get("cursor"), limit=20,
        )  # fmt: skip
    except Problem:  # a cursor not made by us: start again from the first page
        page = selectors.public_list(q=filters["q"], organisation_code=filters["agency"],
                                     status=filters["status"], topic=filters["topic"])
    names = dict(agencies)
    decorate(page.items, names)
    counts = selectors.agencies_with_questions()
    active = [(c, names[c], counts[c]) for c, _n in agencies if c in counts]
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v and k != "q")
    return render(request, "portal/dialogue/list.html", {
        "page": page, "filters": filters, "agencies": agencies, "active_agencies": active,
        "topics": list(TOPICS.items()),
        "statuses": [(k, STATUS_LABELS[k2]) for k, k2 in
                     (("answered", "answered"), ("awaiting", "published"),
                      ("overdue", "overdue"))],
        "next_query": query,
    })  # fmt: skip


@require_GET
def agency(request: HttpRequest, organisation: str) -> HttpResponse:
    names = dict(_agencies())
    if organisation not in names:
        raise Http404
    page = selectors.public_list(organisation_code=organisation,
                                 cursor=request.GET.get("cursor"), limit=20)  # fmt: skip
    decorate(page.items, names)
    position = services.head_position(organisation_code=organisation)[_lang()]
    return render(request, "portal/dialogue/agency.html", {
        "code": organisation, "name": names[organisation], "position": position,
        "figures": selectors.agency_figures(organisation_code=organisation), "page": page,
        "deadline_days": services.deadline_days(organisation_code=organisation),
    })  # fmt: skip


@require_GET
def question(request: HttpRequest, question_id: int) -> HttpResponse:
    """Public when published; the asker also sees their own question before publication."""
    own = selectors.question_for_author(user=request.user, question_id=question_id)
    if own is not None:
        item = own
    else:
        try:
            item = selectors.question_public(question_id=question_id)
        except Problem as problem:
            raise Http404 from problem
    decorate([item], dict(_agencies()))
    is_public = item.status in ("published", "answered")
    return render(request, "portal/dialogue/question.html", {
        "q": item, "is_author": own is not None, "is_public": is_public,
        "marked": selectors.user_marked_same(user=request.user, question_id=item.pk),
        "ratings": list(RATING_LABELS.items()),
    })  # fmt: skip


def _field_labels() -> dict[str, str]:
    return {
        "organisation": _("Agency"),
        "topic": _("Topic"),
        "title": _("Title"),
        "text": _("Your question"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {
        "agencies": _agencies(), "topics": list(TOPICS.items()), "values": {},
        "error_summary": [], "field_errors": {},
        "title_max": services.TITLE_MAX, "text_max": services.TEXT_MAX,
        "default_days": services.DEFAULT_DEADLINE_WORKING_DAYS,
        "rules": reverse("dialogue-policy"),
    }  # fmt: skip
    if request.method == "GET":
        wanted = request.GET.get("agency", "")
        context["values"] = {"organisation": wanted} if wanted else {}
        return render(request, "portal/dialogue/ask.html", context)
    values = request.POST
    context["values"] = values
    try:
        created = services.question_ask(
            actor=request.user,
            organisation_code=values.get("organisation", ""),
            topic=values.get("topic", ""),
            title=values.get("title", ""),
            text=values.get("text", ""),
            show_initials=values.get("show_initials") == "1",
            language=_lang(),
        )
    except Problem as problem:
        labels = _field_labels()
        for error in problem.errors:
            field = error.pointer.strip("/").split("/")[0]
            if field in labels:
                context["error_summary"].append((field, labels[field], error.detail))
                context["field_errors"].setdefault(field, error.detail)
        return render(request, "portal/dialogue/ask.html", context, status=422)
    messages.success(request, _("Your question No. %(number)s is received. It will be public "
                                "once a moderator has checked it.") % {"number": created.number})
    return redirect("dialogue-question", question_id=created.pk)


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    try:
        page = selectors.my_questions(user=request.user, cursor=request.GET.get("cursor"))
    except Problem:
        page = selectors.my_questions(user=request.user)
    decorate(page.items, dict(_agencies()))
    return render(request, "portal/dialogue/mine.html", {"page": page})


def _act(request: HttpRequest, question_id: int, fn, **kwargs) -> HttpResponse:
    try:
        fn(actor=request.user, question_id=question_id, **kwargs)
    except Problem as problem:
        if problem.status == 404:
            raise Http404 from problem
        messages.error(request, problem.detail or problem.title)
        return redirect("dialogue-question", question_id=question_id)
    messages.success(request, _("Thank you."))
    return redirect("dialogue-question", question_id=question_id)


@login_required
@require_POST
def rate(request: HttpRequest, question_id: int) -> HttpResponse:
    return _act(request, question_id, services.question_rate,
                rating=_int(request.POST.get("rating")),
                not_answered=request.POST.get("not_answered") == "1")  # fmt: skip


@login_required
@require_POST
def same(request: HttpRequest, question_id: int) -> HttpResponse:
    return _act(request, question_id, services.question_same)


@require_GET
def policy(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/dialogue/policy.html", {
        "reasons": [(label, detail) for label, detail in REJECT_REASONS.values()],
        "default_days": services.DEFAULT_DEADLINE_WORKING_DAYS,
    })  # fmt: skip

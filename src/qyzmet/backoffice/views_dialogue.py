"""Open dialogue, the agency's side: the inbox of published questions by deadline (overdue
first to catch the eye), the moderation queue with the pre-publication check's findings, and
one question with the moderation or the answer form.

People holding `head`, `officer` or `dialogue_moderator` in an agency see its questions; anyone
else signed in gets 403; another agency's question is 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qyzmet.backoffice.guards import area_required
from qyzmet.core.problem import Problem
from qyzmet.dialogue import selectors, services
from qyzmet.dialogue.labels import FLAG_LABELS, REJECT_REASONS, decorate
from qyzmet.dialogue.labels import reader_language as _lang
from qyzmet.identity.selectors import organisation_names

dialogue_staff_required = area_required(
    lambda user: services.moderated_organisations(user=user)
    or services.answering_organisations(user=user)
)


def _names(codes) -> dict[str, str]:
    lang = _lang()
    return {c: n.get(lang) or n.get("en") or "" for c, n in
            organisation_names(codes=set(codes)).items()}  # fmt: skip


@dialogue_staff_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    orgs = services.answering_organisations(user=request.user) | \
        services.moderated_organisations(user=request.user)
    names = _names(orgs)
    wanted = request.GET.get("agency", "")
    wanted = wanted if wanted in orgs else ""
    try:
        page = selectors.inbox(user=request.user, organisation_code=wanted,
                               cursor=request.GET.get("cursor"))  # fmt: skip
    except Problem:
        page = selectors.inbox(user=request.user, organisation_code=wanted)
    decorate(page.items, names)
    answered = selectors.recent_answered(user=request.user, limit=10)
    decorate(answered, names)
    return render(request, "backoffice/dialogue/inbox.html", {
        "page": page, "agencies": sorted(names.items(), key=lambda p: p[1]), "wanted": wanted,
        "answered": answered,
        "waiting": len(selectors.moderation_queue(user=request.user)),
    })  # fmt: skip


@dialogue_staff_required
@require_GET
def moderation(request: HttpRequest) -> HttpResponse:
    items = selectors.moderation_queue(user=request.user)
    decorate(items, _names({q.organisation_code for q in items}))
    for q in items:
        q.flag_labels = [FLAG_LABELS[f] for f in q.flags if f in FLAG_LABELS]
    return render(request, "backoffice/dialogue/moderation.html", {"items": items})


def _question_page(request: HttpRequest, question_id: int, *, status: int = 200,
                   answer_error: str = "", values: dict | None = None) -> HttpResponse:
    q = selectors.question_for_staff(user=request.user, question_id=question_id)
    decorate([q], _names([q.organisation_code]))
    q.flag_labels = [FLAG_LABELS[f] for f in q.flags if f in FLAG_LABELS]
    roles_answer = q.organisation_code in services.answering_organisations(user=request.user)
    roles_moderate = q.organisation_code in services.moderated_organisations(user=request.user)
    position = services.head_position(organisation_code=q.organisation_code)[_lang()]
    return render(request, "backoffice/dialogue/question.html", {
        "q": q, "can_answer": roles_answer and q.status == "published",
        "can_moderate": roles_moderate and q.status == "moderation",
        "reasons": [(code, label) for code, (label, _d) in REJECT_REASONS.items()],
        "position": position, "answer_error": answer_error, "values": values or {},
        "answer_min": services.ANSWER_MIN, "answer_max": services.ANSWER_MAX,
    }, status=status)  # fmt: skip


@dialogue_staff_required
@require_GET
def question(request: HttpRequest, question_id: int) -> HttpResponse:
    return _question_page(request, question_id)


@dialogue_staff_required
@require_POST
def moderate(request: HttpRequest, question_id: int) -> HttpResponse:
    decision = request.POST.get("decision", "")
    try:
        services.question_moderate(actor=request.user, question_id=question_id,
                                   decision=decision, reason=request.POST.get("reason", ""))
    except Problem as problem:
        if problem.status in (403, 404):
            raise
        messages.error(request, problem.detail or problem.title)
        return redirect("bo-dialogue-question", question_id=question_id)
    if decision == "publish":
        messages.success(request, _("The question is published."))
    else:
        messages.success(request, _("The question is rejected; the asker is told why."))
    return redirect("bo-dialogue-moderation")


@dialogue_staff_required
@require_POST
def answer(request: HttpRequest, question_id: int) -> HttpResponse:
    text = request.POST.get("answer", "")
    try:
        services.question_answer(actor=request.user, question_id=question_id, text=text)
    except Problem as problem:
        if problem.status in (403, 404):
            raise
        detail = problem.errors[0].detail if problem.errors else (problem.detail or problem.title)
        if problem.status == 409:
            messages.error(request, detail)
            return redirect("bo-dialogue-question", question_id=question_id)
        return _question_page(request, question_id, status=422, answer_error=detail,
                              values={"answer": text})  # fmt: skip
    messages.success(request, _("The answer is published; the asker is notified."))
    return redirect("bo-dialogue-question", question_id=question_id)

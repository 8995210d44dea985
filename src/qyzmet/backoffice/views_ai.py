"""The back office for model governance (AI administrators: role `ai_admin`, or staff): model
versions with their metrics and confusion matrix, activation and rollback, per-category
thresholds, retraining with its progress, and the log of every routing suggestion."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qyzmet.ai import charts as ai_charts
from qyzmet.ai import selectors as ai_selectors
from qyzmet.ai import services as ai_services
from qyzmet.appeals import selectors as appeal_selectors
from qyzmet.appeals import services as appeal_services
from qyzmet.appeals.config import appeals_pack
from qyzmet.appeals.wording import suggestions_in_words
from qyzmet.backoffice.guards import area_required
from qyzmet.core.problem import Problem
from qyzmet.core.tasks import enqueue_on_commit

ai_admin_required = area_required(lambda user: ai_selectors.user_is_ai_admin(user=user))


@ai_admin_required
@require_GET
def models_page(request: HttpRequest) -> HttpResponse:
    return render(request, "backoffice/appeals/ai_models.html", {
        "models": ai_selectors.model_list(),
        "active": ai_selectors.model_active(),
        "history": ai_selectors.activation_history(),
        "runs": ai_selectors.training_run_list(limit=5),
        "categories": list(appeals_pack().categories.values()),
        "overrides": appeal_selectors.threshold_overrides(),
    })


@ai_admin_required
@require_GET
def model_detail(request: HttpRequest, version_id: int) -> HttpResponse:
    mv = ai_selectors.model_get(version_id=version_id)
    return render(request, "backoffice/appeals/ai_model.html", {
        "mv": mv,
        "has_matrix": ai_charts.confusion_matrix_of(mv.metadata) is not None,
    })


@ai_admin_required
@require_GET
def model_confusion(request: HttpRequest, version_id: int) -> HttpResponse:
    mv = ai_selectors.model_get(version_id=version_id)
    png = ai_charts.confusion_matrix_png(version_id=mv.id, metadata=mv.metadata)
    if png is None:
        raise Http404
    return HttpResponse(png, content_type="image/png")


def _act(request: HttpRequest, fn, **kwargs) -> HttpResponse:
    try:
        fn(actor=request.user, **kwargs)
        messages.success(request, _("Done."))
    except Problem as problem:
        if problem.status == 404:
            raise
        messages.error(request, problem.detail or problem.title)
    return redirect("bo-ai")


@ai_admin_required
@require_POST
def activate(request: HttpRequest, version_id: int) -> HttpResponse:
    return _act(request, ai_services.model_activate, version_id=version_id)


@ai_admin_required
@require_POST
def rollback(request: HttpRequest) -> HttpResponse:
    return _act(request, ai_services.model_rollback)


@ai_admin_required
@require_POST
def threshold(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("threshold", "").strip()
    try:
        value = float(raw) if raw else None
    except ValueError:
        messages.error(request, _("A threshold is a number between 0 and 1."))
        return redirect("bo-ai")
    return _act(request, appeal_services.threshold_set,
                category=request.POST.get("category", ""), threshold=value)


@ai_admin_required
@require_POST
def train(request: HttpRequest) -> HttpResponse:
    try:
        run = ai_services.training_run_create(actor=request.user)
    except Problem as problem:
        messages.error(request, problem.detail)
        return redirect("bo-ai")
    from qyzmet.appeals.tasks import retrain_task

    def failed(exc: Exception) -> None:  # broker down: the run shows the failure
        ai_services.training_run_finish(run_id=run.pk, error=f"could not enqueue: {exc}")

    enqueue_on_commit(retrain_task, run.pk, on_failure=failed)
    return redirect("bo-ai-run", run_id=run.pk)


@ai_admin_required
@require_GET
def run_page(request: HttpRequest, run_id: int) -> HttpResponse:
    run = ai_selectors.training_run_get(run_id=run_id)
    return render(request, "backoffice/appeals/ai_run.html", {
        "run": run, "running": run.status in ("queued", "running"),
        "percent": round(run.progress * 100),
    })


@ai_admin_required
@require_GET
def suggestions(request: HttpRequest) -> HttpResponse:
    page = appeal_selectors.suggestion_log(cursor=request.GET.get("cursor"), limit=50)
    lang = (get_language() or "kk")[:2]
    suggestions_in_words(suggestions=page.items, lang=lang if lang in ("kk", "ru", "en") else "kk")
    return render(request, "backoffice/appeals/ai_suggestions.html", {"page": page})

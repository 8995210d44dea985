"""Routing an appeal to an organisation: the model's suggestion (automatic above the
threshold) and an officer's routing."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from qyzmet.core.actor import Actor, actor_row
from qyzmet.core.problem import FieldError, Problem, conflict, not_found
from qyzmet.identity.selectors import organisation_names

from .. import events
from ..config import appeals_pack
from ..models import Appeal, RoutingCorrection, RoutingSuggestion
from ..routing import ModelUnavailable, model_active
from ..selectors import organisation_for_label, threshold_for
from ..validation import category_validate
from .common import _appeal_locked, _audit, _check_officer, _history, _publish


def _record(appeal: Appeal) -> dict[str, Any]:
    return {
        "id": appeal.number,
        "text": appeal.text,
        "created": appeal.created_at.replace(tzinfo=None).isoformat(),
        "district": appeal.district,
        "lat": appeal.lat,
        "lon": appeal.lon,
        "address": appeal.address or None,
    }


def appeal_route_auto(*, appeal_id: int) -> RoutingSuggestion:
    """Ask the active model; route automatically when it is confident enough, else leave the
    appeal in the triage queue. The suggestion is logged either way, failures included."""
    appeal = Appeal.objects.filter(pk=appeal_id).first()
    if appeal is None:
        raise not_found("appeal")
    existing = appeal.suggestions.first()
    if existing is not None:
        return existing  # already routed once: re-delivery of the same event
    try:
        version, model = model_active()
        prediction = model.predict([_record(appeal)])[0]
    except ModelUnavailable as exc:
        return _suggestion_failed(appeal, exc.version, str(exc))
    except Exception as exc:  # a broken model must not lose the appeal
        return _suggestion_failed(appeal, None, f"{type(exc).__name__}: {exc}")
    pack = appeals_pack()
    category = pack.category_for_label(prediction.category)
    org = organisation_for_label(prediction.responsible_org)
    threshold = threshold_for(
        category=category, label=prediction.category, model_thresholds=version.thresholds
    )
    confident = prediction.category_confidence >= threshold
    agrees = not appeal.category_from_citizen or appeal.category == category
    # Where an appeal goes depends on its place; one whose place is unknown waits for a person.
    placed = appeal.place_status != Appeal.PLACE_UNRESOLVED
    auto = bool(
        confident
        and agrees
        and placed
        and org
        and category
        and appeal.status == Appeal.REGISTERED
        and appeal.organisation_code is None
    )
    with transaction.atomic():
        suggestion = RoutingSuggestion.objects.create(
            appeal=appeal,
            model_version_id=version.id,
            model_version=version.version,
            category_label=prediction.category or "",
            category=category or "",
            category_confidence=float(prediction.category_confidence),
            reason=prediction.reason or "",
            reason_confidence=float(prediction.reason_confidence or 0),
            responsible_org_label=prediction.responsible_org or "",
            organisation_code=org or "",
            responsible_org_confidence=float(prediction.responsible_org_confidence or 0),
            threshold=threshold,
            auto_routed=auto,
        )
        if auto:
            appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
            before = appeal.status
            appeal.category = appeal.category or category
            appeal.reason = prediction.reason or ""
            appeal.organisation_code = org
            appeal.status = Appeal.ROUTED
            appeal.save(
                update_fields=["category", "reason", "organisation_code", "status", "updated_at"]
            )
            suggestion.final_category = appeal.category or ""
            suggestion.final_organisation_code = org or ""  # auto: always an organisation
            suggestion.decided_at = timezone.now()
            suggestion.save(
                update_fields=["final_category", "final_organisation_code", "decided_at"]
            )
            _history(
                appeal,
                actor=None,
                action="routed_automatically",
                from_status=before,
                note=f"{version.version} {prediction.category_confidence:.3f}",
            )
            _audit(
                appeal,
                actor=None,
                action="routed",
                data={"organisation": org, "model": version.version, "automatic": True},
            )
            _publish(events.ROUTED, appeal, organisation_code=org, automatic=True)
    return suggestion


def _suggestion_failed(appeal: Appeal, version: Any, error: str) -> RoutingSuggestion:
    with transaction.atomic():
        suggestion = RoutingSuggestion.objects.create(
            appeal=appeal,
            model_version_id=getattr(version, "id", None),
            model_version=getattr(version, "version", ""),
            error=error[:4000],
        )
        _history(
            appeal,
            actor=None,
            action="sent_to_triage",
            from_status=appeal.status,
            note="model unavailable",
        )
    return suggestion


@transaction.atomic
def appeal_route(
    *, actor: Actor, appeal_id: int, organisation_code: str, category: str | None = None
) -> Appeal:
    """A person routes (from triage) or re-routes (from an inbox) an appeal. The decision is
    written onto the latest model suggestion and, when it differs, kept as a correction."""
    appeal = _appeal_locked(appeal_id)
    _check_officer(actor, appeal, triage_ok=True)
    if not appeal.is_open:
        raise conflict("appeal_closed", "A closed appeal cannot be re-routed.")
    if not organisation_names(codes=[organisation_code]):
        raise Problem(
            422,
            "unknown_organisation",
            "Unknown organisation",
            f"There is no organisation '{organisation_code}'.",
            [FieldError("/organisation_code", "Unknown organisation.")],
        )
    category = category_validate(category) or appeal.category
    suggestion = appeal.suggestions.first()
    before_org, before_cat, before_status = (
        appeal.organisation_code,
        appeal.category,
        appeal.status,
    )
    predicted_org = suggestion.organisation_code if suggestion else ""
    predicted_cat = suggestion.category if suggestion else ""
    from_org = before_org or predicted_org
    from_cat = before_cat or predicted_cat
    if from_org != organisation_code or (from_cat or "") != (category or ""):
        RoutingCorrection.objects.create(
            appeal=appeal,
            from_category=from_cat or "",
            to_category=category or "",
            from_organisation_code=from_org or "",
            to_organisation_code=organisation_code,
            actor=actor_row(actor),
        )
    if suggestion is not None:
        suggestion.final_category = category or ""
        suggestion.final_organisation_code = organisation_code
        suggestion.decided_by = actor_row(actor)
        suggestion.decided_at = timezone.now()
        suggestion.save(
            update_fields=["final_category", "final_organisation_code", "decided_by", "decided_at"]
        )
    appeal.organisation_code = organisation_code
    appeal.category = category
    if appeal.status in (Appeal.REGISTERED, Appeal.IN_WORK, Appeal.ROUTED):
        appeal.status = Appeal.ROUTED
    appeal.save(update_fields=["organisation_code", "category", "status", "updated_at"])
    _history(
        appeal,
        actor=actor,
        action="rerouted" if before_org else "routed",
        from_status=before_status,
        note=organisation_code,
    )
    _audit(
        appeal,
        actor=actor,
        action="routed",
        data={"organisation": organisation_code, "from": before_org, "automatic": False},
    )
    _publish(events.ROUTED, appeal, organisation_code=organisation_code, automatic=False)
    return appeal

"""Changing the model registry: registering a trained model, activating it, rolling back, and
recording training progress and load failures. Activation is a person's decision and is audited
in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from qyzmet.audit.services import audit_record
from qyzmet.core.problem import Problem, conflict, forbidden, not_found

from .models import Activation, ModelVersion, TrainingRun
from .selectors import ModelVersionDTO, _dto, model_store, user_is_ai_admin


def _require_admin(actor: Any) -> None:
    if not user_is_ai_admin(user=actor):
        raise forbidden("Only an AI administrator may change which model routes appeals.")


@transaction.atomic
def model_register(
    *, actor: Any | None, version: str, path: str, metadata: dict[str, Any]
) -> ModelVersionDTO:
    """Record a trained model (not active until a person activates it). `path` is stored
    relative to the model store when it lies inside it."""
    if ModelVersion.objects.filter(version=version).exists():
        raise conflict("model_version_exists", f"Model version {version} is already registered.")
    store = str(model_store())
    rel = path[len(store):].lstrip("/") if path.startswith(store + "/") else path
    raw_data = metadata.get("data")
    data = raw_data if isinstance(raw_data, dict) else {}
    fingerprint = str(
        metadata.get("fingerprint") or metadata.get("data_fingerprint") or data.get("fingerprint")
        or ""
    )
    mv = ModelVersion.objects.create(
        version=version,
        path=rel,
        fingerprint=fingerprint[:128],
        metadata=metadata,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(actor=actor, kind="change", action="ai.model.registered",
                 object_type="model_version", object_id=mv.pk, data={"version": version})
    return _dto(mv)


def _switch(*, actor: Any, target: ModelVersion, action: str) -> ModelVersionDTO:
    current = ModelVersion.objects.select_for_update().filter(is_active=True).first()
    if current is not None and current.pk == target.pk:
        raise conflict("model_already_active", f"Model {target.version} is already active.")
    if current is not None:
        current.is_active = False
        current.save(update_fields=["is_active"])
    target.is_active = True
    target.activated_at = timezone.now()
    target.activated_by = actor if getattr(actor, "pk", None) else None
    target.save(update_fields=["is_active", "activated_at", "activated_by"])
    Activation.objects.create(model_version=target, previous=current, action=action,
                              actor=actor if getattr(actor, "pk", None) else None)
    audit_record(actor=actor, kind="change", action=f"ai.model.{action}",
                 object_type="model_version", object_id=target.pk,
                 data={"version": target.version,
                       "previous": current.version if current else None})
    return _dto(target)


@transaction.atomic
def model_activate(*, actor: Any, version_id: int) -> ModelVersionDTO:
    """Make `version_id` the model that routes appeals from now on."""
    _require_admin(actor)
    target = ModelVersion.objects.select_for_update().filter(pk=version_id).first()
    if target is None:
        raise not_found("model version")
    return _switch(actor=actor, target=target, action="activate")


@transaction.atomic
def model_rollback(*, actor: Any) -> ModelVersionDTO:
    """Go back to the model that was active before the current one."""
    _require_admin(actor)
    current = ModelVersion.objects.select_for_update().filter(is_active=True).first()
    if current is None:
        raise conflict("no_active_model", "No model is active, so there is nothing to roll back.")
    last = (
        Activation.objects.filter(model_version=current, previous__isnull=False)
        .select_related("previous")
        .first()
    )
    if last is None or last.previous is None:  # previous: never null here (filtered above)
        raise conflict("nothing_to_roll_back_to", "No earlier model was active before this one.")
    return _switch(actor=actor, target=last.previous, action="rollback")


def model_load_failed(*, version_id: int, error: str) -> None:
    """Remember that the active model could not be loaded, for the operators' pages."""
    ModelVersion.objects.filter(pk=version_id).update(
        last_load_error=error[:2000], last_load_error_at=timezone.now()
    )


def model_load_ok(*, version_id: int) -> None:
    ModelVersion.objects.filter(pk=version_id).exclude(last_load_error="").update(
        last_load_error="", last_load_error_at=None
    )


@transaction.atomic
def training_run_create(*, actor: Any) -> TrainingRun:
    _require_admin(actor)
    if TrainingRun.objects.filter(
        status__in=[TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING]
    ).exists():
        raise conflict("training_running", "A training run is already under way.")
    run = TrainingRun.objects.create(started_by=actor, message="queued")
    audit_record(actor=actor, kind="change", action="ai.training.started",
                 object_type="training_run", object_id=run.pk)
    return run


def training_run_progress(*, run_id: int, fraction: float, message: str = "") -> None:
    """Called from the trainer's progress callback (outside any long transaction)."""
    fraction = min(1.0, max(0.0, float(fraction)))
    TrainingRun.objects.filter(pk=run_id).update(
        status=TrainingRun.Status.RUNNING, progress=fraction, message=str(message)[:300]
    )


def training_run_finish(
    *, run_id: int, model_version_id: int | None = None, error: str = "", row_count: int = 0
) -> None:
    status = TrainingRun.Status.FAILED if error else TrainingRun.Status.SUCCEEDED
    updates: dict[str, Any] = {
        "status": status, "error": error[:4000], "finished_at": timezone.now(),
        "model_version_id": model_version_id, "row_count": row_count,
    }
    if not error:
        updates.update(progress=1.0, message="done")
    updated = TrainingRun.objects.filter(pk=run_id).update(**updates)
    if not updated:
        raise Problem(404, "not_found", "Not found", "No such training run.")


@transaction.atomic
def model_activate_system(*, version_id: int, reason: str) -> ModelVersionDTO:
    """Activation by the installer (demo seeding, first deployment), audited as the system with
    the reason; people use `model_activate`."""
    target = ModelVersion.objects.select_for_update().filter(pk=version_id).first()
    if target is None:
        raise not_found("model version")
    if target.is_active:
        return _dto(target)
    dto = _switch(actor=None, target=target, action="activate")
    audit_record(actor=None, kind="change", action="ai.model.activate_reason",
                 object_type="model_version", object_id=target.pk, data={"reason": reason})
    return dto

"""Reading the model registry. Other apps ask here for the active model's record; loading the
artefact is the caller's business (the registry does not know what kind of model it holds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from qyzmet.core.problem import not_found
from qyzmet.identity.selectors import user_roles

from .models import Activation, ModelVersion, TrainingRun

AI_ADMIN_ROLE = "ai_admin"


@dataclass(frozen=True)
class ModelVersionDTO:
    id: int
    version: str
    path: Path
    fingerprint: str
    metadata: dict[str, Any] = field(default_factory=dict)
    is_active: bool = False
    activated_at: Any = None
    activated_by: str = ""
    last_load_error: str = ""
    created_at: Any = None

    @property
    def thresholds(self) -> dict[str, float]:
        raw = self.metadata.get("thresholds") or self.metadata.get("auto_route_thresholds") or {}
        return {k: float(v) for k, v in raw.items()}

    @property
    def metrics(self) -> dict[str, Any]:
        return self.metadata.get("metrics") or {}


def model_store() -> Path:
    """The directory holding model artefacts (like MEDIA_ROOT, but for models)."""
    store = Path(getattr(settings, "QYZMET_MODEL_STORE", "var/models"))
    if not store.is_absolute():
        store = Path(getattr(settings, "BASE_DIR", Path.cwd())) / store
    return store


def _dto(mv: ModelVersion) -> ModelVersionDTO:
    path = Path(mv.path)
    return ModelVersionDTO(
        id=mv.pk,
        version=mv.version,
        path=path if path.is_absolute() else model_store() / path,
        fingerprint=mv.fingerprint,
        metadata=mv.metadata or {},
        is_active=mv.is_active,
        activated_at=mv.activated_at,
        activated_by=(mv.activated_by.iin if mv.activated_by is not None else ""),
        last_load_error=mv.last_load_error,
        created_at=mv.created_at,
    )


def model_active() -> ModelVersionDTO | None:
    mv = ModelVersion.objects.select_related("activated_by").filter(is_active=True).first()
    return _dto(mv) if mv else None


def model_list(*, limit: int = 50) -> list[ModelVersionDTO]:
    return [_dto(mv) for mv in ModelVersion.objects.select_related("activated_by")[:limit]]


def model_get(*, version_id: int) -> ModelVersionDTO:
    mv = ModelVersion.objects.select_related("activated_by").filter(pk=version_id).first()
    if mv is None:
        raise not_found("model version")
    return _dto(mv)


def activation_history(*, limit: int = 20) -> list[Activation]:
    return list(
        Activation.objects.select_related("model_version", "previous", "actor")[:limit]
    )


def training_run_get(*, run_id: int) -> TrainingRun:
    run = TrainingRun.objects.select_related("model_version").filter(pk=run_id).first()
    if run is None:
        raise not_found("training run")
    return run


def training_run_list(*, limit: int = 20) -> list[TrainingRun]:
    return list(TrainingRun.objects.select_related("model_version")[:limit])


def user_is_ai_admin(*, user: Any) -> bool:
    """Staff, or anyone holding `ai_admin` in some organisation."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_staff", False):
        return True
    return any(AI_ADMIN_ROLE in roles for roles in user_roles(user=user).values())

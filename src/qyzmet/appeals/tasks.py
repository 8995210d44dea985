"""Background work on appeals (Celery): deadline escalation (beat, re-runnable) and retraining
the routing model from closed appeals with progress shown."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from qyzmet.ai import selectors as ai_selectors
from qyzmet.ai import services as ai_services

from . import selectors, services

log = logging.getLogger(__name__)


@shared_task(name="qyzmet.appeals.tasks.deadlines_flag")
def deadlines_flag() -> dict[str, int]:
    return services.deadlines_flag()


def retrain(*, run_id: int, records: list[dict] | None = None, seed: int = 0) -> int | None:
    """Train a new model version from closed appeals (or the given records), registering it
    inactive: a person activates it after reading its metrics. Returns the version id."""
    records = selectors.training_records() if records is None else records
    ai_services.training_run_progress(run_id=run_id, fraction=0.0,
                                      message=f"{len(records)} closed appeals")
    version = f"retrain-{timezone.now():%Y%m%d-%H%M%S}-{run_id}"
    out_dir = ai_selectors.model_store() / version
    try:
        from .ml import train

        def progress(fraction: float, message: str = "") -> None:
            ai_services.training_run_progress(run_id=run_id, fraction=fraction, message=message)

        metadata = train(records, out_dir=out_dir, progress=progress, seed=seed)
        metadata = dict(metadata or {})
        metadata.setdefault("trained_at", dt.datetime.now(dt.UTC).isoformat())
        mv = ai_services.model_register(actor=None, version=version, path=str(out_dir),
                                        metadata=metadata)
    except Exception as exc:
        log.exception("training run %s failed", run_id)
        ai_services.training_run_finish(run_id=run_id, error=f"{type(exc).__name__}: {exc}",
                                        row_count=len(records))
        return None
    ai_services.training_run_finish(run_id=run_id, model_version_id=mv.id,
                                    row_count=len(records))
    return mv.id


@shared_task(name="qyzmet.appeals.tasks.retrain_task")
def retrain_task(run_id: int) -> int | None:
    return retrain(run_id=run_id)

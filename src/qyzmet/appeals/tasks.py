"""Background work on appeals (Celery): deadline escalation (beat, re-runnable), fetching the
picture behind an Open311 media_url (retried with backoff, ending in a visible `failed` state; a
beat sweep hands over fetches a lost task left pending) and retraining the routing model from
closed appeals with progress shown."""

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


MEDIA_MAX_RETRIES = 3
MEDIA_SWEEP_AFTER = dt.timedelta(minutes=10)


def media_backoff_seconds(retries: int) -> int:
    return min(60 * 2**retries, 1800)


@shared_task(bind=True, max_retries=MEDIA_MAX_RETRIES, acks_late=True,
             name="qyzmet.appeals.tasks.media_fetch")
def media_fetch_task(self, appeal_id: int) -> str:
    """Takes the appeal id; idempotent (only a `pending` fetch is done). Passing failures are
    retried with backoff on a worker; in the embedded (eager) mode there is no broker to bring
    the task back later and the citizen's request is waiting, so one try is final there."""
    retries = self.request.retries
    final = bool(self.request.is_eager) or retries >= MEDIA_MAX_RETRIES
    outcome = services.appeal_media_fetch(appeal_id=appeal_id, final=final)
    if outcome == "retry":
        raise self.retry(countdown=media_backoff_seconds(retries))
    return outcome


@shared_task(name="qyzmet.appeals.tasks.media_fetch_sweep")
def media_fetch_sweep() -> int:
    """Hand over again the fetches still pending after a while (re-runnable)."""
    ids = services.media_pending_ids(older_than=MEDIA_SWEEP_AFTER)
    for appeal_id in ids:
        media_fetch_task.delay(appeal_id)
    return len(ids)


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

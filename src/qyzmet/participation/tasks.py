"""Background work on open legal acts: closing the comment periods that are over (beat,
idempotent: an act already closed is left alone)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="qyzmet.participation.tasks.legal_acts_close_due")
def legal_acts_close_due() -> int:
    return services.legal_acts_close_due()

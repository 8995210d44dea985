"""Scheduled housekeeping of the identity app."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .throttle import throttle_sweep


@shared_task(name="qyzmet.identity.tasks.throttle_sweep")
def throttle_sweep_task() -> int:
    """Drop rate-limit counters that no longer refuse anything. Idempotent."""
    return throttle_sweep(now=timezone.now())

"""Background work on open data (Celery): the daily refresh of every generated dataset (beat;
re-runnable — an unchanged dataset gets no new version)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from . import services


@shared_task(name="qyzmet.opendata.tasks.publish_all")
def publish_all() -> dict[str, Any]:
    return services.publish_all()

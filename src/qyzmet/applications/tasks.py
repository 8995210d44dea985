"""Scheduled work on applications (celery beat); safe to re-run."""

from celery import shared_task

from . import services


@shared_task(name="qyzmet.applications.tasks.deadlines_flag")
def deadlines_flag() -> dict[str, int]:
    return services.deadlines_flag()

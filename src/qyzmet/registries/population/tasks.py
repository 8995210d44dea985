"""Celery tasks of the population registry. Thin: the work is in services."""

from celery import shared_task

from .services import document_expiring_scan


@shared_task(name="qyzmet.registries.population.tasks.document_expiring_scan")
def document_expiring_scan_task() -> int:
    """Daily (beat): announce documents expiring within 30 days. Idempotent, safe to re-run."""
    return document_expiring_scan()

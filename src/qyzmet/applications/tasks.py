"""Background work on applications (celery; beat runs the sweeps); every task is safe to re-run."""

from celery import shared_task

from . import services


@shared_task(name="qyzmet.applications.tasks.deadlines_flag")
def deadlines_flag() -> dict[str, int]:
    return services.deadlines_flag()


@shared_task(name="qyzmet.applications.tasks.evidence_retry")
def evidence_retry(application_id: int) -> str:
    """Read the evidence one waiting application lacks, if its retry is due (queued with a
    countdown when the application is saved waiting and after each failed attempt)."""
    return services.application_evidence_retry(application_id=application_id)


@shared_task(name="qyzmet.applications.tasks.evidence_retry_due")
def evidence_retry_due() -> dict[str, int]:
    """The sweep behind the queued retries: every waiting application whose retry is due,
    whatever a lost message or a restarted worker left behind."""
    return services.evidence_retry_due()

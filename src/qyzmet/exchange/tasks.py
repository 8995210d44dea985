"""Scheduled work of the gateway (celery beat); safe to re-run."""

from celery import shared_task

from .messagelog import message_log_seal


@shared_task(name="qyzmet.exchange.tasks.message_log_seal")
def message_log_seal_task(grace_seconds: float = 2.0) -> int:
    """Link every unsealed message-log entry into signed seals, so that deleting one is detected
    even between the gateway's own seals (every QYZMET_EXCHANGE_SEAL_EVERY entries)."""
    sealed = 0
    while (seal := message_log_seal(grace_seconds=grace_seconds)) is not None:
        sealed += seal.entries
    return sealed

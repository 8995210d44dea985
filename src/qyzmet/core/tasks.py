"""Celery tasks of the outbox. They take ids, are idempotent and retry with backoff."""

from celery import shared_task

from .events import event_deliver, pending_event_ids


class OutboxDeliveryFailed(Exception):
    """A consumer raised; the task retries and the sweep picks the event up later."""


@shared_task(
    bind=True,
    autoretry_for=(OutboxDeliveryFailed,),
    retry_backoff=True,
    max_retries=8,
    name="qyzmet.core.tasks.outbox_dispatch",
)
def outbox_dispatch(self, event_id: str) -> None:
    if not event_deliver(event_id):
        raise OutboxDeliveryFailed(event_id)


@shared_task(name="qyzmet.core.tasks.outbox_sweep")
def outbox_sweep() -> int:
    """Deliver whatever a crash or a broker outage left in the outbox. Safe to re-run."""
    ids = pending_event_ids()
    for event_id in ids:
        event_deliver(event_id)
    return len(ids)

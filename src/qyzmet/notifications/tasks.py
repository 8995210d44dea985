"""Delivery of email and SMS notifications. Tasks take ids, are idempotent, retry with
exponential backoff and end in the visible `failed` state."""

from __future__ import annotations

from celery import shared_task

from .services import DeliveryFailed, notification_deliver, notification_fail

MAX_RETRIES = 5


@shared_task(
    bind=True,
    max_retries=MAX_RETRIES,
    acks_late=True,
    name="qyzmet.notifications.tasks.notification_deliver",
)
def notification_deliver_task(self, notification_id: int) -> str:
    try:
        return notification_deliver(notification_id=notification_id)
    except DeliveryFailed as exc:
        if self.request.retries >= MAX_RETRIES:
            notification_fail(notification_id=notification_id, error=str(exc))
            return "failed"
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 3600)) from exc

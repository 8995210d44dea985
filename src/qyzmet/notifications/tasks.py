"""Delivery of email and SMS notifications. Tasks take ids, are idempotent, retry with
exponential backoff and end in the visible `failed` state."""

from __future__ import annotations

from celery import shared_task

from .services import DeliveryFailed, notification_deliver, notification_fail

MAX_RETRIES = 5


def backoff_seconds(retries: int) -> int:
    return min(30 * 2**retries, 3600)


@shared_task(
    bind=True,
    max_retries=MAX_RETRIES,
    acks_late=True,
    name="qyzmet.notifications.tasks.notification_deliver",
)
def notification_deliver_task(self, notification_id: int) -> str:
    """Returns "sent", "skipped" (already handled) or "failed" (retries exhausted)."""
    retries = self.request.retries
    while True:
        try:
            return notification_deliver(notification_id=notification_id)
        except DeliveryFailed as exc:
            if retries >= MAX_RETRIES:
                notification_fail(notification_id=notification_id, error=str(exc))
                return "failed"
            if not self.request.is_eager:
                raise self.retry(exc=exc, countdown=backoff_seconds(retries)) from exc
            # Eager (embedded) mode has no broker to bring the task back later, and an eager
            # Retry would propagate to the caller: try again right here instead.
            retries += 1

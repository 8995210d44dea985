"""The transactional outbox: an event row commits with the state change that caused it."""

import uuid

from django.db import models


class OutboxEvent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    topic = models.CharField(max_length=100)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_pending_idx",
                condition=models.Q(dispatched_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.id}"


class ProcessedEvent(models.Model):
    """One row per (consumer, event): the key that makes every consumer idempotent."""

    consumer = models.CharField(max_length=150)
    event_id = models.UUIDField()
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consumer", "event_id"], name="processed_once")
        ]

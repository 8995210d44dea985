"""The change feed: an append-only table of CloudEvents, numbered per registry in commit order.

Rows are written only by `services.feed_append` (an outbox consumer) and never updated or
deleted; subscribers page through them by `position` (see `services.feed_append` for why the
position can be trusted as a keyset cursor)."""

from __future__ import annotations

from django.db import models


class FeedCounter(models.Model):
    """The last position handed out in one registry's feed. Its row lock, held from the
    increment to the commit, is what puts positions in commit order."""

    registry = models.CharField(max_length=60, primary_key=True)
    last_position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.registry} @ {self.last_position}"


class FeedEntry(models.Model):
    """One CloudEvent in one registry's feed."""

    registry = models.CharField(max_length=60)
    position = models.BigIntegerField()
    event_id = models.UUIDField(unique=True)  # the CloudEvent's `id`
    type = models.CharField(max_length=150)
    subject = models.CharField(max_length=64)
    personal = models.BooleanField()
    cloudevent = models.JSONField()
    appended_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "feed entries"
        constraints = [
            models.UniqueConstraint(fields=["registry", "position"], name="feed_position_once"),
        ]
        indexes = [
            models.Index(fields=["registry", "type", "position"], name="feed_type_position_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.registry} #{self.position} {self.type}"

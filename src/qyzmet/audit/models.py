"""The append-only audit trail. Rows are only ever inserted: the model refuses updates and
deletes, and database triggers (see the migration) refuse them for anyone who bypasses it."""

from django.db import models


class AppendOnlyError(RuntimeError):
    pass


class AuditEntry(models.Model):
    class Kind(models.TextChoices):
        CHANGE = "change", "state change"
        DECISION = "decision", "decision"
        READ = "read", "personal-data read"
        SECURITY = "security", "security event"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=200, blank=True, default="")
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=60, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    subject_iin = models.CharField(max_length=12, blank=True, default="")
    purpose = models.CharField(max_length=300, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["subject_iin", "at"], name="audit_subject_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries are append-only")

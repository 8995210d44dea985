"""The published service versions. Rows are written only by `services.catalog_sync` and never
changed afterwards (except the `is_current` flag): applications in flight are pinned to a row's
id, so an old version must stay exactly as it was for as long as the platform runs."""

from django.db import models
from django.db.models import Q


class ServiceVersion(models.Model):
    code = models.CharField(max_length=100)
    version = models.PositiveIntegerField()
    package = models.JSONField(help_text="The package as loaded from its YAML file.")
    checksum = models.CharField(max_length=64, help_text="sha256 of the canonical JSON.")
    agency_code = models.CharField(max_length=60, db_index=True)
    source_file = models.CharField(max_length=300, blank=True, default="")
    # Lower-cased titles, summaries and code in kk/ru/en: `contains` on it works the same on
    # SQLite (whose LIKE only folds ASCII case) and PostgreSQL.
    loaded_at = models.DateTimeField(auto_now_add=True)
    is_current = models.BooleanField(default=False)

    class Meta:
        ordering = ["code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="catalog_code_version_uniq"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(is_current=True), name="catalog_one_current_per_code"
            ),
        ]
        indexes = [
            models.Index(fields=["is_current", "code"], name="catalog_current_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

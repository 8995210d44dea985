"""Open budgets: each upload of an agency's Fiscal Data Package for a fiscal year is a version;
its lines are stored as rows (programme × sub-programme × phase), amounts in tiyn as integers."""

from __future__ import annotations

from django.db import models


class BudgetPublisher(models.Model):
    """An agency that publishes budgets, with the public slug of its pages (made from its
    English name, never its internal organisation code)."""

    organisation_code = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    def __str__(self) -> str:
        return self.slug


class BudgetVersion(models.Model):
    """One validated upload: the package as received (for download) and who published it."""

    publisher = models.ForeignKey(
        BudgetPublisher, on_delete=models.PROTECT, related_name="versions"
    )
    fiscal_year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300, blank=True, default="")
    administrative_code = models.CharField(max_length=10, blank=True, default="")
    package = models.BinaryField()  # the validated Fiscal Data Package as a zip
    sha256 = models.CharField(max_length=64)
    uploaded_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    line_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["publisher", "fiscal_year", "number"], name="budget_version_once"
            )
        ]
        indexes = [models.Index(fields=["publisher", "fiscal_year", "-number"])]

    def __str__(self) -> str:
        return f"{self.publisher_id}/{self.fiscal_year}/v{self.number}"


class BudgetLine(models.Model):
    """One amount: a programme (and sub-programme) of the agency's budget in one phase."""

    class Phase(models.TextChoices):
        PLANNED = "planned", "planned"
        ADJUSTED = "adjusted", "adjusted"
        EXECUTED = "executed", "executed"

    version = models.ForeignKey(BudgetVersion, on_delete=models.CASCADE, related_name="lines")
    programme_code = models.CharField(max_length=10)
    programme_name_kk = models.CharField(max_length=500)
    programme_name_ru = models.CharField(max_length=500)
    programme_name_en = models.CharField(max_length=500, blank=True, default="")
    subprogramme_code = models.CharField(max_length=10, blank=True, default="")
    subprogramme_name_kk = models.CharField(max_length=500, blank=True, default="")
    subprogramme_name_ru = models.CharField(max_length=500, blank=True, default="")
    functional_code = models.CharField(max_length=10)
    phase = models.CharField(max_length=10, choices=Phase.choices)
    amount_tiyn = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "programme_code", "subprogramme_code", "phase"],
                name="budget_line_once",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_tiyn__gte=0), name="budget_line_amount_non_negative"
            ),
        ]

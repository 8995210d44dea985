"""The legal entities registry (ГБД ЮЛ): companies and individual entrepreneurs.

An individual entrepreneur (ИП) has no BIN of its own: its registration number is the
entrepreneur's IIN, so an IE row has `bin` equal to the person's IIN and `kind = IE`.
Nothing outside `qyzmet.registries` imports these models; read through the registry client.
"""

from __future__ import annotations

from django.db import models


class Entity(models.Model):
    class Kind(models.TextChoices):
        LLP = "LLP", "limited liability partnership (ТОО)"
        JSC = "JSC", "joint-stock company (АО)"
        IE = "IE", "individual entrepreneur (ИП)"

    class Status(models.TextChoices):
        ACTIVE = "active", "active"
        LIQUIDATED = "liquidated", "liquidated"

    bin = models.CharField("BIN", max_length=12, unique=True)
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=3, choices=Kind.choices)
    registered_on = models.DateField()
    head_iin = models.CharField(max_length=12, db_index=True)
    address = models.CharField(max_length=400)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    activity_code = models.CharField("OKED activity code", max_length=10)

    class Meta:
        verbose_name_plural = "entities"

    def __str__(self) -> str:
        return f"{self.bin} {self.name}"


class Founder(models.Model):
    """A person holding a share of an entity (a participant of an LLP, a shareholder)."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="founders")
    iin = models.CharField("IIN", max_length=12, db_index=True)
    share = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "iin"], name="founder_once_per_entity")
        ]

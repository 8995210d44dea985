"""The real estate registry (legal cadastre): immovable property and who owns which share.

A separate data owner. Nothing outside `qyzmet.registries` imports these models."""

from __future__ import annotations

from django.db import models


class Property(models.Model):
    class Kind(models.TextChoices):
        APARTMENT = "apartment", "apartment"
        HOUSE = "house", "house"
        LAND = "land", "land plot"
        COMMERCIAL = "commercial", "commercial premises"

    cadastral_number = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    address = models.CharField(max_length=400)
    area = models.DecimalField("area, m²", max_digits=10, decimal_places=2)
    registered_on = models.DateField()

    class Meta:
        verbose_name_plural = "properties"

    def __str__(self) -> str:
        return self.cadastral_number


class Ownership(models.Model):
    """A share of a property held by a person (IIN) or a company (BIN), since a date."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="owners")
    owner_iin = models.CharField("owner IIN/BIN", max_length=12, db_index=True)
    share = models.DecimalField(max_digits=5, decimal_places=2)
    since = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["property", "owner_iin"], name="ownership_once")
        ]

"""The vehicle registry (transport register of the Ministry of Internal Affairs): registered
road vehicles and their owners.

A separate data owner. Nothing outside `qyzmet.registries` imports these models: other apps read
facts through `qyzmet.exchange.registry_client` or the GovStack Data API, both of which audit
the read.
"""

from __future__ import annotations

from django.db import models


class Vehicle(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", "registered"
        DEREGISTERED = "deregistered", "deregistered"

    vin = models.CharField("VIN", max_length=17, unique=True)
    plate = models.CharField("registration plate", max_length=12, unique=True)
    make = models.CharField(max_length=60)
    model = models.CharField(max_length=60)
    year = models.PositiveSmallIntegerField()
    colour = models.CharField(max_length=40)
    category = models.CharField(max_length=3, default="B")
    # The owner is a person (IIN) or a company (BIN): both are 12 digits.
    owner_iin = models.CharField("owner IIN/BIN", max_length=12, db_index=True)
    registered_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REGISTERED)

    def __str__(self) -> str:
        return f"{self.plate} {self.make} {self.model}"

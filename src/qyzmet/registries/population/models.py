"""The population registry (ГБД ФЛ): the state's record of people and their registered addresses.

It is a separate data owner. Nothing outside `qyzmet.registries` imports these models; other
apps read facts through `qyzmet.exchange.registry_client`, which records every read in the
audit trail.
"""

from __future__ import annotations

from django.db import models


def full_name_join(last_name: str, first_name: str, patronymic: str) -> str:
    """Surname, given name, patronymic: the order official Kazakh documents print."""
    return " ".join(p for p in (last_name, first_name, patronymic) if p)


class Address(models.Model):
    """A registered address (прописка). Text is kept in Russian, as the registry issues it."""

    region = models.CharField(max_length=120)
    city = models.CharField(max_length=120)
    street = models.CharField(max_length=200)
    building = models.CharField(max_length=20)
    apartment = models.CharField(max_length=20, blank=True, default="")
    full = models.CharField(max_length=400)
    registered_since = models.DateField()

    def __str__(self) -> str:
        return self.full


class Person(models.Model):
    """A person known to the state, identified by IIN. Family links point at other persons."""

    class Sex(models.TextChoices):
        MALE = "M", "male"
        FEMALE = "F", "female"

    iin = models.CharField("IIN", max_length=12, unique=True)
    last_name = models.CharField(max_length=100)
    first_name = models.CharField(max_length=100)
    patronymic = models.CharField(max_length=100, blank=True, default="")
    birth_date = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    citizenship = models.CharField(max_length=3, default="KAZ")
    death_date = models.DateField(null=True, blank=True)
    mother = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children_as_mother"
    )
    father = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children_as_father"
    )
    spouse = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.PROTECT, related_name="residents"
    )

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return full_name_join(self.last_name, self.first_name, self.patronymic)


class IdentityDocument(models.Model):
    """A document the state issued to a person that expires: an identity card, a passport, a
    driving licence. Kept so the registry can say, 30 days ahead, that one is about to expire."""

    class Kind(models.TextChoices):
        ID_CARD = "id_card", "identity card"
        PASSPORT = "passport", "passport"
        DRIVING_LICENCE = "driving_licence", "driving licence"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    number = models.CharField(max_length=20)
    issued_on = models.DateField()
    expires_on = models.DateField(db_index=True)
    # The expiry date a `document_expiring` event was published for: a renewal (a new
    # `expires_on`) is announced again, the same expiry never twice.
    expiring_published_for = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="identity_document_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.number}"

"""The population registry's own writes. Each writes its rows and publishes its change event
(`qyzmet.registries.change_events`) in one transaction: the event exists iff the change does."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from qyzmet.registries.change_events.services import change_publish

from .models import Address, IdentityDocument, Person, full_name_join

REGISTRY = "population"
BIRTH_REGISTERED = "kz.gov.registries.population.birth_registered"
DEATH_REGISTERED = "kz.gov.registries.population.death_registered"
ADDRESS_CHANGED = "kz.gov.registries.population.address_changed"
DOCUMENT_EXPIRING = "kz.gov.registries.population.document_expiring"
EXPIRY_NOTICE_DAYS = 30


class PopulationWriteRefused(ValueError):
    """The write contradicts the registry (an unknown person, a death already registered)."""


def _address_json(address: Address) -> dict[str, str]:
    return {
        "full": address.full,
        "region": address.region,
        "city": address.city,
        "street": address.street,
        "building": address.building,
        "apartment": address.apartment,
        "registered_since": address.registered_since.isoformat(),
    }


@transaction.atomic
def birth_register(
    *,
    actor: Any | None,
    iin: str,
    last_name: str,
    first_name: str,
    patronymic: str = "",
    birth_date: dt.date,
    sex: str,
    mother_iin: str = "",
    father_iin: str = "",
) -> Person:
    """Register a newborn; the child lives at the mother's registered address (else the
    father's) until an address is registered."""
    parents = {p.iin: p for p in Person.objects.filter(iin__in=[mother_iin, father_iin])}
    mother, father = parents.get(mother_iin), parents.get(father_iin)
    if (mother_iin and mother is None) or (father_iin and father is None):
        raise PopulationWriteRefused("a parent is not in the population registry")
    home = (mother.address_id if mother else None) or (father.address_id if father else None)
    child = Person.objects.create(
        iin=iin, last_name=last_name, first_name=first_name, patronymic=patronymic,
        birth_date=birth_date, sex=sex, mother=mother, father=father, address_id=home,
    )  # fmt: skip
    change_publish(
        actor=actor, registry=REGISTRY, type=BIRTH_REGISTERED, subject=iin,
        data={
            "child_iin": iin,
            "full_name": full_name_join(last_name, first_name, patronymic),
            "birth_date": birth_date.isoformat(),
            "sex": sex,
            "mother_iin": mother_iin,
            "father_iin": father_iin,
        },
    )  # fmt: skip
    return child


@transaction.atomic
def death_register(*, actor: Any | None, iin: str, death_date: dt.date) -> None:
    """Register a death, once: a second registration of the same person is refused."""
    if not Person.objects.filter(iin=iin, death_date__isnull=True).update(death_date=death_date):
        raise PopulationWriteRefused("no living person with this IIN in the registry")
    change_publish(
        actor=actor, registry=REGISTRY, type=DEATH_REGISTERED, subject=iin,
        data={"death_date": death_date.isoformat()},
    )  # fmt: skip


@transaction.atomic
def address_change(
    *,
    actor: Any | None,
    iin: str,
    region: str,
    city: str,
    street: str,
    building: str,
    apartment: str = "",
    full: str,
    registered_since: dt.date,
) -> Address:
    """Register a person at a new address (a new `Address` row: others at the old one stay)."""
    address = Address.objects.create(
        region=region, city=city, street=street, building=building, apartment=apartment,
        full=full, registered_since=registered_since,
    )  # fmt: skip
    if not Person.objects.filter(iin=iin, death_date__isnull=True).update(address=address):
        raise PopulationWriteRefused("no living person with this IIN in the registry")
    change_publish(
        actor=actor, registry=REGISTRY, type=ADDRESS_CHANGED, subject=iin,
        data={"address": _address_json(address)},
    )  # fmt: skip
    return address


def document_expiring_scan(*, today: dt.date | None = None) -> int:
    """Publish `document_expiring` for every document that expires within the next
    `EXPIRY_NOTICE_DAYS` days and was not announced for this expiry date. Run daily (beat); safe
    to run any number of times, concurrently too: each document is claimed by a conditional
    UPDATE that only one run can win, in the transaction that publishes its event. Returns how
    many events were published."""
    today = today or timezone.localdate()
    # Read first, then claim one by one: once running, a day's worth of expiries (the first run:
    # thirty days'), and no cursor held open across the per-document commits.
    due = list(
        IdentityDocument.objects.filter(
            expires_on__gte=today,
            expires_on__lte=today + dt.timedelta(days=EXPIRY_NOTICE_DAYS),
            person__death_date__isnull=True,
        )
        .exclude(expiring_published_for=F("expires_on"))
        .order_by("expires_on", "pk")
        .values_list("pk", "kind", "number", "expires_on", "person__iin")
    )
    published = 0
    for pk, kind, number, expires_on, iin in due:
        with transaction.atomic():
            claimed = (
                IdentityDocument.objects.filter(pk=pk, expires_on=expires_on)
                .exclude(expiring_published_for=expires_on)
                .update(expiring_published_for=expires_on)
            )
            if not claimed:
                continue  # another run announced it meanwhile
            change_publish(
                actor=None, registry=REGISTRY, type=DOCUMENT_EXPIRING, subject=iin,
                data={"kind": kind, "number": number, "expires_on": expires_on.isoformat()},
            )  # fmt: skip
            published += 1
    return published

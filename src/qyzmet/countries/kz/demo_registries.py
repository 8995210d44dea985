"""Demo data for the vehicle, real estate and criminal records registries, generated over the
population already loaded (`demo.population_generate`), plus one demo consent agreement.

Deterministic: the same population and seed give the same rows (people are visited in IIN order
and every choice comes from one seeded `random.Random`). The registries must be empty.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from qyzmet.registries.consent.services import consent_agreement_publish
from qyzmet.registries.criminal_records.models import CriminalRecord
from qyzmet.registries.population.models import Person
from qyzmet.registries.real_estate.models import Ownership, Property
from qyzmet.registries.vehicles.models import Vehicle

_BATCH = 2000
_VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_PLATE_LETTERS = "ABCDEFGHKLMNPRSTUVXYZ"
_CARS = (
    ("Toyota", "Camry"), ("Toyota", "Land Cruiser Prado"), ("Hyundai", "Accent"),
    ("Hyundai", "Tucson"), ("Kia", "Rio"), ("Kia", "Sportage"), ("Chevrolet", "Cobalt"),
    ("Chevrolet", "Nexia"), ("Lada", "Granta"), ("Lada", "Vesta"), ("Volkswagen", "Polo"),
    ("Skoda", "Octavia"), ("Nissan", "X-Trail"), ("Lexus", "RX"), ("JAC", "S3"),
)  # fmt: skip
_COLOURS = ("белый", "черный", "серый", "серебристый", "синий", "красный", "бежевый")
_REGIONS = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14",
            "15", "16", "17", "18", "19", "20")  # fmt: skip
_ARTICLES = (
    ("188 ч.1", "Кража"), ("190 ч.2", "Мошенничество"), ("293 ч.1", "Хулиганство"),
    ("296 ч.1", "Управление транспортным средством лицом, находящимся в состоянии опьянения"),
    ("106 ч.1", "Умышленное причинение вреда здоровью средней тяжести"),
)  # fmt: skip
_COURTS = ("Алмалинский районный суд г. Алматы", "Есильский районный суд г. Астаны",
           "Абайский районный суд г. Шымкента", "Карагандинский городской суд")  # fmt: skip

EMPLOYER_CHECK_CLIENT = "KZ/COM/990340020027/hr-check"


@dataclass(frozen=True)
class ExtraResult:
    vehicles: int
    properties: int
    ownerships: int
    criminal_records: int


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _day_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _plus_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def registries_extra_generate(*, seed: int = 2026, today: dt.date | None = None) -> ExtraResult:
    """Vehicles for about a third of the adults, homes (shared with the spouse) for about 60%,
    convictions for about 3% (a third of them expunged), and the demo consent agreement."""
    if Vehicle.objects.exists() or Property.objects.exists() or CriminalRecord.objects.exists():
        raise ValueError("the extra registries already hold data: clear them first")
    today = today or dt.date.today()
    rng = random.Random(seed)
    people = list(
        Person.objects.select_related("address", "spouse")
        .filter(death_date__isnull=True)
        .order_by("iin")
        .only("iin", "birth_date", "spouse__iin", "address__full")
    )
    vehicles: list[Vehicle] = []
    properties: list[Property] = []
    shares: list[tuple[int, str, Decimal, dt.date]] = []  # (property index, owner, share, since)
    records: list[CriminalRecord] = []
    housed: set[str] = set()
    for person in people:
        if _age(person.birth_date, today) < 18:
            continue
        adult_since = _plus_years(person.birth_date, 18)
        if rng.random() < 0.33:
            for _ in range(1 if rng.random() < 0.85 else 2):
                make, model = rng.choice(_CARS)
                n = len(vehicles)
                vin = "".join(rng.choice(_VIN_ALPHABET) for _ in range(11)) + f"{n:06d}"
                plate = (f"{n % 1000:03d}{_PLATE_LETTERS[(n // 1000) % 21]}"
                         f"{_PLATE_LETTERS[(n // 21000) % 21]}{_PLATE_LETTERS[n % 21]}"
                         f"{rng.choice(_REGIONS)}")  # fmt: skip
                year = rng.randint(max(1995, adult_since.year - 3), today.year)
                vehicles.append(Vehicle(
                    vin=vin, plate=plate, make=make, model=model, year=year,
                    colour=rng.choice(_COLOURS), category="B", owner_iin=person.iin,
                    registered_on=_day_between(rng, max(adult_since, dt.date(year, 1, 1)), today),
                ))  # fmt: skip
        if person.iin not in housed and person.address is not None and rng.random() < 0.6:
            index = len(properties)
            since = _day_between(rng, adult_since, today)
            properties.append(Property(
                cadastral_number=f"{20 + index % 5:02d}-{311 + index // 100000:03d}-"
                                 f"{(index // 1000) % 1000:03d}-{index % 1000:03d}",
                kind=Property.Kind.APARTMENT if rng.random() < 0.75 else Property.Kind.HOUSE,
                address=person.address.full,
                area=Decimal(rng.randint(3500, 18000)) / 100,
                registered_on=since,
            ))  # fmt: skip
            spouse = person.spouse.iin if person.spouse is not None else ""
            if spouse and spouse not in housed:
                shares += [(index, person.iin, Decimal("50.00"), since),
                           (index, spouse, Decimal("50.00"), since)]  # fmt: skip
                housed.add(spouse)
            else:
                shares.append((index, person.iin, Decimal("100.00"), since))
            housed.add(person.iin)
        if rng.random() < 0.03:
            article, title = rng.choice(_ARTICLES)
            verdict = _day_between(rng, adult_since, today)
            expunged = _plus_years(verdict, 3) if rng.random() < 0.34 else None
            records.append(CriminalRecord(
                record_number=f"KUI-{verdict.year}-{len(records) + 1:06d}", iin=person.iin,
                article=article, article_title=title, verdict_date=verdict,
                court=rng.choice(_COURTS),
                sentence=rng.choice(("штраф", "ограничение свободы на 1 год",
                                     "лишение свободы на 2 года условно")),
                expunged_on=expunged if expunged and expunged <= today else None,
            ))  # fmt: skip
    Vehicle.objects.bulk_create(vehicles, batch_size=_BATCH)
    Property.objects.bulk_create(properties, batch_size=_BATCH)
    Ownership.objects.bulk_create(
        (Ownership(property_id=properties[i].pk, owner_iin=owner, share=share, since=since)
         for i, owner, share, since in shares),
        batch_size=_BATCH,
    )  # fmt: skip
    CriminalRecord.objects.bulk_create(records, batch_size=_BATCH)
    consent_agreement_publish(
        actor=None,
        code="criminal-record-employer-check",
        registry="criminal_records",
        category="criminal_record_status",
        clients=[EMPLOYER_CHECK_CLIENT],
        title={
            "kk": "Жұмыс берушіге соттылық туралы мәліметтерді беру",
            "ru": "Передача сведений о судимости работодателю",
            "en": "Criminal record check by an employer",
        },
        text={
            "kk": "Мен жұмысқа қабылдау кезінде жұмыс берушінің соттылығым туралы мәліметтерді "
                  "құқықтық статистика органынан алуына келісемін.",
            "ru": "Я согласен(на), чтобы при приёме на работу работодатель получил сведения о "
                  "моей судимости из органа правовой статистики.",
            "en": "I agree that an employer hiring me may obtain my criminal record from the "
                  "legal statistics registry.",
        },
    )  # fmt: skip
    return ExtraResult(len(vehicles), len(properties), len(shares), len(records))

"""Deterministic demo data for Kazakhstan: the population and legal entities registries, the
agencies, and the demo logins.

Why deterministic: the README prints demo IINs, tests and benchmarks need the same dataset every
time, and a bug report can say "seed 2026, 10,000 persons". The random population is generated
relative to the fixed `REFERENCE_DATE`, so the same seed and count give byte-identical data on
any day. Only the demo family's two small children are dated relative to `today`, because the
services they exist for (birth benefit, kindergarten queue) look at how old a child is now.

This module is the country pack's loader: it writes the registry tables and the identity tables
directly. Nothing else may; other apps read registries through `qyzmet.exchange.registry_client`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

from qyzmet.countries.kz.identifiers import bin_make, iin_make
from qyzmet.identity.models import Membership, Organisation, User
from qyzmet.registries.legal_entities.models import Entity, Founder
from qyzmet.registries.population.models import Address, IdentityDocument, Person

REFERENCE_DATE = dt.date(2026, 1, 1)
DEMO_PASSWORD = "Qyzmet-demo-2026"  # noqa: S105 — published on purpose: demo logins only
AGENCIES_FILE = Path(__file__).with_name("agencies.yaml")
_BATCH = 1000

# --- names --------------------------------------------------------------------------------

MALE_NAMES = (
    "Нұрлан", "Серік", "Ерлан", "Асқар", "Бауыржан", "Данияр", "Қайрат", "Мұрат", "Айдос",
    "Арман", "Ержан", "Дәурен", "Ерболат", "Нұржан", "Талғат", "Жандос", "Әлихан", "Ислам",
    "Мақсат", "Бекзат", "Ахмет", "Болат", "Жомарт", "Ғалым", "Ерасыл", "Санжар", "Тимур",
    "Әділет", "Алмас", "Берік", "Марат", "Қанат", "Ермек", "Руслан", "Азамат", "Олжас",
    "Абылай", "Саят", "Темірлан", "Ерқанат",
)  # fmt: skip
FEMALE_NAMES = (
    "Айгерім", "Гүлнар", "Әйгерім", "Жанар", "Динара", "Мәдина", "Аружан", "Назерке",
    "Салтанат", "Ақмарал", "Жұлдыз", "Дана", "Аяулым", "Томирис", "Інжу", "Гүлмира", "Айжан",
    "Сәуле", "Ботагөз", "Меруерт", "Балжан", "Жансая", "Әсел", "Лаура", "Камила", "Қарлығаш",
    "Айнұр", "Маржан", "Нұргүл", "Гаухар", "Райхан", "Ләззат", "Зарина", "Алуа", "Жібек",
    "Ұлжан", "Бибігүл", "Күнсұлу", "Перизат", "Ақерке",
)  # fmt: skip
# Surname stems and the masculine ending; the feminine form adds "а" (-ов/-ова, -ев/-ева, -ин/-ина).
SURNAMES = (
    ("Ахмет", "ов"), ("Нұрлан", "ов"), ("Сейіт", "ов"), ("Оспан", "ов"), ("Қасым", "ов"),
    ("Мұқан", "ов"), ("Жақсыбек", "ов"), ("Серік", "ов"), ("Омар", "ов"), ("Төлеген", "ов"),
    ("Әбдірахман", "ов"), ("Смағұл", "ов"), ("Бекмұхамбет", "ов"), ("Сұлтан", "ов"),
    ("Нұрмағанбет", "ов"), ("Әлім", "ов"), ("Бейсен", "ов"), ("Тұрсын", "ов"), ("Есен", "ов"),
    ("Қожахмет", "ов"), ("Жұмаба", "ев"), ("Тоқа", "ев"), ("Сәтба", "ев"), ("Құнанба", "ев"),
    ("Әли", "ев"), ("Иса", "ев"), ("Мұса", "ев"), ("Сыздықба", "ев"), ("Кенжеба", "ев"),
    ("Тілеуба", "ев"), ("Сейфулл", "ин"), ("Ғабдулл", "ин"), ("Мус", "ин"), ("Ис", "ин"),
    ("Хайрулл", "ин"), ("Нығметулл", "ин"),
)  # fmt: skip

# --- addresses (Russian, as the registry prints them) ---------------------------------------

CITIES = (
    # (city, region, weight, streets)
    ("Алматы", "Алматы", 20, ("пр. Абая", "ул. Толе би", "ул. Жибек Жолы", "пр. Достык",
     "ул. Сатпаева", "ул. Розыбакиева", "пр. Аль-Фараби", "ул. Жандосова", "ул. Байзакова",
     "пр. Райымбека", "ул. Кабанбай батыра", "ул. Богенбай батыра")),
    ("Астана", "Астана", 15, ("пр. Мангилик Ел", "пр. Кабанбай батыра", "ул. Кенесары",
     "пр. Республики", "ул. Сыганак", "ул. Бейбитшилик", "пр. Туран", "ул. Сарайшык",
     "пр. Абая", "ул. Иманова")),
    ("Шымкент", "Шымкент", 12, ("пр. Тауке хана", "ул. Байтурсынова", "пр. Республики",
     "ул. Казыбек би", "ул. Жандосова", "ул. Толе би", "пр. Кунаева")),
    ("Караганда", "Карагандинская область", 7, ("пр. Бухар жырау", "ул. Ерубаева",
     "пр. Нуркена Абдирова", "ул. Гоголя", "ул. Алиханова", "пр. Строителей")),
    ("Актобе", "Актюбинская область", 6, ("пр. Абилкайыр хана", "ул. Братьев Жубановых",
     "пр. Санкибай батыра", "ул. Маресьева", "пр. Алии Молдагуловой")),
    ("Павлодар", "Павлодарская область", 4, ("ул. Торайгырова", "ул. Естая",
     "ул. Академика Сатпаева", "ул. Кутузова", "ул. Ломова")),
    ("Усть-Каменогорск", "Восточно-Казахстанская область", 4, ("ул. Казахстан",
     "ул. Ушанова", "ул. Горького", "пр. Независимости")),
    ("Атырау", "Атырауская область", 4, ("ул. Сатпаева", "пр. Азаттык", "ул. Абая",
     "ул. Махамбета")),
    ("Костанай", "Костанайская область", 4, ("ул. Байтурсынова", "пр. Аль-Фараби",
     "ул. Баймагамбетова", "ул. Гоголя")),
    ("Тараз", "Жамбылская область", 4, ("ул. Толе би", "пр. Жамбыла", "ул. Айтеке би",
     "ул. Сулейменова")),
    ("Кызылорда", "Кызылординская область", 3, ("ул. Айтеке би", "ул. Желтоксан",
     "пр. Абая", "ул. Коркыт ата")),
    ("Уральск", "Западно-Казахстанская область", 3, ("пр. Назарбаева", "ул. Датова",
     "ул. Евразия")),
)  # fmt: skip

# --- legal entities -------------------------------------------------------------------------

NAME_WORDS = (
    "Алтын", "Сарыарқа", "Жұлдыз", "Бірлік", "Нұр", "Самұрық", "Тұран", "Көктем", "Болашақ",
    "Береке", "Ақ Жол", "Қазына", "Достық", "Арай", "Шаңырақ", "Атамекен", "Алатау", "Жетісу",
    "Ертіс", "Көкше", "Ордабасы", "Мерей", "Шуақ", "Дала",
)  # fmt: skip
ACTIVITIES = (
    # (OKED code, name suffix)
    ("62010", "Софт"), ("47111", "Маркет"), ("41201", "Строй"), ("49410", "Логистик"),
    ("56101", "Фуд"), ("86210", "Медикал"), ("01110", "Агро"), ("69201", "Консалтинг"),
    ("68201", "Девелопмент"), ("46900", "Трейд"), ("43210", "Электро"), ("85591", "Білім"),
)  # fmt: skip
IE_ACTIVITIES = ("47111", "45200", "96020", "56101", "49320", "74100", "95230", "47820")

# --- fixed demo people (stable IINs the README prints) ---------------------------------------


def _fixed_iin(birth: dt.date, sex: str, start: int) -> str:
    """The first valid IIN at or after `start` for these parts: stable, not random."""
    for serial in range(start, start + 200):
        iin = iin_make(birth, sex, serial)
        if iin is not None:
            return iin
    raise AssertionError("no valid IIN serial near the start")  # pragma: no cover


def agencies_load(path: Path = AGENCIES_FILE) -> list[dict[str, Any]]:
    """The agencies of the pack: [{code, bin, name: {kk, ru, en}}], in file order."""
    with open(path, encoding="utf-8") as fh:
        return list(yaml.safe_load(fh)["agencies"])


_A_BIRTH = dt.date(1994, 3, 15)
_A_SPOUSE_BIRTH = dt.date(1991, 7, 8)
_B_BIRTH = dt.date(1988, 11, 2)
DEMO_CITIZEN_A_IIN = _fixed_iin(_A_BIRTH, "F", 2601)
DEMO_CITIZEN_A_SPOUSE_IIN = _fixed_iin(_A_SPOUSE_BIRTH, "M", 2602)
DEMO_CITIZEN_B_IIN = _fixed_iin(_B_BIRTH, "M", 2603)

_OFFICER_NAMES = (
    # (last, first, patronymic, sex) — officer of agency i is row 2i, head is row 2i+1
    ("Жұмабаева", "Гүлнар", "Болатқызы", "F"), ("Сейітов", "Марат", "Ерланұлы", "M"),
    ("Қасымов", "Олжас", "Бекзатұлы", "M"), ("Тоқаева", "Салтанат", "Мұратқызы", "F"),
    ("Әлиева", "Динара", "Асқарқызы", "F"), ("Бейсенов", "Қанат", "Серікұлы", "M"),
    ("Оспанов", "Арман", "Қайратұлы", "M"), ("Мусина", "Жанар", "Талғатқызы", "F"),
    ("Сұлтанова", "Меруерт", "Берікқызы", "F"), ("Есенов", "Талғат", "Нұрланұлы", "M"),
    ("Омарова", "Ләззат", "Ахметқызы", "F"), ("Смағұлов", "Ермек", "Болатұлы", "M"),
    ("Ахметов", "Даурен", "Серікұлы", "M"), ("Жақыпова", "Әсел", "Маратқызы", "F"),
    ("Нұрғалиева", "Аяжан", "Ерболқызы", "F"), ("Ибраев", "Асхат", "Жомартұлы", "M"),
)  # fmt: skip


def _officer_people() -> list[dict[str, Any]]:
    people = []
    for i, agency in enumerate(agencies_load()):
        for j, role in enumerate(("officer", "head")):
            k = 2 * i + j
            last, first, patronymic, sex = _OFFICER_NAMES[k % len(_OFFICER_NAMES)]
            birth = dt.date(1972 + (k * 3) % 20, 1 + (k * 5) % 12, 1 + (k * 7) % 27)
            people.append(
                {
                    "agency": agency["code"],
                    "role": role,
                    "iin": _fixed_iin(birth, sex, 2700 + k * 3),
                    "last_name": last,
                    "first_name": first,
                    "patronymic": patronymic,
                    "birth_date": birth,
                    "sex": sex,
                }
            )
    return people


def _finance_people() -> list[dict[str, Any]]:
    """The finance desk's demo people: two finance officers of the migration service (its fees
    are the passport's; two, so one can approve the other's refund) and a platform treasurer
    who reads every agency's payments (payments.finance)."""
    people = []
    rows = (
        ("kz-mvd-migration", "finance_officer", ("Қайырбекова", "Гүлмира", "Сәкенқызы", "F"),
         "finance.kz-mvd-migration"),
        ("kz-mvd-migration", "finance_officer", ("Жанұзақов", "Ерболат", "Маратұлы", "M"),
         "finance2.kz-mvd-migration"),
        ("kz-gov-corp", "treasury", ("Әбдірахманова", "Сәуле", "Ғаниқызы", "F"),
         "treasury.kz-gov-corp"),
    )  # fmt: skip
    for k, (agency, role, (last, first, patronymic, sex), mailbox) in enumerate(rows):
        birth = dt.date(1980 + k * 4, 2 + k * 3, 11 + k * 5)
        people.append({"agency": agency, "role": role, "iin": _fixed_iin(birth, sex, 2900 + k * 3),
                       "last_name": last, "first_name": first, "patronymic": patronymic,
                       "birth_date": birth, "sex": sex, "email": f"{mailbox}@example.org"})
    return people


_OFFICERS = _officer_people() + _finance_people()
DEMO_OFFICER_IINS: dict[str, list[tuple[str, str]]] = {}
for _o in _OFFICERS:
    DEMO_OFFICER_IINS.setdefault(_o["agency"], []).append((_o["iin"], _o["role"]))


def demo_children_births(today: dt.date) -> tuple[dt.date, dt.date]:
    """Citizen A's children: one of kindergarten age (3 years 40 days old), one born 75 days
    ago (within the last year, for the birth benefit)."""
    older = _plus_years(today, -3) - dt.timedelta(days=40)
    return older, today - dt.timedelta(days=75)


# --- helpers --------------------------------------------------------------------------------


def _plus_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year + years, day=28)


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _surname(style: tuple[str, str], sex: str) -> str:
    """`style` is ("g", stem+ending) for gendered surnames, ("k", father's name) for -ұлы/-қызы."""
    kind, value = style
    if kind == "k":
        return value + ("ұлы" if sex == "M" else "қызы")
    return value if sex == "M" else value + "а"


def _patronymic(father_name: str, sex: str) -> str:
    return father_name + ("ұлы" if sex == "M" else "қызы")


@dataclass
class _P:
    pk: int
    iin: str
    last_name: str
    first_name: str
    patronymic: str
    birth_date: dt.date
    sex: str
    style: tuple[str, str]
    address: int | None
    citizenship: str = "KAZ"
    death_date: dt.date | None = None
    mother: int | None = None
    father: int | None = None
    spouse: int | None = None


@dataclass
class _A:
    pk: int
    region: str
    city: str
    street: str
    building: str
    apartment: str
    registered_since: dt.date

    @property
    def full(self) -> str:
        text = f"г. {self.city}, {self.street}, д. {self.building}"
        return f"{text}, кв. {self.apartment}" if self.apartment else text


@dataclass
class _Generator:
    seed: int
    person_base: int
    address_base: int
    rng: random.Random = field(init=False)
    persons: list[_P] = field(default_factory=list)
    addresses: list[_A] = field(default_factory=list)
    used_iins: set[str] = field(default_factory=set)
    by_pk: dict[int, _P] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._city_weights = [c[2] for c in CITIES]

    # -- primitives
    def date_between(self, lo: dt.date, hi: dt.date) -> dt.date:
        if hi <= lo:
            return lo
        return lo + dt.timedelta(days=self.rng.randint(0, (hi - lo).days))

    def new_iin(self, birth: dt.date, sex: str) -> str:
        while True:
            iin = iin_make(birth, sex, self.rng.randrange(10000))
            if iin is not None and iin not in self.used_iins:
                self.used_iins.add(iin)
                return iin

    def address_parts(self) -> tuple[str, str, str, str, str]:
        city, region, _w, streets = self.rng.choices(CITIES, weights=self._city_weights)[0]
        street = self.rng.choice(streets)
        building = str(self.rng.randint(1, 240))
        if self.rng.random() < 0.1:
            building += self.rng.choice(("А", "Б", "/1", "/2"))
        apartment = str(self.rng.randint(1, 220)) if self.rng.random() < 0.75 else ""
        return region, city, street, building, apartment

    def new_address(self, since: dt.date, parts: tuple | None = None) -> int:
        pk = self.address_base + len(self.addresses)
        region, city, street, building, apartment = parts or self.address_parts()
        self.addresses.append(_A(pk, region, city, street, building, apartment, since))
        return pk

    def add(self, **kw: Any) -> _P:
        pk = self.person_base + len(self.persons)
        person = _P(pk=pk, **kw)
        self.persons.append(person)
        self.by_pk[pk] = person
        return person

    def random_style(self) -> tuple[str, str]:
        if self.rng.random() < 0.15:
            return ("k", self.rng.choice(MALE_NAMES))
        stem, ending = self.rng.choice(SURNAMES)
        return ("g", stem + ending)

    def fresh_adult(self, sex: str, birth: dt.date, address: int | None) -> _P:
        style = self.random_style()
        first = self.rng.choice(MALE_NAMES if sex == "M" else FEMALE_NAMES)
        patronymic = "" if style[0] == "k" else _patronymic(self.rng.choice(MALE_NAMES), sex)
        citizenship = "KAZ"
        if self.rng.random() < 0.02:
            citizenship = self.rng.choice(("RUS", "UZB", "KGZ", "CHN"))
        return self.add(
            iin=self.new_iin(birth, sex),
            last_name=_surname(style, sex),
            first_name=first,
            patronymic=patronymic,
            birth_date=birth,
            sex=sex,
            style=style,
            address=address,
            citizenship=citizenship,
        )

    def maybe_die(self, person: _P) -> None:
        if person.birth_date.year < 1955 and self.rng.random() < 0.2:
            lo = max(_plus_years(person.birth_date, 65), dt.date(2010, 1, 1))
            person.death_date = self.date_between(lo, REFERENCE_DATE - dt.timedelta(days=1))

    def marry(self, husband: _P, wife: _P) -> None:
        husband.spouse, wife.spouse = wife.pk, husband.pk
        # Most wives take the husband's surname when it is a gendered one; with -ұлы/-қызы
        # surnames Kazakh custom keeps the wife's own.
        if husband.style[0] == "g" and self.rng.random() < 0.8:
            wife.style = husband.style
            wife.last_name = _surname(husband.style, "F")

    def children(
        self, *, mother: _P, father: _P | None, address: int, n: int, today: dt.date
    ) -> list[_P]:
        """Children born while every known parent was 18 to 45, living at the family address."""
        parents = [p for p in (mother, father) if p is not None]
        lo = max(_plus_years(p.birth_date, 18) for p in parents) + dt.timedelta(days=1)
        hi = min(_plus_years(p.birth_date, 45) for p in parents) - dt.timedelta(days=1)
        hi = min(hi, today - dt.timedelta(days=1))
        if father is None:
            style: tuple[str, str] = (
                mother.style if mother.style[0] == "g" else ("k", self.rng.choice(MALE_NAMES))
            )
            father_name = self.rng.choice(MALE_NAMES)
        else:
            style = father.style if father.style[0] == "g" else ("k", father.first_name)
            father_name = father.first_name
        if lo > hi:
            return []
        births = sorted(self.date_between(lo, hi) for _ in range(n))
        out = []
        for birth in births:
            sex = self.rng.choice("MF")
            out.append(
                self.add(
                    iin=self.new_iin(birth, sex),
                    last_name=_surname(style, sex),
                    first_name=self.rng.choice(MALE_NAMES if sex == "M" else FEMALE_NAMES),
                    patronymic="" if style[0] == "k" else _patronymic(father_name, sex),
                    birth_date=birth,
                    sex=sex,
                    style=style,
                    address=address,
                    mother=mother.pk,
                    father=father.pk if father else None,
                )
            )
        return out


def _generate(*, count: int, seed: int, today: dt.date, person_base: int, address_base: int):
    g = _Generator(seed=seed, person_base=person_base, address_base=address_base)
    fixed_iins = {DEMO_CITIZEN_A_IIN, DEMO_CITIZEN_A_SPOUSE_IIN, DEMO_CITIZEN_B_IIN}
    fixed_iins |= {o["iin"] for o in _OFFICERS}
    g.used_iins |= fixed_iins

    # The fixed demo people first, so their rows never depend on `count`.
    home_a = g.new_address(dt.date(2019, 6, 1), ("Алматы", "Алматы", "пр. Абая", "150", "42"))
    a = g.add(iin=DEMO_CITIZEN_A_IIN, last_name="Нұрланова", first_name="Айгерім",
              patronymic="Серікқызы", birth_date=_A_BIRTH, sex="F",
              style=("g", "Нұрланов"), address=home_a)  # fmt: skip
    a_spouse = g.add(iin=DEMO_CITIZEN_A_SPOUSE_IIN, last_name="Нұрланов", first_name="Ерлан",
                     patronymic="Бауыржанұлы", birth_date=_A_SPOUSE_BIRTH, sex="M",
                     style=("g", "Нұрланов"), address=home_a)  # fmt: skip
    a.spouse, a_spouse.spouse = a_spouse.pk, a.pk
    older, baby = demo_children_births(today)
    for birth, sex, first in ((older, "M", "Әлихан"), (baby, "F", "Томирис")):
        iin = _fixed_iin(birth, sex, 2650)
        g.used_iins.add(iin)
        g.add(iin=iin, last_name=_surname(("g", "Нұрланов"), sex), first_name=first,
              patronymic=_patronymic("Ерлан", sex), birth_date=birth, sex=sex,
              style=("g", "Нұрланов"), address=home_a, mother=a.pk, father=a_spouse.pk)  # fmt: skip
    home_b = g.new_address(
        dt.date(2015, 9, 1), ("Астана", "Астана", "пр. Мангилик Ел", "20", "118")
    )
    g.add(iin=DEMO_CITIZEN_B_IIN, last_name="Омаров", first_name="Данияр",
          patronymic="Қайратұлы", birth_date=_B_BIRTH, sex="M", style=("g", "Омаров"),
          address=home_b)  # fmt: skip
    for i, o in enumerate(_OFFICERS):
        home = g.new_address(
            dt.date(2012 + i % 10, 1 + i % 12, 10),
            ("Астана", "Астана", "ул. Кенесары", str(30 + i), str(10 + 7 * i)),
        )
        g.add(iin=o["iin"], last_name=o["last_name"], first_name=o["first_name"],
              patronymic=o["patronymic"], birth_date=o["birth_date"], sex=o["sex"],
              style=("g", o["last_name"]), address=home)  # fmt: skip
    fixed_count = len(g.persons)

    # The random population: households, whose grown-up children found households of their own.
    male_movers: list[_P] = []
    female_movers: list[_P] = []
    ref = REFERENCE_DATE
    while len(g.persons) < count:
        head: _P
        if male_movers and g.rng.random() < 0.6:
            head = male_movers.pop(0)
        elif female_movers and g.rng.random() < 0.1:
            head = female_movers.pop(0)
        else:
            sex = "M" if g.rng.random() < 0.85 else "F"
            head = g.fresh_adult(sex, g.date_between(dt.date(1945, 1, 1), dt.date(2002, 12, 31)),
                                 None)  # fmt: skip
        wife: _P | None = None
        if head.sex == "M" and g.rng.random() < 0.8:
            for i, candidate in enumerate(female_movers[:20]):
                gap = (candidate.birth_date - head.birth_date).days / 365.25
                if -3 <= gap <= 8:
                    wife = female_movers.pop(i)
                    break
            if wife is None:
                birth = head.birth_date + dt.timedelta(days=g.rng.randint(-3 * 365, 8 * 365))
                birth = min(birth, _plus_years(ref, -19))
                wife = g.fresh_adult("F", birth, None)
            g.marry(head, wife)
        adults = [p for p in (head, wife) if p is not None]
        since_lo = max([dt.date(1995, 1, 1)] + [_plus_years(p.birth_date, 20) for p in adults])
        home = g.new_address(g.date_between(since_lo, ref - dt.timedelta(days=30)))
        for p in adults:
            p.address = home
            g.maybe_die(p)
        mother = wife if wife is not None else (head if head.sex == "F" else None)
        if mother is None:
            continue
        n = g.rng.choices((0, 1, 2, 3, 4), weights=(12, 25, 33, 20, 10))[0]
        father = head if head.sex == "M" else None
        for child in g.children(mother=mother, father=father, address=home, n=n, today=ref):
            if _age(child.birth_date, ref) >= 22 and g.rng.random() < 0.6:
                (male_movers if child.sex == "M" else female_movers).append(child)
    return g, fixed_count


def _company_name(g: _Generator, kind: str, suffix: str) -> str:
    prefix = "ТОО" if kind == Entity.Kind.LLP else "АО"
    return f"{prefix} «{g.rng.choice(NAME_WORDS)} {suffix}»"


def _entities(g: _Generator, *, fixed_count: int, companies: int, entrepreneurs: int):
    """Companies with heads and founders among living adults, and individual entrepreneurs
    registered under their own IIN. The fixed demo people are left out, so their facts are
    predictable."""
    ref = REFERENCE_DATE
    adults = [
        p for p in g.persons[fixed_count:]
        if p.death_date is None and 18 <= _age(p.birth_date, ref) <= 75
    ]  # fmt: skip
    addresses = {a.pk: a for a in g.addresses}
    entities: list[Entity] = []
    founders: list[Founder] = []
    used_bins: set[str] = set()
    for _ in range(companies if adults else 0):
        registered = g.date_between(dt.date(1995, 1, 1), ref - dt.timedelta(days=1))
        while True:
            bin_ = bin_make(registered, 4, 0, g.rng.randrange(100000))
            if bin_ is not None and bin_ not in used_bins:
                used_bins.add(bin_)
                break
        kind = Entity.Kind.JSC if g.rng.random() < 0.1 else Entity.Kind.LLP
        code, suffix = g.rng.choice(ACTIVITIES)
        owners = g.rng.sample(adults, k=min(len(adults), g.rng.randint(1, 3)))
        head = owners[0] if g.rng.random() < 0.5 else g.rng.choice(adults)
        _region, city, street, building, apartment = g.address_parts()
        office = f"г. {city}, {street}, д. {building}" + (f", оф. {apartment}" if apartment else "")
        entity = Entity(
            bin=bin_,
            name=_company_name(g, kind, suffix),
            kind=kind,
            registered_on=registered,
            head_iin=head.iin,
            address=office,
            status=Entity.Status.LIQUIDATED if g.rng.random() < 0.05 else Entity.Status.ACTIVE,
            activity_code=code,
        )
        entities.append(entity)
        cuts = sorted(g.rng.sample(range(1, 100), k=len(owners) - 1))
        bounds = [0, *cuts, 100]
        for owner, low, high in zip(owners, bounds, bounds[1:], strict=False):
            founders.append(Founder(entity=entity, iin=owner.iin, share=Decimal(high - low)))
    for person in g.rng.sample(adults, k=min(len(adults), entrepreneurs)):
        lo = max(_plus_years(person.birth_date, 18), dt.date(2005, 1, 1))
        initials = f"{person.first_name[0]}."
        if person.patronymic:
            initials += f"{person.patronymic[0]}."
        name = (
            f"ИП {person.last_name} {initials}"
            if g.rng.random() < 0.5
            else f"ИП «{g.rng.choice(NAME_WORDS)}»"
        )
        entities.append(
            Entity(
                bin=person.iin,
                name=name,
                kind=Entity.Kind.IE,
                registered_on=g.date_between(lo, ref - dt.timedelta(days=1)),
                head_iin=person.iin,
                address=addresses[person.address].full if person.address else "",
                status=Entity.Status.LIQUIDATED if g.rng.random() < 0.1 else Entity.Status.ACTIVE,
                activity_code=g.rng.choice(IE_ACTIVITIES),
            )
        )
    return entities, founders


def _identity_cards(g: Any, today: dt.date) -> Iterable[IdentityDocument]:
    """An identity card (ten years) for every living person aged 16 or more, expiring on days
    spread over the next ten years (a few expired within the last month), so the daily
    `document_expiring` scan has documents to announce (docs/registry-events.md)."""
    for p in g.persons:
        if p.death_date is None and (today - p.birth_date).days >= 16 * 365:
            spread = p.pk * 7919  # a prime: distinct numbers and days, the same each run
            expires_on = today + dt.timedelta(days=spread % 3650 - 30)
            yield IdentityDocument(
                person_id=p.pk, kind=IdentityDocument.Kind.ID_CARD, number=f"{spread % 10**9:09d}",
                issued_on=expires_on - dt.timedelta(days=3652), expires_on=expires_on,
            )  # fmt: skip


@dataclass(frozen=True)
class GenerationResult:
    persons: int
    addresses: int
    entities: int
    founders: int


@transaction.atomic
def population_generate(
    *, count: int = 10_000, seed: int = 2026, today: dt.date | None = None
) -> GenerationResult:
    """Fill the population and legal entities registries with `count` persons (at least the
    fixed demo people), about count/20 companies and count*3/100 individual entrepreneurs.

    The registries must be empty (`registries_clear()` first): the fixed demo IINs are always
    generated, so a second run would collide. Same seed, count and `today` → same data."""
    if Person.objects.exists() or Entity.objects.exists():
        raise ValueError("the registries already hold data: call registries_clear() first")
    today = today or dt.date.today()
    person_base = (Person.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    address_base = (Address.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    g, fixed_count = _generate(
        count=count, seed=seed, today=today, person_base=person_base, address_base=address_base
    )
    Address.objects.bulk_create(
        (
            Address(pk=a.pk, region=a.region, city=a.city, street=a.street, building=a.building,
                    apartment=a.apartment, full=a.full, registered_since=a.registered_since)
            for a in g.addresses
        ),
        batch_size=_BATCH,
    )  # fmt: skip
    Person.objects.bulk_create(
        (
            Person(pk=p.pk, iin=p.iin, last_name=p.last_name, first_name=p.first_name,
                   patronymic=p.patronymic, birth_date=p.birth_date, sex=p.sex,
                   citizenship=p.citizenship, death_date=p.death_date, mother_id=p.mother,
                   father_id=p.father, spouse_id=p.spouse, address_id=p.address)
            for p in g.persons
        ),
        batch_size=_BATCH,
    )  # fmt: skip
    entities, founders = _entities(
        g, fixed_count=fixed_count, companies=count // 20, entrepreneurs=count * 3 // 100
    )
    Entity.objects.bulk_create(entities, batch_size=_BATCH)
    for founder in founders:  # bulk_create filled the entities' pks (SQLite and PostgreSQL)
        founder.entity_id = founder.entity.pk
    Founder.objects.bulk_create(founders, batch_size=_BATCH)
    IdentityDocument.objects.bulk_create(_identity_cards(g, today), batch_size=_BATCH)
    # Rows were inserted with explicit ids: move PostgreSQL's sequences past them.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Address, Person]):
            cursor.execute(sql)
    return GenerationResult(len(g.persons), len(g.addresses), len(entities), len(founders))


@transaction.atomic
def registries_clear() -> None:
    """Empty the demo registries (population and legal entities)."""
    Founder.objects.all().delete()
    Entity.objects.all().delete()
    Person.objects.update(mother=None, father=None, spouse=None)
    Person.objects.all().delete()
    Address.objects.all().delete()


def _digest_rows() -> Iterable[Any]:
    addresses = {
        a["id"]: [a["region"], a["city"], a["street"], a["building"], a["apartment"], a["full"],
                  a["registered_since"].isoformat()]
        for a in Address.objects.values()
    }  # fmt: skip
    iins = dict(Person.objects.values_list("pk", "iin"))
    for p in Person.objects.order_by("iin").values():
        yield [
            p["iin"], p["last_name"], p["first_name"], p["patronymic"],
            p["birth_date"].isoformat(), p["sex"], p["citizenship"],
            p["death_date"].isoformat() if p["death_date"] else None,
            iins.get(p["mother_id"]), iins.get(p["father_id"]), iins.get(p["spouse_id"]),
            addresses.get(p["address_id"]),
        ]  # fmt: skip
    for e in Entity.objects.order_by("bin").values():
        yield [e["bin"], e["name"], e["kind"], e["registered_on"].isoformat(), e["head_iin"],
               e["address"], e["status"], e["activity_code"]]  # fmt: skip
    for f in Founder.objects.order_by("entity__bin", "iin").values("entity__bin", "iin", "share"):
        yield [f["entity__bin"], f["iin"], str(f["share"])]


def registries_digest() -> str:
    """A SHA-256 of a canonical dump of both registries, independent of database row ids."""
    h = hashlib.sha256()
    for row in _digest_rows():
        h.update(json.dumps(row, ensure_ascii=False).encode() + b"\n")
    return h.hexdigest()


# --- organisations and demo logins ----------------------------------------------------------


def organisation_upsert(
    *, code: str, bin: str, name_kk: str, name_ru: str, name_en: str, kind: str = "agency"
) -> tuple[Organisation, bool]:
    """Create the organisation, or bring it in line with the pack; returns (org, created).
    Writes nothing when the row already matches, so the demo loader stays idempotent."""
    wanted = {"bin": bin, "kind": kind, "name_kk": name_kk, "name_ru": name_ru, "name_en": name_en}
    org = Organisation.objects.filter(code=code).first()
    if org is None:
        return Organisation.objects.create(code=code, **wanted), True
    changed = [k for k, v in wanted.items() if getattr(org, k) != v]
    for k in changed:
        setattr(org, k, wanted[k])
    if changed:
        org.save(update_fields=changed)
    return org, False


@dataclass(frozen=True)
class DemoLogin:
    role: str
    iin: str
    full_name: str
    email: str
    phone: str
    language: str
    agency: str = ""


def demo_logins() -> list[DemoLogin]:
    """Everyone who can sign in to the demo, with the registry's names."""
    logins = [
        DemoLogin("citizen A", DEMO_CITIZEN_A_IIN, "Нұрланова Айгерім Серікқызы",
                  "aigerim.nurlanova@example.org", "+77010000001", "kk"),
        DemoLogin("citizen B", DEMO_CITIZEN_B_IIN, "Омаров Данияр Қайратұлы",
                  "daniyar.omarov@example.org", "+77010000002", "ru"),
    ]  # fmt: skip
    for n, o in enumerate(_OFFICERS, start=1):
        logins.append(
            DemoLogin(
                role=o["role"],
                iin=o["iin"],
                full_name=f"{o['last_name']} {o['first_name']} {o['patronymic']}",
                email=o.get("email") or f"{o['role']}.{o['agency']}@example.org",
                phone=f"+7702{n:07d}",
                language="kk" if o["role"] == "officer" else "ru",
                agency=o["agency"],
            )
        )
    return logins


@transaction.atomic
def demo_accounts_ensure() -> dict[str, int]:
    """Agencies as organisations, demo users and their memberships; creates only what is
    missing. Returns how many of each were created."""
    created = {"organisations": 0, "users": 0, "memberships": 0}
    for agency in agencies_load():
        _org, new = organisation_upsert(
            code=agency["code"], bin=str(agency["bin"]), name_kk=agency["name"]["kk"],
            name_ru=agency["name"]["ru"], name_en=agency["name"]["en"],
        )  # fmt: skip
        created["organisations"] += new
    orgs = {o.code: o for o in Organisation.objects.all()}
    for login in demo_logins():
        user = User.objects.filter(iin=login.iin).first()
        if user is None:
            user = User.objects.create_user(
                login.iin, DEMO_PASSWORD, full_name=login.full_name, email=login.email,
                phone=login.phone, language=login.language,
            )  # fmt: skip
            created["users"] += 1
        if login.agency:
            _m, new = Membership.objects.get_or_create(
                user=user, organisation=orgs[login.agency], role=login.role
            )
            created["memberships"] += new
    return created

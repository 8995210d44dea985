"""Demo budgets: three agencies × three fiscal years, made up (clearly synthetic programmes and
amounts, plausible in size and shape), built as Fiscal Data Packages and published through the
same validated path an agency's upload takes. Idempotent: an agency-year that already has a
version is left alone.

`package_build` is also what the tests start from when they need a valid package."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from typing import Any

from qyzmet.identity.selectors import organisation_names

from . import selectors, services

# (organisation code, administrator's code, functional code, programmes). A programme:
# (code, kk, ru, en, annual amount in thousand tenge, sub-programmes [(code, kk, ru, share)]).
AGENCIES: list[tuple[str, str, str, list[tuple]]] = [
    ("kz-mvd", "201", "0301", [
        ("001", "Ішкі істер органдарының қызметін қамтамасыз ету",
         "Обеспечение деятельности органов внутренних дел",
         "Operation of the internal affairs bodies", 612_000_000, [
             ("100", "Қоғамдық тәртіпті сақтау және қоғамдық қауіпсіздікті қамтамасыз ету",
              "Охрана общественного порядка и обеспечение общественной безопасности", 0.62),
             ("101", "Қылмыстық-атқару жүйесінің қызметі",
              "Деятельность уголовно-исполнительной системы", 0.23),
             ("102", "Көші-қон қызметін ұйымдастыру", "Организация миграционной службы", 0.15),
         ]),
        ("002", "Ішкі істер органдарының кадрларын даярлау",
         "Подготовка кадров органов внутренних дел",
         "Training of internal affairs staff", 24_500_000, []),
        ("003", "Жол жүрісі қауіпсіздігін қамтамасыз ету",
         "Обеспечение безопасности дорожного движения",
         "Road traffic safety", 18_200_000, []),
        ("004", "Ішкі істер органдарының ақпараттық жүйелерін дамыту",
         "Развитие информационных систем органов внутренних дел",
         "Development of the information systems of the internal affairs bodies",
         9_800_000, []),
        ("005", "Ішкі істер органдарының объектілерін салу және реконструкциялау",
         "Строительство и реконструкция объектов органов внутренних дел",
         "Construction and reconstruction of internal affairs facilities", 31_000_000, []),
    ]),
    ("kz-health", "226", "0509", [
        ("001", "Денсаулық сақтау саласындағы саясатты қалыптастыру",
         "Формирование политики в области здравоохранения",
         "Health policy making", 6_400_000, []),
        ("002", "Тегін медициналық көмектің кепілдік берілген көлемін қамтамасыз ету",
         "Обеспечение гарантированного объема бесплатной медицинской помощи",
         "The guaranteed volume of free medical care", 1_480_000_000, [
             ("100", "Онкологиялық науқастарға медициналық көмек",
              "Медицинская помощь онкологическим больным", 0.21),
             ("101", "Жедел медициналық көмек", "Скорая медицинская помощь", 0.17),
             ("102", "Санитарлық авиация", "Санитарная авиация", 0.02),
             ("103", "Амбулаториялық-емханалық көмек", "Амбулаторно-поликлиническая помощь",
              0.60),
         ]),
        ("003", "Денсаулық сақтау объектілерін салу және жөндеу",
         "Строительство и ремонт объектов здравоохранения",
         "Construction and repair of healthcare facilities", 142_000_000, []),
        ("004", "Медициналық кадрларды даярлау және біліктілігін арттыру",
         "Подготовка и повышение квалификации медицинских кадров",
         "Training of medical staff", 38_700_000, []),
    ]),
    ("kz-edu", "225", "0402", [
        ("001", "Білім беру саласындағы саясатты қалыптастыру",
         "Формирование политики в области образования",
         "Education policy making", 5_100_000, []),
        ("002", "Мектепке дейінгі тәрбие мен оқытуды қамтамасыз ету",
         "Обеспечение дошкольного воспитания и обучения",
         "Pre-school education", 326_000_000, []),
        ("003", "Жалпы орта білім беру", "Общее среднее образование",
         "General secondary education", 918_000_000, [
             ("100", "Мектептер салу", "Строительство школ", 0.28),
             ("101", "Оқулықтармен қамтамасыз ету", "Обеспечение учебниками", 0.06),
             ("102", "Педагогтардың еңбегіне ақы төлеу", "Оплата труда педагогов", 0.66),
         ]),
        ("004", "Балалардың құқықтарын қорғау", "Охрана прав детей",
         "Protection of children's rights", 12_300_000, []),
    ]),
]  # fmt: skip

DESCRIPTOR_FIELDS = [
    ("year", "integer"), ("administrator", "string"), ("functional", "string"),
    ("programme", "string"), ("programme_kk", "string"), ("programme_ru", "string"),
    ("programme_en", "string"), ("subprogramme", "string"), ("subprogramme_kk", "string"),
    ("subprogramme_ru", "string"), ("planned", "number"), ("adjusted", "number"),
    ("executed", "number"),
]  # fmt: skip


ALL_PHASES = ("planned", "adjusted", "executed")


def descriptor_build(
    *, name: str, title: str, phases: tuple[str, ...] = ALL_PHASES, currency: str = "KZT",
    factor: int = 1000,
) -> dict[str, Any]:  # fmt: skip
    """A datapackage.json for `budget.csv` in our Fiscal Data Package profile."""
    phase_names = {"planned": "approved", "adjusted": "adjusted", "executed": "executed"}
    return {
        "name": name,
        "title": title,
        "profile": "fiscal-data-package",
        "resources": [{
            "name": "budget",
            "path": "budget.csv",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": {"fields": [{"name": n, "type": t} for n, t in DESCRIPTOR_FIELDS]},
        }],
        "model": {
            "measures": {
                phase: {"source": phase, "currency": currency, "factor": factor,
                        "direction": "expenditure", "phase": phase_names[phase]}
                for phase in phases
            },
            "dimensions": {
                "date": {"dimensionType": "datetime", "primaryKey": "year",
                         "attributes": {"year": {"source": "year"}}},
                "administrative": {"dimensionType": "classification",
                                   "classificationType": "administrative", "primaryKey": "code",
                                   "attributes": {"code": {"source": "administrator"}}},
                "functional": {"dimensionType": "classification",
                               "classificationType": "functional", "primaryKey": "code",
                               "attributes": {"code": {"source": "functional"}}},
                "programme": {"dimensionType": "activity", "primaryKey": "code", "attributes": {
                    "code": {"source": "programme"},
                    "label_kk": {"source": "programme_kk", "labelfor": "code"},
                    "label_ru": {"source": "programme_ru", "labelfor": "code"},
                    "label_en": {"source": "programme_en", "labelfor": "code"},
                }},
                "subprogramme": {"dimensionType": "activity", "primaryKey": "code",
                                 "attributes": {
                                     "code": {"source": "subprogramme"},
                                     "label_kk": {"source": "subprogramme_kk", "labelfor": "code"},
                                     "label_ru": {"source": "subprogramme_ru", "labelfor": "code"},
                                 }},
            },
        },
    }  # fmt: skip


def csv_build(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, [n for n, _t in DESCRIPTOR_FIELDS], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode()


def _rows(agency: tuple, year: int, *, executed_share: float | None, adjust: bool,
          seed: str) -> list[dict[str, Any]]:  # fmt: skip
    _org, admin, functional, programmes = agency
    rng = random.Random(seed)
    growth = 1 + 0.07 * (year - 2024)
    rows = []
    for code, kk, ru, en, base, subs in programmes:
        parts = subs or [("", "", "", 1.0)]
        for sub_code, sub_kk, sub_ru, share in parts:
            planned = int(base * share * growth * rng.uniform(0.94, 1.06))
            adjusted = int(planned * rng.uniform(0.97, 1.05)) if adjust else None
            executed = None
            if executed_share is not None:
                executed = int(
                    (adjusted or planned) * min(executed_share * rng.uniform(0.95, 1.04), 1)
                )
            rows.append({
                "year": year, "administrator": admin, "functional": functional,
                "programme": code, "programme_kk": kk, "programme_ru": ru, "programme_en": en,
                "subprogramme": sub_code, "subprogramme_kk": sub_kk, "subprogramme_ru": sub_ru,
                "planned": planned, "adjusted": "" if adjusted is None else adjusted,
                "executed": "" if executed is None else executed,
            })  # fmt: skip
    return rows


def package_build(*, organisation_code: str = "kz-mvd", year: int = 2025,
                  executed_share: float | None = 0.96, adjust: bool = True,
                  rows: list[dict[str, Any]] | None = None,
                  descriptor: dict[str, Any] | None = None) -> list[tuple[str, bytes]]:  # fmt: skip
    """The two files of a demo package (datapackage.json and budget.csv) as uploads."""
    agency = next(a for a in AGENCIES if a[0] == organisation_code)
    if rows is None:
        rows = _rows(agency, year, executed_share=executed_share, adjust=adjust,
                     seed=f"{organisation_code}:{year}")  # fmt: skip
    if descriptor is None:
        descriptor = descriptor_build(
            name=f"budget-{agency[1]}-{year}",
            title=f"Budget programmes {year} (synthetic demo data)",
        )
    return [
        ("datapackage.json", json.dumps(descriptor, ensure_ascii=False, indent=1).encode()),
        ("budget.csv", csv_build(rows)),
    ]


def demo_budgets_ensure(*, today: dt.date | None = None) -> int:
    """Publish the demo budgets that are missing; returns how many versions were created.
    The last two years are executed; the current year is partly executed, published twice
    for the first agency (the approved budget, then with adjustments and execution)."""
    this_year = (today or dt.date.today()).year
    present = {(a.organisation_code, a.fiscal_year) for a in selectors.budgets_overview()}
    known = organisation_names(codes={a[0] for a in AGENCIES})
    created = 0
    for n, agency in enumerate(AGENCIES):
        code = agency[0]
        if code not in known:
            continue
        for year in (this_year - 2, this_year - 1, this_year):
            if (code, year) in present:
                continue
            current = year == this_year
            if current and n == 0:
                services.budget_publish(
                    actor=None,
                    organisation_code=code,
                    system=True,
                    uploads=package_build(
                        organisation_code=code, year=year, executed_share=None, adjust=False
                    ),
                )
                created += 1
            services.budget_publish(
                actor=None, organisation_code=code, system=True,
                uploads=package_build(organisation_code=code, year=year,
                                      executed_share=0.78 if current else 0.965),
            )  # fmt: skip
            created += 1
    return created

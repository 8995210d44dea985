"""This app's open datasets: importing this module registers them (qyzmet.core.open_datasets).

`budget-programmes`: every agency's newest published budget per fiscal year, per programme and
phase (planned, adjusted, executed), in tenge. Budgets are about money, not people: nothing is
suppressed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from qyzmet.core.open_datasets import Publisher, register
from qyzmet.identity.selectors import organisation_names

from . import selectors

BUDGET_PROGRAMMES_SCHEMA = {
    "fields": [
        {"name": "agency", "type": "string", "description": "The agency's slug on /budgets/"},
        {"name": "agency_name_kk", "type": "string"},
        {"name": "agency_name_ru", "type": "string"},
        {"name": "agency_name_en", "type": "string"},
        {"name": "fiscal_year", "type": "integer"},
        {"name": "version", "type": "integer",
         "description": "The number of the agency's upload for that year"},
        {"name": "programme_code", "type": "string",
         "description": "Budget programme code (three digits)"},
        {"name": "programme_name_kk", "type": "string"},
        {"name": "programme_name_ru", "type": "string"},
        {"name": "functional_code", "type": "string",
         "description": "Functional classification code"},
        {"name": "phase", "type": "string",
         "constraints": {"enum": ["planned", "adjusted", "executed"]}},
        {"name": "amount_kzt", "type": "number", "description": "Amount in tenge"},
    ],
    "primaryKey": ["agency", "fiscal_year", "programme_code", "phase"],
}  # fmt: skip


def budget_programme_rows() -> Iterable[dict[str, Any]]:
    rows = list(selectors.budget_open_rows())
    codes = {selectors.publisher_by_slug(slug=slug).organisation_code: slug
             for slug in {r["agency"] for r in rows}}  # fmt: skip
    names = organisation_names(codes=set(codes))
    by_slug = {slug: names.get(code, {}) for code, slug in codes.items()}
    for row in rows:
        agency = by_slug.get(row["agency"], {})
        yield {
            "agency": row["agency"],
            "agency_name_kk": agency.get("kk", ""),
            "agency_name_ru": agency.get("ru", ""),
            "agency_name_en": agency.get("en", ""),
            **{k: v for k, v in row.items() if k != "agency"},
        }


BUDGET_PROGRAMMES = register(
    Publisher(
        name="budget-programmes",
        organisation="",
        title={
            "kk": "Мемлекеттік органдардың бюджеттік бағдарламалары және олардың атқарылуы",
            "ru": "Бюджетные программы государственных органов и их исполнение",
            "en": "Budget programmes of government agencies and their execution",
        },
        description={
            "kk": "Әр мемлекеттік органның әр қаржы жылына жариялаған соңғы бюджеті: "
            "бағдарламалар бойынша жоспарланған, нақтыланған және атқарылған сомалар, "
            "теңгемен. Бастапқы деректер — органдар жүктеген Fiscal Data Package пакеттері.",
            "ru": "Последний опубликованный бюджет каждого ведомства на каждый финансовый год: "
            "запланированные, уточнённые и исполненные суммы по программам, в тенге. "
            "Источник — пакеты Fiscal Data Package, загруженные ведомствами.",
            "en": "Every agency's newest published budget for each fiscal year: planned, "
            "adjusted and executed amounts per programme, in tenge. The source is the "
            "Fiscal Data Packages the agencies uploaded.",
        },
        schema=BUDGET_PROGRAMMES_SCHEMA,
        rows=budget_programme_rows,
        tags=("budget", "finance", "agencies", "fiscal-data-package"),
        frequency="daily",
        theme="ECON",
    )
)

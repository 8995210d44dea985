"""The platform's generated datasets: importing this module registers them
(qyzmet.core.open_datasets.register). Here: the service catalogue. The statistics about
applications, deadlines, appeals and ratings are in `performance_datasets`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from qyzmet.catalog.selectors import agency_list, service_search
from qyzmet.core.open_datasets import Publisher, register


def _field(name: str, type_: str, titles: dict[str, str], descriptions: dict[str, str],
           **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "title": titles["en"], "titles": titles,
            "description": descriptions["en"], "descriptions": descriptions, **extra}


SERVICE_CATALOGUE_SCHEMA = {
    "fields": [
        _field("service_code", "string",
               {"kk": "Қызмет коды", "ru": "Код услуги", "en": "Service code"},
               {"kk": "Қызметтің тұрақты коды", "ru": "Постоянный код услуги",
                "en": "The service's permanent code"},
               constraints={"required": True, "unique": True}),
        _field("title_kk", "string",
               {"kk": "Атауы (қазақша)", "ru": "Название (на казахском)", "en": "Title (Kazakh)"},
               {"kk": "Қызметтің қазақ тіліндегі атауы", "ru": "Название услуги на казахском",
                "en": "The service's title in Kazakh"}),
        _field("title_ru", "string",
               {"kk": "Атауы (орысша)", "ru": "Название (на русском)", "en": "Title (Russian)"},
               {"kk": "Қызметтің орыс тіліндегі атауы", "ru": "Название услуги на русском",
                "en": "The service's title in Russian"}),
        _field("title_en", "string",
               {"kk": "Атауы (ағылшынша)", "ru": "Название (на английском)",
                "en": "Title (English)"},
               {"kk": "Қызметтің ағылшын тіліндегі атауы", "ru": "Название услуги на английском",
                "en": "The service's title in English"}),
        _field("agency_code", "string",
               {"kk": "Мекеме коды", "ru": "Код ведомства", "en": "Agency code"},
               {"kk": "Қызметті көрсететін мекеменің коды",
                "ru": "Код ведомства, оказывающего услугу",
                "en": "The code of the agency providing the service"}),
        _field("agency_name_kk", "string",
               {"kk": "Мекеме (қазақша)", "ru": "Ведомство (на казахском)",
                "en": "Agency (Kazakh)"},
               {"kk": "Мекеменің қазақ тіліндегі атауы", "ru": "Название ведомства на казахском",
                "en": "The agency's name in Kazakh"}),
        _field("agency_name_ru", "string",
               {"kk": "Мекеме (орысша)", "ru": "Ведомство (на русском)", "en": "Agency (Russian)"},
               {"kk": "Мекеменің орыс тіліндегі атауы", "ru": "Название ведомства на русском",
                "en": "The agency's name in Russian"}),
        _field("agency_name_en", "string",
               {"kk": "Мекеме (ағылшынша)", "ru": "Ведомство (на английском)",
                "en": "Agency (English)"},
               {"kk": "Мекеменің ағылшын тіліндегі атауы",
                "ru": "Название ведомства на английском",
                "en": "The agency's name in English"}),
        _field("online", "boolean",
               {"kk": "Онлайн", "ru": "Онлайн", "en": "Online"},
               {"kk": "Порталда онлайн беріле ме (әйтпесе тек ақпарат: қайда бару керек)",
                "ru": "Подаётся ли онлайн на портале (иначе — только информация, куда "
                      "обратиться)",
                "en": "Whether it is applied for online on the portal (otherwise information "
                      "only: where to go)"}),
        _field("fee_amount", "integer",
               {"kk": "Төлем сомасы", "ru": "Размер платы", "en": "Fee"},
               {"kk": "Қызмет үшін толық төлем, тиынмен (1 ₸ = 100 тиын; тегін болса 0; онлайн "
                      "емес қызметте немесе жылдың айлық есептік көрсеткіші әлі енгізілмесе бос)",
                "ru": "Полная плата за услугу в тиынах (1 ₸ = 100 тиын; 0 — бесплатно; пусто у "
                      "услуг не онлайн или пока МРП года не внесён)",
                "en": "The full fee in tiyn (1 ₸ = 100 tiyn; 0 when free; empty for services not "
                      "applied for online, or while the year's monthly calculation index is not "
                      "yet entered)"},
               personal="none"),
        _field("fee_currency", "string",
               {"kk": "Валюта", "ru": "Валюта", "en": "Currency"},
               {"kk": "Төлем валютасы (ISO 4217)", "ru": "Валюта платы (ISO 4217)",
                "en": "The fee's currency (ISO 4217)"}),
        _field("deadline_working_days", "integer",
               {"kk": "Мерзімі (жұмыс күні)", "ru": "Срок (рабочих дней)",
                "en": "Deadline (working days)"},
               {"kk": "Заңдағы көрсету мерзімі, жұмыс күнімен (онлайн емес қызметте бос)",
                "ru": "Срок оказания по закону в рабочих днях (пусто у услуг не онлайн)",
                "en": "The legal deadline in working days (empty for services not applied for "
                      "online)"},
               personal="none"),
        _field("life_events", "string",
               {"kk": "Өмірлік жағдайлар", "ru": "Жизненные ситуации", "en": "Life events"},
               {"kk": "Өмірлік жағдайлардың кодтары, «;» арқылы",
                "ru": "Коды жизненных ситуаций через «;»",
                "en": "Codes of the life events, separated by ';'"}),
    ],
    "primaryKey": ["service_code"],
}


def service_catalogue_rows() -> Iterator[dict[str, Any]]:
    agencies = {a.code: a for a in agency_list()}
    for service in service_search(any_kind=True):
        package = service.package
        agency = agencies.get(service.agency_code)
        names = agency.name if agency else {}
        yield {
            "service_code": service.code,
            "title_kk": package.titles.get("kk"),
            "title_ru": package.titles.get("ru"),
            "title_en": package.titles.get("en"),
            "agency_code": service.agency_code,
            "agency_name_kk": names.get("kk", ""),
            "agency_name_ru": names.get("ru", ""),
            "agency_name_en": names.get("en", ""),
            "online": package.is_online,
            "fee_amount": package.fee.amount_if_known if package.is_online else None,
            "fee_currency": package.fee.currency if package.is_online else None,
            "deadline_working_days": (
                package.workflow.deadline_working_days if package.is_online else None
            ),
            "life_events": ";".join(package.life_events),
        }


SERVICE_CATALOGUE = register(
    Publisher(
        name="service-catalogue",
        organisation="",
        title={
            "kk": "Мемлекеттік қызметтер тізілімі",
            "ru": "Реестр государственных услуг",
            "en": "Catalogue of public services",
        },
        description={
            "kk": "Порталдағы әр қызмет: атауы, көрсететін мекеме, онлайн не тек ақпарат, "
                  "төлемі, заңдағы мерзімі және өмірлік жағдайлары.",
            "ru": "Каждая услуга портала: название, оказывающее ведомство, онлайн или только "
                  "информация, плата, срок по закону и жизненные ситуации.",
            "en": "Every service of the portal: its title, the agency providing it, online or "
                  "information only, its fee, its legal deadline and its life events.",
        },
        schema=SERVICE_CATALOGUE_SCHEMA,
        rows=service_catalogue_rows,
        tags=("services", "catalogue", "agencies"),
        frequency="daily",
        theme="GOVE",
    )
)

"""Issuing test documents through the real service, so every test document has a real PDF."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from qyzmet.countries.kz.identifiers import iin_make
from qyzmet.documents.services import document_issue

_serial = itertools.count(1)


def iin_new() -> str:
    """A valid, unique IIN (some serials have no check digit: skip those)."""
    while True:
        iin = iin_make(dt.date(1990, 5, 17), "M", next(_serial))
        if iin:
            return iin


def document_issued(**overrides: Any):
    """Issue a Kazakh-language address certificate; override any argument of document_issue."""
    number = next(_serial)
    kwargs: dict[str, Any] = {
        "actor": None,
        "source_ref": f"application:{number}",
        "owner_iin": iin_new(),
        "issuer_code": "mvd",
        "issuer_name": {
            "kk": "Қазақстан Республикасы Ішкі істер министрлігі",
            "ru": "Министерство внутренних дел Республики Казахстан",
            "en": "Ministry of Internal Affairs of the Republic of Kazakhstan",
        },
        "title": {
            "kk": "Тұрғылықты мекенжай туралы анықтама",
            "ru": "Справка о месте жительства",
            "en": "Certificate of address",
        },
        "language": "kk",
        "body_text": (
            "Бұл анықтама азаматтың шаһардағы тұрғылықты мекенжайын растайды.\n\n"
            "Анықтама өтініш бойынша берілді."
        ),
        "printed_fields": {
            "Тегі, аты, әкесінің аты": "Әлиев Ғалым Қайратұлы",
            "Мекенжайы": "Алматы қ., Әуезов ауданы, Жұмабаев көшесі, 12-үй, 4-пәтер",
        },
        "valid_days": 30,
    }
    kwargs.update(overrides)
    return document_issue(**kwargs)

"""The JSON Schema format checker every form uses: the standard formats plus the country pack's
identifiers (`format: iin`, `format: bin`), so a wrong check digit is caught with its reason
wherever a service asks for one. Also how dates are written for a reader of each language."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string
from jsonschema import FormatChecker


@lru_cache(maxsize=1)
def format_checker() -> FormatChecker:
    checker = FormatChecker()
    for name, dotted in settings.QYZMET_ID_FORMATS.items():
        validate = import_string(dotted)

        def check(value: object, _validate=validate) -> bool:
            if not isinstance(value, str):
                return True  # the `type` keyword reports non-strings
            _validate(value)
            return True

        # The validator raises with a reason; jsonschema puts it in the error message.
        checker.checks(name, raises=(ValueError,))(check)
    return checker


# Dates as a reader of each language writes them on an official paper. Kazakh puts the year
# first ("1994 жылғы 15 наурыз"), Russian uses the genitive month ("15 марта 1994 г."). Babel is
# not a dependency, and three languages do not justify one: the month names are here.
MONTHS: dict[str, tuple[str, ...]] = {
    "kk": ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым",
           "шілде", "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан"),
    "ru": ("января", "февраля", "марта", "апреля", "мая", "июня",
           "июля", "августа", "сентября", "октября", "ноября", "декабря"),
    "en": ("January", "February", "March", "April", "May", "June",
           "July", "August", "September", "October", "November", "December"),
}  # fmt: skip
ISO_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")


def date_long(value: dt.date, language: str) -> str:
    """`value` written out for a document in `language` (kk, ru, en; others as en)."""
    month = MONTHS.get(language, MONTHS["en"])[value.month - 1]
    if language == "kk":
        return f"{value.year} жылғы {value.day} {month}"
    if language == "ru":
        return f"{value.day} {month} {value.year} г."
    return f"{value.day} {month} {value.year}"


def iso_dates_localize(text: str, language: str) -> str:
    """Every ISO date (1994-03-15) in `text` written out for `language`. Registry data reaches a
    document's text as ISO strings through the service designer's placeholders; the reader of a
    Kazakh paper should not have to decode them. Strings that only look like dates stay."""

    def replace(match: re.Match[str]) -> str:
        try:
            value = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return match.group(0)
        return date_long(value, language)

    return ISO_DATE.sub(replace, text)

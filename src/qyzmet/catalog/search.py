"""The catalog's small, portable search: a normalised text column and a normalised query.

Deliberately simple — a few dozen services per country pack — and identical on SQLite and
PostgreSQL. Normalisation folds case (Kazakh and Russian included), ё to е, and trims long words
by two letters so that 'справку' finds 'справка' and 'анықтамасы' finds 'анықтама'."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .package import LANGS

_WORD = re.compile(r"\w+", re.UNICODE)
_STEM_MIN = 6


def search_normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold().replace("ё", "е")))


def search_terms(query: str) -> list[str]:
    """The words of a query, each shortened to a crude stem."""
    terms = []
    for word in search_normalise(query).split():
        terms.append(word[:-2] if len(word) >= _STEM_MIN else word)
    return terms


def search_document(*, code: str, texts: Iterable[dict[str, str]]) -> str:
    parts = [code]
    for text in texts:
        parts.extend(text.get(lang, "") for lang in LANGS)
    return search_normalise(" ".join(parts))

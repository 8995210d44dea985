"""The pre-publication check: what in a question's title or text a moderator must look at
before it is public — numbers that look like an IIN, phone numbers, offensive words, links."""

from __future__ import annotations

import re

from django.conf import settings

IIN_LIKE = re.compile(r"(?<!\d)(?:\d[ \-]?){11}\d(?!\d)")
PHONE = re.compile(
    r"(?<![\d+])(?:\+?7|8)[\s\-()]*7\d{2}[\s\-()]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}(?!\d)"
    r"|(?<!\d)\d{3}[\s\-]\d{2}[\s\-]\d{2}(?!\d)"
)
LINK = re.compile(
    r"https?://|www\.|\b[\w\-]+\.(?:kz|ru|com|org|net|info|io|me|su|рф|қаз)\b", re.IGNORECASE
)
# Roots of common swear words in Russian, Kazakh and English, matched at the start of a word.
# A start, not a dictionary: a deployment adds its own with QYZMET_DIALOGUE_PROFANITY.
PROFANITY_ROOTS = (
    "хуй", "хуе", "хуё", "пизд", "ебат", "ебан", "ебал", "ёбан", "ебу", "бляд", "блят",
    "сука", "суки", "мудак", "мудил", "пидор", "пидар", "гандон", "залуп", "шлюх",
    "сігей", "сігем", "қотақ", "көтін", "шешеңді", "амың",
    "fuck", "shit", "bitch", "cunt", "asshole", "dick",
)  # fmt: skip


def _roots() -> tuple[str, ...]:
    extra = tuple(getattr(settings, "QYZMET_DIALOGUE_PROFANITY", ()) or ())
    return PROFANITY_ROOTS + tuple(r.casefold() for r in extra)


def _profane(text: str) -> bool:
    words = re.findall(r"\w+", text.casefold())
    roots = _roots()
    return any(word.startswith(roots) for word in words)


def check(*parts: str) -> list[str]:
    """The findings for the given texts, in a fixed order: iin, phone, profanity, link."""
    text = "\n".join(parts)
    flags = []
    if IIN_LIKE.search(text):
        flags.append("iin")
    if PHONE.search(IIN_LIKE.sub(" ", text)):
        flags.append("phone")
    if _profane(text):
        flags.append("profanity")
    if LINK.search(text):
        flags.append("link")
    return flags


_FOLD = str.maketrans({
    "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и",
    "ё": "е", "й": "и",
})  # fmt: skip


def search_fold(*parts: str) -> str:
    """Text folded so that a search finds it however the reader types: case, the Kazakh
    letters written with their Russian look-alikes (Қазақстан = казакстан), ё = е."""
    text = " ".join(p for p in parts if p).casefold().translate(_FOLD)
    return re.sub(r"\s+", " ", text).strip()

"""Checks on what a citizen sends, each failing with a problem that names the field: text length
and language, the place, the category, the photos."""

from __future__ import annotations

import unicodedata

from qyzmet.core.problem import FieldError, Problem

from .config import appeals_pack

TEXT_MAX = 5000
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_COUNT = 5
PHOTO_SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
# Kazakh's 2021 Latin alphabet adds these to ASCII.
KAZAKH_LATIN = set("äöüğışñūÄÖÜĞİŞÑŪ")
MIN_SHARE_EXPECTED = 0.9


def _invalid(pointer: str, code: str, title: str, detail: str) -> Problem:
    return Problem(422, code, title, detail, [FieldError(pointer, detail)])


def _expected_letter(ch: str) -> bool:
    if "a" <= ch.lower() <= "z" or ch in KAZAKH_LATIN:
        return True
    return 0x0400 <= ord(ch) <= 0x04FF  # Cyrillic, including Kazakh ә ғ қ ң ө ұ ү һ і


def text_validate(text: str | None) -> str:
    """1..5,000 characters, written in Kazakh, Russian or English (judged by the letters)."""
    text = (text or "").strip()
    if not text:
        raise _invalid("/text", "text_empty", "Empty appeal", "Write what the problem is.")
    if len(text) > TEXT_MAX:
        raise _invalid("/text", "text_too_long", "Appeal too long",
                       f"The text has {len(text)} characters; the limit is {TEXT_MAX}.")
    letters = [ch for ch in text if unicodedata.category(ch).startswith("L")]
    if not letters:
        raise _invalid("/text", "text_language", "Unexpected language",
                       "Write the appeal in words, in Kazakh, Russian or English.")
    share = sum(_expected_letter(ch) for ch in letters) / len(letters)
    if share < MIN_SHARE_EXPECTED:
        raise _invalid("/text", "text_language", "Unexpected language",
                       "The appeal must be written in Kazakh, Russian or English.")
    return text


def place_validate(
    *, lat: float | None, lon: float | None, address: str | None
) -> tuple[float | None, float | None, str]:
    """Coordinates (both, inside the jurisdiction) or an address, or both."""
    address = (address or "").strip()
    if len(address) > 300:
        raise _invalid("/address", "address_too_long", "Address too long",
                       "The address may have at most 300 characters.")
    if (lat is None) != (lon is None):
        pointer = "/lon" if lon is None else "/lat"
        raise _invalid(pointer, "place_incomplete", "Incomplete coordinates",
                       "Give both latitude and longitude, or neither.")
    if lat is None:
        if not address:
            raise _invalid("/address", "place_missing", "Where is the problem?",
                           "Give the place: coordinates or an address.")
        return None, None, address
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError) as exc:
        raise _invalid("/lat", "place_invalid", "Invalid coordinates",
                       "Latitude and longitude must be numbers.") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise _invalid("/lat", "place_invalid", "Invalid coordinates",
                       "Latitude must be within ±90 and longitude within ±180.")
    if not appeals_pack().in_jurisdiction(lat, lon):
        raise _invalid("/lat", "outside_jurisdiction", "Outside the jurisdiction",
                       f"The point {lat:.5f}, {lon:.5f} is outside the area this service covers.")
    return lat, lon, address


def category_validate(category: str | None) -> str | None:
    if category in (None, ""):
        return None
    if category not in appeals_pack().categories:
        raise _invalid("/category", "unknown_category", "Unknown category",
                       f"There is no category '{category}'.")
    return category


def photos_validate(photos: list[bytes]) -> list[tuple[bytes, str]]:
    """At most five JPEG or PNG images of at most 5 MB each, judged by their first bytes."""
    if len(photos) > PHOTO_MAX_COUNT:
        raise _invalid("/photos", "too_many_photos", "Too many photos",
                       f"Attach at most {PHOTO_MAX_COUNT} photos.")
    checked = []
    for i, content in enumerate(photos):
        pointer = f"/photos/{i}"
        if not content:
            raise _invalid(pointer, "photo_empty", "Empty photo", "The photo file is empty.")
        if len(content) > PHOTO_MAX_BYTES:
            raise Problem(413, "photo_too_large", "Photo too large",
                          "A photo may be at most 5 MB.",
                          [FieldError(pointer, "A photo may be at most 5 MB.")])
        kind = next((t for magic, t in PHOTO_SIGNATURES.items() if content.startswith(magic)), None)
        if kind is None:
            raise Problem(415, "photo_not_image", "Not an image",
                          "Photos must be JPEG or PNG images.",
                          [FieldError(pointer, "Photos must be JPEG or PNG images.")])
        checked.append((content, kind))
    return checked


KAZAKH_ONLY = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


def language_guess(text: str) -> str:
    """kk when Kazakh-only letters appear, ru for other Cyrillic, else en (for appeals that
    arrive without a person's language, e.g. through Open311)."""
    if any(ch in KAZAKH_ONLY for ch in text):
        return "kk"
    if any(0x0400 <= ord(ch) <= 0x04FF for ch in text):
        return "ru"
    return "en"

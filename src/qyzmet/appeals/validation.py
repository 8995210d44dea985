"""Checks on what a citizen sends, each failing with a problem that names the field: text length
and language, the place, the category, the photos, an Open311 media_url.

Titles and details are translated when the check fails (gettext at raise time), so a problem is
in the language of the request: the portal's active language, `Accept-Language` for the API,
`lang` or `Accept-Language` for Open311. The codes and JSON pointers never change."""

from __future__ import annotations

import io
import unicodedata
import warnings
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from qyzmet.core.problem import FieldError, Problem

from .config import appeals_pack

TEXT_MAX = 5000
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_COUNT = 5
PHOTO_MAX_PIXELS = 50_000_000  # a 5 MB file may not unpack into gigabytes (decompression bombs)
PHOTO_SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
MEDIA_URL_MAX = 500
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
        raise _invalid("/text", "text_empty", _("Empty appeal"),
                       _("Write what the problem is: the text of the appeal is empty."))
    if len(text) > TEXT_MAX:
        raise _invalid("/text", "text_too_long", _("Appeal too long"),
                       _("The text of the appeal has %(length)d characters; the limit is "
                         "%(limit)d.") % {"length": len(text), "limit": TEXT_MAX})
    letters = [ch for ch in text if unicodedata.category(ch).startswith("L")]
    if not letters:
        raise _invalid("/text", "text_language", _("Unexpected language"),
                       _("Write the text of the appeal in words, in Kazakh, Russian or "
                         "English."))
    share = sum(_expected_letter(ch) for ch in letters) / len(letters)
    if share < MIN_SHARE_EXPECTED:
        raise _invalid("/text", "text_language", _("Unexpected language"),
                       _("The text of the appeal must be written in Kazakh, Russian or "
                         "English."))
    return text


def place_validate(
    *, lat: float | None, lon: float | None, address: str | None
) -> tuple[float | None, float | None, str]:
    """Coordinates (both, inside the jurisdiction) or an address, or both."""
    address = (address or "").strip()
    if len(address) > 300:
        raise _invalid("/address", "address_too_long", _("Address too long"),
                       _("The address may have at most 300 characters."))
    if (lat is None) != (lon is None):
        pointer = "/lon" if lon is None else "/lat"
        raise _invalid(pointer, "place_incomplete", _("Incomplete coordinates"),
                       _("Give both latitude and longitude, or neither."))
    if lat is None or lon is None:  # both or neither, checked above
        if not address:
            raise _invalid("/address", "place_missing", _("Where is the problem?"),
                           _("Give the place: the address, or latitude and longitude."))
        return None, None, address
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError) as exc:
        raise _invalid("/lat", "place_invalid", _("Invalid coordinates"),
                       _("Latitude and longitude must be numbers.")) from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise _invalid("/lat", "place_invalid", _("Invalid coordinates"),
                       _("Latitude must be within ±90 and longitude within ±180."))
    if not appeals_pack().in_jurisdiction(lat, lon):
        raise outside_jurisdiction("/lat", _("The point %(lat).5f, %(lon).5f is outside the "
                                             "area this service covers.")
                                   % {"lat": lat, "lon": lon})
    return lat, lon, address


def outside_jurisdiction(pointer: str, detail: str) -> Problem:
    return _invalid(pointer, "outside_jurisdiction", _("Outside the jurisdiction"), detail)


def category_validate(category: str | None) -> str | None:
    if category in (None, ""):
        return None
    if category not in appeals_pack().categories:
        raise _invalid("/category", "unknown_category", _("Unknown category"),
                       _("There is no category “%(category)s”.") % {"category": category})
    return category


def _pillow_reads(content: bytes, kind: str) -> bool:
    """Pillow opens the file as the format its first bytes claim, within the pixel limit, and
    finds it whole (PNG: every chunk's checksum; JPEG: decoded at 1/8 scale, which is cheap)."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as img:
                if img.format != PILLOW_FORMATS[kind]:
                    return False
                width, height = img.size
                if width < 1 or height < 1 or width * height > PHOTO_MAX_PIXELS:
                    return False
                img.verify()
            if kind == "image/jpeg":
                with Image.open(io.BytesIO(content)) as img:
                    img.draft("RGB", (max(1, img.size[0] // 8), max(1, img.size[1] // 8)))
                    img.load()
    except Exception:  # any decoder error means: not an image we accept
        return False
    return True


def photo_check(content: bytes, pointer: str) -> str:
    """One photo: not empty, at most 5 MB, a JPEG or PNG by its first bytes that Pillow reads
    whole. Returns its content type. The same rules for uploads and for Open311 media_url."""
    if not content:
        raise _invalid(pointer, "photo_empty", _("Empty photo"), _("The photo file is empty."))
    if len(content) > PHOTO_MAX_BYTES:
        detail = _("A photo may be at most 5 MB.")
        raise Problem(413, "photo_too_large", _("Photo too large"), detail,
                      [FieldError(pointer, detail)])
    kind = next((t for magic, t in PHOTO_SIGNATURES.items() if content.startswith(magic)), None)
    if kind is None or not _pillow_reads(content, kind):
        detail = _("Photos must be JPEG or PNG images.")
        raise Problem(415, "photo_not_image", _("Not an image"), detail,
                      [FieldError(pointer, detail)])
    return kind


def photos_validate(photos: list[bytes]) -> list[tuple[bytes, str]]:
    """At most five JPEG or PNG images of at most 5 MB each."""
    if len(photos) > PHOTO_MAX_COUNT:
        raise _invalid("/photos", "too_many_photos", _("Too many photos"),
                       _("Attach at most %(count)d photos.") % {"count": PHOTO_MAX_COUNT})
    return [(content, photo_check(content, f"/photos/{i}")) for i, content in enumerate(photos)]


def media_url_validate(url: str | None) -> str:
    """An Open311 media_url: empty, or an http(s) address with a host, of at most 500
    characters. Whether it may be fetched (public address, size, image) is decided later."""
    url = (url or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        parts, port_ok = None, False
    if (len(url) > MEDIA_URL_MAX or parts is None or not port_ok
            or parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or parts.username is not None or any(ch.isspace() for ch in url)):
        raise _invalid("/media_url", "media_url_invalid", _("Invalid media address"),
                       _("The media address must be an http or https URL of at most "
                         "%(limit)d characters, without a user name or password.")
                       % {"limit": MEDIA_URL_MAX})
    return url


KAZAKH_ONLY = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


def language_guess(text: str) -> str:
    """kk when Kazakh-only letters appear, ru for other Cyrillic, else en (for appeals that
    arrive without a person's language, e.g. through Open311)."""
    if any(ch in KAZAKH_ONLY for ch in text):
        return "kk"
    if any(0x0400 <= ord(ch) <= 0x04FF for ch in text):
        return "ru"
    return "en"

"""Every Kazakh and Russian catalogue is complete: no entry marked fuzzy (gettext ignores it, so
the person reads English) and no empty translation (the person reads the English msgid).

A plain test, not a browser one, so a gap fails `make test` in a second and names the file, the
line and the msgid a translator has to write."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "qyzmet"
CATALOGUES = sorted(
    path for lang in ("kk", "ru") for path in PACKAGE.rglob(f"locale/{lang}/LC_MESSAGES/*.po")
)


def _gaps(path: Path) -> list[str]:
    """The entries of one catalogue a person would see untranslated, as `line: problem msgid`."""
    gaps = []
    for entry in polib.pofile(str(path)):
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            gaps.append(f"{entry.linenum}: fuzzy {entry.msgid!r}")
        elif entry.msgid_plural:
            if not entry.msgstr_plural or not all(entry.msgstr_plural.values()):
                gaps.append(f"{entry.linenum}: empty plural {entry.msgid!r}")
        elif not entry.msgstr.strip():
            gaps.append(f"{entry.linenum}: empty {entry.msgid!r}")
    return gaps


def test_there_are_kk_and_ru_catalogues():
    langs = {path.parts[-3] for path in CATALOGUES}
    assert langs == {"kk", "ru"}, langs
    assert len(CATALOGUES) >= 10


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_catalogue_has_no_fuzzy_or_empty_entry(path: Path):
    gaps = _gaps(path)
    assert not gaps, f"{path.relative_to(PACKAGE)}:\n" + "\n".join(gaps)

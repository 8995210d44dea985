"""Every app's gettext catalogue is merged into one at run time, and for a msgid (and msgctxt)
that several apps translate the app earlier in INSTALLED_APPS wins: a new app's translation of a
common word silently replaces the one the older pages were written with. So the same
(msgctxt, msgid) must read the same in every catalogue; a different meaning gets a message
context. And Kazakh tells an application for a public service («өтінім») from a citizen's appeal
(«өтініш»): a Kazakh text whose English speaks of applications or applicants, and not of appeals,
must not say «өтініш»."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import polib
import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "qyzmet"
LANGS = ("kk", "ru")

# Collisions between older catalogues, there before this check: each page keeps the wording of
# the app earlier in INSTALLED_APPS. (lang, msgctxt, msgid) -> why it is still allowed.
KNOWN_COLLISIONS: dict[tuple[str, str | None, str], str] = {
    ("kk", None, "Registered"): "older: appeals (status) vs portal (registered state)",
    ("ru", None, "Registered"): "older: appeals (status) vs portal (registered state)",
    ("kk", None, "Closed"): "older: appeals (status) vs backoffice (filter)",
    ("ru", None, "Closed"): "older: appeals (status) vs backoffice (filter)",
    ("kk", None, "My appeals"): "older: appeals vs core navigation",
    ("kk", None, "There is a problem"): "older: documents' wording of the error summary",
    ("ru", None, "There is a problem"): "older: documents' and portal's wording of the error "
    "summary",
    ("kk", None, "Inbox"): "older: appeals vs backoffice navigation",
    ("kk", None, "Decided"): "older: appeals (status) vs portal (date column)",
    ("ru", None, "Decided"): "older: appeals (status) vs portal (date column)",
    ("kk", None, "Deadline"): "older: backoffice vs catalog (service's legal term)",
    ("ru", None, "Deadline"): "older: backoffice vs catalog (service's legal term)",
    ("kk", None, "Result"): "older: catalog vs portal",
    ("kk", None, "History"): "older: registries/criminal_records vs appeals, backoffice, portal",
}

# Kazakh entries that say «өтініш» although their English mentions applications: none so far.
# (lang is kk) (msgctxt, msgid) -> why «өтініш» is right there.
APPEAL_WORD_ALLOWED: dict[tuple[str | None, str], str] = {}

APPLICATION = re.compile(r"\bapplica(?:tion|nt)s?\b(?![/\w])", re.IGNORECASE)  # not MIME types
APPEAL = re.compile(r"\bappeal", re.IGNORECASE)


def _catalogues(lang: str) -> list[tuple[str, polib.POFile]]:
    found = sorted(SRC.glob(f"**/locale/{lang}/LC_MESSAGES/django.po"))
    return [(str(path.relative_to(SRC).parents[3]).replace(".", "LOCALE_PATHS"),
             polib.pofile(str(path))) for path in found]  # fmt: skip


def _texts(entry: polib.POEntry) -> list[str]:
    return [entry.msgstr, *entry.msgstr_plural.values()]


@pytest.mark.parametrize("lang", LANGS)
def test_catalogues_agree_on_every_shared_msgid(lang):
    catalogues = _catalogues(lang)
    assert len(catalogues) >= 10
    seen: dict[tuple[str | None, str], dict[str, str]] = defaultdict(dict)
    for app, po in catalogues:
        for entry in po:
            if entry.obsolete or "fuzzy" in entry.flags or not any(_texts(entry)):
                continue
            seen[(entry.msgctxt, entry.msgid)][app] = " | ".join(_texts(entry))
    clashes = []
    for (ctxt, msgid), by_app in sorted(seen.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        if len(set(by_app.values())) > 1 and (lang, ctxt, msgid) not in KNOWN_COLLISIONS:
            found = "; ".join(f"{app}: {text!r}" for app, text in by_app.items())
            clashes.append(f"{lang} msgctxt={ctxt!r} msgid={msgid!r} -> {found}")
    assert clashes == [], "\n".join(clashes)


def test_known_collisions_still_exist():
    """An allowed collision that was resolved comes off the list."""
    stale = []
    for lang in LANGS:
        seen: dict[tuple[str | None, str], set[str]] = defaultdict(set)
        for _app, po in _catalogues(lang):
            for entry in po:
                if not entry.obsolete and entry.msgstr:
                    seen[(entry.msgctxt, entry.msgid)].add(entry.msgstr)
        stale += [key for key in KNOWN_COLLISIONS
                  if key[0] == lang and len(seen[(key[1], key[2])]) < 2]  # fmt: skip
    assert stale == []


def test_kazakh_applications_are_otinim_not_otinish():
    wrong = []
    for app, po in _catalogues("kk"):
        for entry in po:
            english = " ".join(filter(None, [entry.msgid, entry.msgid_plural]))
            if entry.obsolete or not APPLICATION.search(english) or APPEAL.search(english):
                continue
            if (entry.msgctxt, entry.msgid) in APPEAL_WORD_ALLOWED:
                continue
            if any("өтініш" in text.lower() for text in _texts(entry)):
                wrong.append(f"{app}: {entry.msgid!r} -> {entry.msgstr!r}")
    assert wrong == [], "\n".join(wrong)

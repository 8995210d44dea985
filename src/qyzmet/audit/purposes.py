"""Purpose codes of personal-data reads.

A registry read carries its purpose as free text: it crosses the exchange gateway in a header,
GovStack's `myPersonalDataUsage` returns it as written, and consent agreements match the service
it names. The words a person reads on "who looked at my data" must not be parsed out of that text
at display time, so the purpose is classified ONCE, where the read is logged
(`audit.services.personal_data_read`), and the row keeps a code and its references in
`data["why"]` = {"code": ..., "service": ..., "number": ...}. Labels map codes to words
(`ui.labels.purpose_label`).

The audit trail is append-only (database triggers) and anchored in the transparency log's hash
chain, so rows written before codes existed cannot be migrated: `purpose_of_row` classifies their
stored text with the same table on read — the fallback for legacy rows. A purpose written by
another system that matches no pattern gets the code `other` and is shown as that system wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OTHER = "other"

# (code, the text the platform writes). The platform's writers (applications.services,
# applications.selectors, backoffice.views, api.inbox, portal.views_apply) write exactly these.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("application.check",
     re.compile(r"^application (?P<number>\S+) for service (?P<service>\S+)$")),
    ("application.prefill", re.compile(r"^showing prefilled data for service (?P<service>\S+)$")),
    ("application.sign", re.compile(r"^signing an application for service (?P<service>\S+)$")),
    ("application.submit",
     re.compile(r"^submitting an application for service (?P<service>\S+)$")),
    ("application.view", re.compile(r"^Application (?P<service>\S+)$")),
    ("application.evidence", re.compile(r"^fetching registry data for application \S+$")),
    ("application.decide", re.compile(r"^deciding on application \S+$")),
    ("application.signature", re.compile(r"^checking a signature of application \S+$")),
    ("application.attachment", re.compile(r"^opening an attachment of application \S+$")),
    ("application.history", re.compile(r"^reading case history$")),
    ("application.decision", re.compile(r"^Decision \S+ (?P<number>\S+)$")),
    ("application.processing", re.compile(r"^processing application (?P<number>\S+)$")),
)  # fmt: skip

CODES = frozenset(code for code, _pattern in _PATTERNS) | {OTHER}


@dataclass(frozen=True)
class Purpose:
    """Why data was read: a code, the service and application number it names (if any), and
    the text as written (shown as is for `other`)."""

    code: str
    service: str = ""
    number: str = ""
    text: str = ""

    def as_data(self) -> dict[str, str]:
        """What the audit row keeps (`data["why"]`); empty references are left out."""
        out = {"code": self.code}
        if self.service:
            out["service"] = self.service
        if self.number:
            out["number"] = self.number
        return out


def purpose_classify(text: str) -> Purpose:
    """The code of a purpose text, with the service code and application number it names."""
    text = (text or "").strip()
    for code, pattern in _PATTERNS:
        match = pattern.match(text)
        if match:
            found = match.groupdict()
            return Purpose(code, found.get("service") or "", found.get("number") or "", text)
    return Purpose(OTHER, text=text)


def purpose_of_row(*, purpose: str, data: Mapping[str, Any] | None) -> Purpose:
    """The purpose of an audit read row: its stored code, else (a row written before codes
    were stored) the code its text classifies to."""
    why = (data or {}).get("why") if isinstance(data, Mapping) else None
    if isinstance(why, Mapping) and why.get("code") in CODES:
        return Purpose(
            str(why["code"]), str(why.get("service") or ""), str(why.get("number") or ""),
            (purpose or "").strip(),
        )  # fmt: skip
    return purpose_classify(purpose)

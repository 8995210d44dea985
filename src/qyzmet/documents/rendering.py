"""Rendering a result document to a tagged, accessible PDF (Typst, ADR 0056) with a QR code to
its public verification page.

Why Typst: the `typst` wheel is self-contained (no system library), and it writes a structure
tree (headings, paragraphs, tables with header cells, the QR code as a Figure with alternative
text), /Lang, a displayed document title and PDF/UA-1 identification, checking the PDF/UA rules
it knows at compile time. ReportLab's open-source version cannot tag, so a screen reader met an
untagged page (ADR 0005, superseded for rendering).

Kazakh needs letters (ә ғ қ ң ө ұ ү һ і) that the 14 standard PDF fonts lack, so the text is set
in DejaVu Sans, which matplotlib already ships, embedded as a subset; system fonts are ignored so
that the PDF is the same on every machine. Labels are translated into the document's own
language, which may differ from the language of the officer's screen, and dates are written as
a reader of that language writes them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

import matplotlib
import qrcode
import qrcode.constants
import typst
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qyzmet.core.formats import date_long, iso_dates_localize

if TYPE_CHECKING:
    from typst import PDFStandard

FONT = "DejaVu Sans"
TEMPLATE = Path(__file__).with_name("result.typ")
# The QR parameters are part of the contract with the tests that read the code back.
QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QR_BOX_SIZE = 8
QR_BORDER = 4
# PDF/UA-1: Typst refuses to write a file that breaks the rules it checks (a missing title or
# alternative text, a heading level skipped), so a template change cannot quietly lose them.
PDF_STANDARDS: list[PDFStandard] = ["ua-1"]

_local = threading.local()
logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _fonts() -> typst.Fonts:
    """matplotlib's fonts only (DejaVu Sans is the one the template asks for): no system or
    Typst-bundled fonts, so no machine-dependent substitution; loaded once per process and
    shared by the compilers. Typst takes font folders, not single files."""
    ttf_dir = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(ttf_dir)]
    )


def _compiler() -> typst.Compiler:
    """One compiler per thread: a compiler keeps its inputs between calls and caches the
    parsed template, so it is reused but never shared by two threads at once."""
    compiler = getattr(_local, "compiler", None)
    if compiler is None:
        compiler = typst.Compiler(
            input=str(TEMPLATE), root=str(TEMPLATE.parent), font_paths=_fonts()
        )
        _local.compiler = compiler
    return compiler


def verify_url(*, public_id: str) -> str:
    """The address printed in the QR code and under it."""
    return f"{settings.QYZMET_PUBLIC_BASE_URL.rstrip('/')}/verify/{public_id}/"


def qr_png(*, data: str) -> bytes:
    """The QR code of `data` as a PNG: black modules on white, QR_BOX_SIZE pixels per module."""
    code = qrcode.QRCode(
        error_correction=QR_ERROR_CORRECTION, box_size=QR_BOX_SIZE, border=QR_BORDER
    )
    code.add_data(data)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def _date(value: dt.date | dt.datetime, language: str) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return date_long(value, language)


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks, each one paragraph; single line breaks become spaces in
    Typst's flow, which is what a reflowing reader expects."""
    return [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]


def document_pdf_data(
    *,
    number: str,
    public_id: str,
    language: str,
    title: str,
    issuer_name: str,
    body_text: str,
    printed_fields: dict[str, str],
    issued_at: dt.datetime,
    valid_until: dt.date | None,
) -> dict:
    """Everything the template prints, already in `language`: the template only lays it out."""
    url = verify_url(public_id=public_id)
    with translation.override(language):
        return {
            "lang": language,
            "number": number,
            "doc_title": f"{title} — {number}",
            "issuer": issuer_name,
            "title": title,
            "body": _paragraphs(iso_dates_localize(body_text, language)),
            "columns": [_("Detail"), _("Value")],
            "fields_heading": _("What this document certifies"),
            "fields": [
                [str(label), iso_dates_localize(str(value), language)]
                for label, value in printed_fields.items()
            ],
            "facts_heading": _("About this document"),
            "facts": [
                [_("Document number"), number],
                [_("Issued"), _date(issued_at, language)],
                [
                    _("Valid until"),
                    _date(valid_until, language) if valid_until else _("No time limit"),
                ],
                [_("Issuer"), issuer_name],
            ],
            "verify_heading": _("Check this document"),
            "qr_alt": _("QR code of the verification address: %(url)s") % {"url": url},
            "qr": list(qr_png(data=url)),
            "url": url,
            "scan": _("Scan the QR code or open the address to check this document."),
        }


def document_pdf_render(
    *,
    number: str,
    public_id: str,
    language: str,
    title: str,
    issuer_name: str,
    body_text: str,
    printed_fields: dict[str, str],
    issued_at: dt.datetime,
    valid_until: dt.date | None,
) -> bytes:
    """Render one document to PDF bytes, all labels in `language` (kk, ru or en). The PDF's
    creation date is the issue time, so the same document renders to the same bytes."""
    data = document_pdf_data(
        number=number,
        public_id=public_id,
        language=language,
        title=title,
        issuer_name=issuer_name,
        body_text=body_text,
        printed_fields=printed_fields,
        issued_at=issued_at,
        valid_until=valid_until,
    )
    pdf, warnings = _compiler().compile_with_warnings(
        format="pdf",
        sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
        pdf_standards=PDF_STANDARDS,
        timestamp=issued_at.astimezone(dt.UTC).replace(microsecond=0),
    )
    for warning in warnings:
        # E.g. a glyph missing from DejaVu Sans: the document is still issued, but say so.
        logger.warning("result PDF %s: %s", number, warning.message)
    # One PDF document: Typst gives its bytes (a list of pages only for image formats).
    return cast(bytes, pdf)

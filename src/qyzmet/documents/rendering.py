"""Rendering a result document to PDF (reportlab platypus) with a QR code to its public
verification page.

Kazakh needs letters (ә ғ қ ң ө ұ ү һ і) that the 14 standard PDF fonts lack, so the text is set
in DejaVu Sans, which matplotlib already ships: no extra font package to install or keep.
Labels are translated into the document's own language, which may differ from the language of
the officer's screen, and dates are written as a reader of that language writes them.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
import qrcode
import qrcode.constants
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from qyzmet.core.formats import date_long, iso_dates_localize

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
# The QR parameters are part of the contract with the tests that read the code back.
QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QR_BOX_SIZE = 8
QR_BORDER = 4


def _fonts_register() -> None:
    """Register DejaVu Sans once per process (reportlab keeps a global font registry)."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    ttf_dir = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(ttf_dir / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(ttf_dir / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)


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


def _text(value: str) -> str:
    """Paragraph parses a mini-markup: escape so '<' or '&' in data print as themselves."""
    return escape(value).replace("\n", "<br/>")


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
    """Render one document to PDF bytes, all labels in `language` (kk, ru or en)."""
    _fonts_register()
    url = verify_url(public_id=public_id)
    base = ParagraphStyle("base", fontName=FONT, fontSize=10.5, leading=14)
    small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=11)
    issuer_style = ParagraphStyle("issuer", parent=base, fontName=FONT_BOLD, fontSize=11)
    title_style = ParagraphStyle(
        "title",
        parent=base,
        fontName=FONT_BOLD,
        fontSize=17,
        leading=22,
        spaceBefore=6,
        spaceAfter=10,
    )
    label_style = ParagraphStyle("label", parent=base, fontName=FONT_BOLD)

    with translation.override(language):
        story: list = [
            Paragraph(_text(issuer_name), issuer_style),
            Paragraph(_text(title), title_style),
        ]
        for block in iso_dates_localize(body_text, language).split("\n\n"):
            if block.strip():
                story += [Paragraph(_text(block.strip()), base), Spacer(1, 4)]

        if printed_fields:
            rows = [
                [
                    Paragraph(_text(str(label)), label_style),
                    Paragraph(_text(iso_dates_localize(str(value), language)), base),
                ]
                for label, value in printed_fields.items()
            ]
            table = Table(rows, colWidths=[60 * mm, 110 * mm])
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f3f2f1")),
                    ]
                )
            )
            story += [Spacer(1, 8), table]

        facts = [
            (_("Document number"), number),
            (_("Issued"), _date(issued_at, language)),
            (
                _("Valid until"),
                _date(valid_until, language) if valid_until else _("No time limit"),
            ),
            (_("Issuer"), issuer_name),
        ]
        facts_table = Table(
            [[Paragraph(_text(k), label_style), Paragraph(_text(v), base)] for k, v in facts],
            colWidths=[60 * mm, 110 * mm],
        )
        facts_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story += [Spacer(1, 14), facts_table, Spacer(1, 14)]

        qr_image = Image(io.BytesIO(qr_png(data=url)), width=38 * mm, height=38 * mm)
        verify_text = [
            Paragraph(_text(_("Verify at")), label_style),
            Paragraph(_text(url), base),
            Spacer(1, 4),
            Paragraph(
                _text(_("Scan the QR code or open the address to check this document.")), small
            ),
        ]
        qr_table = Table([[qr_image, verify_text]], colWidths=[42 * mm, 128 * mm])
        qr_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        story.append(qr_table)

        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=20 * mm,
            bottomMargin=20 * mm,
            title=f"{title} — {number}",
            author=issuer_name,
            subject=number,
            lang=language,
        )
        doc.build(story)
    return buffer.getvalue()

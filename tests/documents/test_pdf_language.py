"""A result document reads right to the person holding it: dates written the way their language
writes them, and a QR code and printed link to the address this site is configured to serve at,
whatever that is — read back from the PDF's text layer and its QR image."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys

import pytest
from django.utils import timezone
from pypdf import PdfReader

from qyzmet.core.formats import date_long, iso_dates_localize

from .factories import document_issued

pytestmark = pytest.mark.django_db

BASE = "https://qyzmet.gov.example"


def _read(document) -> tuple[str, list[str]]:
    """The page's text (line breaks removed) and what its QR image decodes to."""
    zxingcpp = pytest.importorskip("zxingcpp")
    page = PdfReader(io.BytesIO(bytes(document.pdf))).pages[0]
    images = list(page.images)
    assert len(images) == 1
    codes = [r.text for r in zxingcpp.read_barcodes(images[0].image.convert("L"))]
    return page.extract_text().replace("\n", " "), codes


@pytest.mark.parametrize(
    ("language", "birth", "holder_label"),
    [
        ("kk", "1994 жылғы 15 наурыз", "Туған күні"),
        ("ru", "15 марта 1994 г.", "Дата рождения"),
    ],
)
def test_dates_are_written_for_the_language_and_qr_uses_the_public_address(
    settings, language, birth, holder_label
):
    settings.QYZMET_PUBLIC_BASE_URL = BASE + "/"
    document = document_issued(
        language=language,
        body_text="Әлиев Ғалым (1994-03-15) мекенжайда тіркелген.",
        printed_fields={holder_label: "1994-03-15"},
    )
    text, codes = _read(document)
    expected_url = f"{BASE}/verify/{document.public_id}/"
    assert codes == [expected_url]
    assert expected_url in text.replace(" ", "")
    assert "127.0.0.1" not in text
    assert "1994-03-15" not in text
    assert text.count(birth) == 2  # in the body and in the printed field
    issued = date_long(timezone.localdate(document.issued_at), language)
    assert issued in text
    assert document.issued_at.strftime("%d.%m.%Y") not in text


def test_date_long_per_language():
    day = dt.date(1994, 3, 15)
    assert date_long(day, "kk") == "1994 жылғы 15 наурыз"
    assert date_long(day, "ru") == "15 марта 1994 г."
    assert date_long(day, "en") == "15 March 1994"
    assert date_long(dt.date(2026, 12, 1), "ru") == "1 декабря 2026 г."


def test_only_real_iso_dates_are_rewritten():
    text = "1994-03-15 / 2020-13-45 / 12345-01-01 / KZ-2026-000001 / 2026-02-29"
    assert iso_dates_localize(text, "en") == (
        "15 March 1994 / 2020-13-45 / 12345-01-01 / KZ-2026-000001 / 2026-02-29"
    )


def test_public_base_url_is_read_from_the_environment():
    """`make run` and a deployment set QYZMET_PUBLIC_BASE_URL; the settings must take it."""
    env = {**os.environ, "QYZMET_PUBLIC_BASE_URL": "http://10.0.0.7:8080",
           "DJANGO_SETTINGS_MODULE": "qyzmet.settings.embedded"}  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c",
         "from django.conf import settings; print(settings.QYZMET_PUBLIC_BASE_URL)"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "http://10.0.0.7:8080"

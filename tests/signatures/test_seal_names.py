"""Agency names longer than X.509's upper bounds on seal certificates.

RFC 5280 bounds commonName and organizationName at 64 characters. The seal used to cut the name
at 64 UTF-8 *bytes*: a Russian or Kazakh name lost half its letters and ended inside a word.
Now the CN and O end after the last whole word that fits, with an ellipsis, and the full name is
in the X.520 `name` attribute (no such bound), which the verification page shows as "Sealed by".
Checked with the longest real names of the country pack in kk, ru and en and with a synthetic
200-character name: issued through the real seal service, read back by cryptography, openssl
and pyHanko (the verification page), and verified by openssl against our CA chain."""

from __future__ import annotations

import html
import unicodedata
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID
from django.test import Client

from qyzmet.signatures.pki import ELLIPSIS, FULL_NAME_MAX, UB_NAME, name_shorten
from qyzmet.signatures.services import seal_certificate
from tests.documents.factories import document_issued
from tests.identity.factories import OrganisationFactory

from .conftest import openssl, pem_of, requires_openssl

pytestmark = [
    pytest.mark.django_db,
    # cryptography warns that a CN of more than 64 bytes exceeds 64: it counts bytes where
    # RFC 5280 counts characters (the point of this module).
    pytest.mark.filterwarnings("ignore:Attribute's length must be:UserWarning"),
]

AGENCIES = Path(__file__).resolve().parents[2] / "src/qyzmet/countries/kz/agencies.yaml"
ID_AT_NAME = x509.ObjectIdentifier("2.5.4.41")


def _longest(lang: str) -> str:
    agencies = yaml.safe_load(AGENCIES.read_text(encoding="utf-8"))["agencies"]
    return max((a["name"][lang] for a in agencies), key=len)


def _synthetic(length: int = 200) -> str:
    words = ("Республикалық", "мемлекеттік", "кәсіпорнының", "Құқықтық", "статистика",
             "және", "арнайы", "есепке", "алу", "жөніндегі", "өңірлік", "басқармасы")  # fmt: skip
    text, i = "", 0
    while len(text) < length:
        text = f"{text} {words[i % len(words)]}".strip()
        i += 1
    return text[:length].rstrip()


NAMES = {
    "kk": _longest("kk"),
    "ru": _longest("ru"),
    "en": _longest("en"),
    "synthetic-200": _synthetic(200),
}


def _no_word_cut(short: str, full: str) -> None:
    """`short` is `full` up to a word boundary, then the ellipsis."""
    assert short.endswith(ELLIPSIS), short
    head = short[: -len(ELLIPSIS)]
    assert full.startswith(head), (head, full)
    assert head[-1].isalnum() or head[-1] in ")»\"'.", head  # ends with a whole word
    assert not full[len(head)].isalnum(), f"cut inside a word: {head!r} | {full[len(head):]!r}"


def _value(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    (attribute,) = cert.subject.get_attributes_for_oid(oid)
    return str(attribute.value)


@pytest.fixture
def sealed_agency(pki, request):
    """An agency whose Russian name (the one seals carry) is the name under test."""
    full = NAMES[request.param]
    code = f"kz-long-{request.param}"
    OrganisationFactory(code=code, name_kk=full, name_ru=full, name_en=full)
    return code, full, seal_certificate(organisation_code=code)


@pytest.mark.parametrize("sealed_agency", NAMES, indirect=True)
def test_the_seal_names_the_agency_within_the_bounds_at_a_word_boundary(sealed_agency):
    _code, full, row = sealed_agency
    assert len(full) > UB_NAME and len(full.encode()) > UB_NAME
    cert = x509.load_der_x509_certificate(bytes(row.der))  # cryptography reads it back
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        value = _value(cert, oid)
        assert len(value) <= UB_NAME
        assert unicodedata.is_normalized("NFC", value)
        _no_word_cut(value, full)
    # The full name is carried whole in the X.520 `name` attribute (shorter than its cap).
    assert len(full) <= FULL_NAME_MAX
    assert _value(cert, ID_AT_NAME) == full
    assert len(row.subject) <= 500  # the stored RFC 4514 text fits its column


@requires_openssl
@pytest.mark.parametrize("sealed_agency", NAMES, indirect=True)
def test_openssl_reads_the_subject_and_verifies_the_seal_chain(sealed_agency, pki_files, tmp_path):
    _code, full, row = sealed_agency
    leaf = tmp_path / "seal.pem"
    leaf.write_bytes(pem_of(row))
    shown = openssl(
        "x509", "-in", str(leaf), "-noout", "-subject", "-nameopt", "utf8,sep_multiline,sname"
    ).stdout
    fields = dict(
        line.strip().split("=", 1) for line in shown.splitlines()[1:] if "=" in line
    )
    assert fields["CN"] == fields["O"] == name_shorten(full)
    assert fields["name"] == full
    verified = openssl(
        "verify", "-CAfile", str(pki_files["root"]), "-untrusted", str(pki_files["seals"]),
        str(leaf),
    )  # fmt: skip
    assert verified.stdout.strip().endswith("OK")


@pytest.mark.parametrize("sealed_agency", ["ru", "synthetic-200"], indirect=True)
def test_the_verification_page_shows_the_full_name_as_sealed_by(sealed_agency):
    code, full, _row = sealed_agency
    document = document_issued(
        issuer_code=code, issuer_name={"kk": full, "ru": full, "en": full}
    )
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/verify/{document.public_id}/")
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    sealed_by = page.split("Sealed by", 1)[1].split("</dd>", 1)[0]
    assert full in sealed_by
    assert 'data-seal="ok"' in page


def test_a_name_within_the_bound_is_left_whole():
    name = "Министерство внутренних дел Республики Казахстан"  # 48 characters, 90 bytes
    assert name_shorten(name) == name
    assert name_shorten("x" * UB_NAME) == "x" * UB_NAME
    assert name_shorten("  Білім   басқармасы ") == "Білім басқармасы"


def test_a_decomposed_name_is_counted_in_composed_characters():
    # "Қ" typed as К + a combining descender would count twice and could be split.
    decomposed = unicodedata.normalize("NFD", "Әділет министрлігі " * 5)
    short = name_shorten(decomposed)
    assert unicodedata.is_normalized("NFC", short) and len(short) <= UB_NAME
    _no_word_cut(short, unicodedata.normalize("NFC", " ".join(decomposed.split())))


def test_punctuation_is_not_left_dangling_before_the_ellipsis():
    name = "Министерство юстиции Республики Казахстан, Департамент регистрационной службы (ЗАГС)"
    short = name_shorten(name)
    assert short == "Министерство юстиции Республики Казахстан, Департамент…"


def test_a_single_word_longer_than_the_bound_is_cut_between_whole_characters():
    """The only case where a word must be cut: still never between a letter and its mark."""
    word = "q\u0307" * 50  # q with a dot above has no precomposed form: two code points each
    short = name_shorten(word)
    assert len(short) <= UB_NAME and short.endswith(ELLIPSIS)
    assert not unicodedata.combining(word[len(short) - 1])
    assert short[-2] == "\u0307"  # the last letter keeps its mark

"""The issued (sealed) result PDF is accessible as far as a reader of its structure can tell:
tagged, its language and title declared, its structure tree in a logical reading order (issuer,
title heading, body, the printed fields as a table with column headers, the document's facts as
a table, the QR code as a Figure with alternative text, the address), fonts embedded, and
PDF/UA-1 identification in the XMP metadata.

What this checks is the structure read back with pypdf from the very bytes a citizen downloads,
after the PAdES seal's incremental update. It is not a PDF/UA conformance check: veraPDF (Java)
is not part of the toolchain, so the Matterhorn protocol as a whole is not verified here.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from xml.etree import ElementTree

import pytest
from django.utils import timezone
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from qyzmet.core.formats import date_long
from qyzmet.documents.rendering import verify_url
from qyzmet.signatures.selectors import pdf_signature_verify

from .factories import document_issued

pytestmark = pytest.mark.django_db

BASE = "https://qyzmet.gov.example"
HOLDER = "Әлиев Ғалым Қайратұлы"

# language: (full-name label, birth-date label, column headers, facts heading, verify heading)
LABELS = {
    "kk": ("Тегі, аты, әкесінің аты", "Туған күні", ["Мәлімет", "Мәні"], "Құжат туралы",
           "Құжатты тексеру"),
    "ru": ("Фамилия, имя, отчество", "Дата рождения", ["Сведения", "Значение"], "О документе",
           "Проверка документа"),
    "en": ("Full name", "Date of birth", ["Detail", "Value"], "About this document",
           "Check this document"),
}  # fmt: skip
BODY = {
    "kk": f"{HOLDER} (1994-03-15) мекенжайда тіркелген.\n\nАнықтама өтінім бойынша берілді.",
    "ru": f"{HOLDER} (1994-03-15) зарегистрирован по адресу.\n\nСправка выдана по заявлению.",
    "en": f"{HOLDER} (1994-03-15) is registered at the address.\n\nIssued on application.",
}


PDFUAID = "http://www.aiim.org/pdfua/ns/id/"
DC = "http://purl.org/dc/elements/1.1/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def _xmp(xmp: ElementTree.Element, namespace: str, name: str) -> list[str]:
    """The values of one XMP property, written as an attribute of rdf:Description or as an
    element (simple, or an rdf:Alt/Bag/Seq of rdf:li)."""
    key = f"{{{namespace}}}{name}"
    values: list[str] = []
    for description in xmp.iter(f"{{{RDF}}}Description"):
        if key in description.attrib:
            values.append(description.attrib[key])
        for prop in description.findall(key):
            items = list(prop.iter(f"{{{RDF}}}li"))
            values += [i.text or "" for i in items] if items else [prop.text or ""]
    return values


@dataclass
class Element:
    """One structure element: its standard tag, the text of its own and its children's marked
    content (in structure order), its /Alt, and its children."""

    tag: str
    text: str = ""
    alt: str = ""
    children: list[Element] = field(default_factory=list)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def _marked_text(page) -> dict[int, str]:
    """The text of each marked-content sequence (MCID) of the page, decoded through the fonts'
    ToUnicode maps by pypdf."""
    stack: list[int | None] = []
    texts: dict[int, list[str]] = {}

    def before(op: bytes, args, cm, tm) -> None:
        if op == b"BDC":
            props = args[1]
            stack.append(props.get("/MCID") if isinstance(props, DictionaryObject) else None)
        elif op == b"BMC":
            stack.append(None)
        elif op == b"EMC":
            stack.pop()

    def on_text(text: str, cm, tm, font, size) -> None:
        if text and stack and stack[-1] is not None:
            texts.setdefault(int(stack[-1]), []).append(text)

    page.extract_text(visitor_operand_before=before, visitor_text=on_text)
    return {mcid: " ".join("".join(parts).split()) for mcid, parts in texts.items()}


def _tree(reader: PdfReader) -> Element:
    root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    role_map = root.get("/RoleMap", {})
    marked = _marked_text(reader.pages[0])

    def build(node) -> Element | str:
        node = node.get_object()
        if isinstance(node, int):  # a marked-content id on the element's page
            return marked.get(node, "")
        if isinstance(node, DictionaryObject) and node.get("/Type") == "/MCR":
            return marked.get(int(node["/MCID"]), "")
        if isinstance(node, DictionaryObject) and node.get("/Type") == "/OBJR":
            return ""
        tag = str(node.get("/S", "")).lstrip("/")
        tag = str(role_map.get("/" + tag, "/" + tag)).lstrip("/")
        element = Element(tag=tag, alt=str(node.get("/Alt", "")))
        kids = node.get("/K", [])
        kids = kids if isinstance(kids, ArrayObject) else [kids]
        parts = []
        for kid in kids:
            built = build(kid)
            if isinstance(built, Element):
                element.children.append(built)
                parts.append(built.text)
            else:
                parts.append(built)
        element.text = " ".join(" ".join(parts).split())
        return element

    document = Element(tag="StructTreeRoot")
    kids = root["/K"]
    for kid in kids if isinstance(kids, ArrayObject) else [kids]:
        document.children.append(build(kid))
    return document


def _issue(language: str):
    full_name, birth, *_ = LABELS[language]
    return document_issued(
        language=language,
        body_text=BODY[language],
        printed_fields={full_name: HOLDER, birth: "1994-03-15"},
    )


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_issued_pdf_is_tagged_in_its_language_with_title_and_pdfua_identification(
    settings, language
):
    settings.QYZMET_PUBLIC_BASE_URL = BASE
    document = _issue(language)
    pdf = bytes(document.pdf)
    assert pdf_signature_verify(pdf_bytes=pdf).reason == "ok"  # the seal survived the tags
    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog
    assert catalog["/Lang"] == language
    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    title = f"{document.title[language]} — {document.number}"
    assert reader.metadata.title == title

    # pyHanko rewrites the XMP packet when it seals (properties become attributes): read it
    # as RDF, not as text.
    xmp = ElementTree.fromstring(catalog["/Metadata"].get_object().get_data())  # noqa: S314 (our own output)
    assert _xmp(xmp, PDFUAID, "part") == ["1"]
    assert _xmp(xmp, DC, "language") == [language]
    assert _xmp(xmp, DC, "title") == [title]

    # Every font the page uses is embedded (Type0 → descendant font → FontFile2).
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert fonts
    for font in fonts.values():
        font = font.get_object()
        assert "DejaVuSans" in str(font["/BaseFont"])
        descendant = font["/DescendantFonts"][0].get_object()
        assert "/FontFile2" in descendant["/FontDescriptor"]


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_structure_tree_reads_in_a_logical_order(settings, language):
    settings.QYZMET_PUBLIC_BASE_URL = BASE + "/"
    document = _issue(language)
    full_name, birth_label, columns, facts_heading, verify_heading = LABELS[language]
    born = date_long(dt.date(1994, 3, 15), language)
    url = f"{BASE}/verify/{document.public_id}/"
    assert verify_url(public_id=document.public_id) == url

    tree = _tree(PdfReader(io.BytesIO(bytes(document.pdf))))
    top = tree.children[0]
    assert top.tag == "Document"
    elements = [e for e in tree.walk() if e.tag in {"H1", "H2", "P", "Table", "Figure"}]
    order = [e.tag for e in elements if e.tag != "P"]
    # One title heading; sections under it; two tables; the QR code last, after its heading.
    assert order == ["H1", "H2", "Table", "H2", "Table", "H2", "Figure"]

    h1 = next(e for e in elements if e.tag == "H1")
    assert h1.text == document.title[language]
    assert elements[0].tag == "P" and elements[0].text == document.issuer_name[language]
    body = elements[elements.index(h1) + 1]
    assert body.tag == "P" and HOLDER in body.text and born in body.text

    fields, facts = [e for e in elements if e.tag == "Table"]
    for table in (fields, facts):
        headers = [e.text for e in table.walk() if e.tag == "TH"]
        assert headers == columns
        assert [e.tag for e in table.children] == ["THead", "TBody"]
    rows = [
        [cell.text for cell in row.children]
        for row in fields.walk()
        if row.tag == "TR" and all(c.tag == "TD" for c in row.children)
    ]
    assert rows == [[full_name, HOLDER], [birth_label, born]]
    fact_cells = [e.text for e in facts.walk() if e.tag == "TD"]
    assert document.number in fact_cells
    assert date_long(timezone.localdate(document.issued_at), language) in fact_cells
    assert [e.text for e in elements if e.tag == "H2"][1:] == [facts_heading, verify_heading]

    figure = next(e for e in elements if e.tag == "Figure")
    assert url in figure.alt
    after = elements[elements.index(figure) + 1 :]
    assert after and after[0].text == url

    # The whole text in structure order: the person's name before their birth date, the
    # document's number before the address that verifies it; no ISO date anywhere.
    text = " ".join(e.text for e in tree.children)
    assert text.index(HOLDER) < text.index(born) < text.index(document.number) < text.index(url)
    assert "1994-03-15" not in text


def test_the_qr_code_in_the_figure_decodes_to_the_configured_address(settings):
    zxingcpp = pytest.importorskip("zxingcpp")
    settings.QYZMET_PUBLIC_BASE_URL = "https://e.gov.example.kz/"
    document = _issue("kk")
    images = list(PdfReader(io.BytesIO(bytes(document.pdf))).pages[0].images)
    assert len(images) == 1
    codes = [r.text for r in zxingcpp.read_barcodes(images[0].image.convert("L"))]
    assert codes == [f"https://e.gov.example.kz/verify/{document.public_id}/"]


def test_data_that_looks_like_markup_prints_as_itself():
    """The template inserts data as text values: a body with Typst markup characters is printed
    literally, not interpreted (no bold, no code, no error)."""
    body = 'Әлиев *Ғалым* _х_ #let x = 1 $y$ <label> @ref "quoted" \\ end'
    document = document_issued(language="en", body_text=body)
    text = PdfReader(io.BytesIO(bytes(document.pdf))).pages[0].extract_text()
    assert " ".join(body.split()) in " ".join(text.split())

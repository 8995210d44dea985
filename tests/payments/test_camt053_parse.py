"""The camt.053 reader: valid statements of the oldest and newest supported versions, and each
kind of bad or hostile file refused with the element path, the line and words a person reads
(in their language)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from django.utils import translation

from qyzmet.payments.camt053 import (
    MAX_BYTES,
    StatementInvalid,
    amount_to_tiyn,
    statement_parse,
)

from .camt_builder import PLATFORM_IBAN, E, camt053

DATA = Path(__file__).parent / "data"


def refused(content: bytes) -> StatementInvalid:
    with pytest.raises(StatementInvalid) as caught:
        statement_parse(content)
    return caught.value


def codes(exc: StatementInvalid) -> list[str]:
    return [p.code for p in exc.problems]


def test_hand_written_v08_statement():
    st = statement_parse((DATA / "camt053_v08_valid.xml").read_bytes())
    assert st.version == 8
    assert st.message_id == "KKMF-20260302-0001"
    assert st.statement_id == "STMT-20260302-KZ86"
    assert st.account_iban == PLATFORM_IBAN
    assert st.created_at == dt.datetime(2026, 3, 2, 14, 5, tzinfo=dt.UTC)
    # Four entries: three booked, one pending (left out, counted).
    assert st.not_booked == 1
    first, second, charges = st.entries
    assert (first.line_ref, first.amount, first.currency, first.credit) == (
        "KKMF2026030200001", 369200, "KZT", True)
    assert first.remittance == ("INV-4815-1623-4234",)
    assert first.booked_on == dt.date(2026, 3, 2)
    assert first.source_line == 39
    # A booking date given as a date and time; an unstructured remittance text.
    assert second.amount == 138350 and second.booked_on == dt.date(2026, 3, 2)
    assert second.remittance == ("Госпошлина, счёт № 2718 2818 2898",)
    # A debit: bank charges, with the text only in the additional entry information.
    assert (charges.credit, charges.signed_amount) == (False, -75000)
    assert charges.remittance == ("Bank charges, February",)


def test_hand_written_v02_statement():
    """The old version: a bare status code, an IBAN written in groups, a whole-tenge amount,
    a creation time without an offset (Almaty time)."""
    st = statement_parse((DATA / "camt053_v02_valid.xml").read_bytes())
    assert st.version == 2
    assert st.account_iban == PLATFORM_IBAN
    assert st.created_at == dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
    (entry,) = st.entries
    assert (entry.amount, entry.remittance) == (250000, ("inv 1414 2135 6223",))


@pytest.mark.parametrize("version", [2, 3, 4, 5, 6, 7, 8])
def test_every_supported_version(version):
    st = statement_parse(camt053(E(amount="10.05", ustrd="x"), E(credit=False), version=version))
    assert st.version == version
    assert [e.signed_amount for e in st.entries] == [1005, -250000]


@pytest.mark.parametrize("text, tiyn", [
    ("2500.00", 250000), ("2500", 250000), ("0.01", 1), ("12.340", 1234), ("1.5", 150),
    ("999999999999999999.99", 99999999999999999999),
    ("12.345", None), ("0.001", None), ("-5.00", None), ("1e3", None), ("12,50", None),
    ("", None), (" 1", None), ("NaN", None), ("1.", None), (".5", None),
])
def test_amount_to_tiyn_is_exact(text, tiyn):
    assert amount_to_tiyn(text) == tiyn


def test_amount_with_third_decimal_refused():
    exc = refused((DATA / "camt053_amount_3_decimals.xml").read_bytes())
    (problem,) = exc.problems
    assert problem.code == "amount_precision"
    assert problem.path == "/Document/BkToCstmrStmt/Stmt/Ntry[2]/Amt"
    assert problem.line == 18
    assert "12.345" in problem.message


def test_duplicate_entry_refused():
    exc = refused((DATA / "camt053_duplicate_entry.xml").read_bytes())
    (problem,) = exc.problems
    assert (problem.code, problem.line) == ("duplicate_entry", 17)
    assert "DUP-A" in problem.message and "9" in problem.message  # the other entry's line


def test_other_currency_is_read_for_the_import_to_flag():
    (entry,) = statement_parse((DATA / "camt053_currency_usd.xml").read_bytes()).entries
    assert (entry.currency, entry.amount) == ("USD", 2500)


def test_xxe_refused_and_nothing_read():
    exc = refused((DATA / "camt053_xxe.xml").read_bytes())
    assert codes(exc) == ["doctype"]
    assert "root:" not in str(exc.as_dict())  # /etc/passwd never read


def test_billion_laughs_refused_at_once():
    started = time.monotonic()
    exc = refused((DATA / "camt053_billion_laughs.xml").read_bytes())
    assert codes(exc) == ["doctype"]
    assert exc.problems[0].line == 2
    assert time.monotonic() - started < 1


def test_doctype_hidden_after_the_root_is_still_refused():
    content = camt053(E(ustrd="x")).replace(b"<BkToCstmrStmt>", b"<BkToCstmrStmt><!ENTITY a 'b'>")
    assert codes(refused(content)) == ["doctype"]


def test_truncated_file_refused_with_its_line():
    exc = refused((DATA / "camt053_truncated.xml").read_bytes())
    (problem,) = exc.problems
    assert problem.code == "not_xml"
    assert problem.line == 11


def test_wrong_namespace_refused():
    exc = refused((DATA / "camt053_wrong_namespace.xml").read_bytes())
    (problem,) = exc.problems
    assert problem.code == "wrong_namespace"
    assert "camt.052.001.08" in problem.message


@pytest.mark.parametrize("version", [1, 9, 13])
def test_unsupported_version_refused(version):
    assert codes(refused(camt053(E(), version=version))) == ["wrong_namespace"]


def test_no_namespace_and_wrong_root_refused():
    assert codes(refused(b"<Document><BkToCstmrStmt/></Document>")) == ["wrong_namespace"]
    assert codes(refused(b"<html><body>statement</body></html>")) == ["wrong_root"]


def test_huge_file_refused_before_parsing():
    content = camt053(E(ustrd="x" * (MAX_BYTES + 1)))
    exc = refused(content)
    assert codes(exc) == ["too_large"]
    assert str(MAX_BYTES) in exc.problems[0].message


def test_deep_nesting_refused():
    """libxml2's depth limit (kept by huge_tree=False) stops a nesting bomb as not XML."""
    depth = 20_000
    content = camt053(E(ustrd="x")).replace(
        b"<Ustrd>x</Ustrd>", b"<Ustrd>" + b"<a>" * depth + b"</a>" * depth + b"</Ustrd>"
    )
    assert len(content) < MAX_BYTES
    assert codes(refused(content)) == ["not_xml"]


@pytest.mark.parametrize("content, code", [
    (b"", "empty"),
    (b"   \n", "empty"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not_utf8"),
    (b"Date;Amount;Purpose\n2026-03-02;2500;INV 1\n", "not_xml"),
    ("<?xml version='1.0' encoding='UTF-16'?><Document/>".encode("utf-16"), "not_utf8"),
])
def test_not_a_statement_at_all(content, code):
    assert codes(refused(content)) == [code]


def test_missing_required_elements_are_all_listed():
    content = (
        camt053(E(ustrd="x"), E(ustrd="y"))
        .replace(b"<MsgId>MSG-2026-03-02-1</MsgId>", b"")
        .replace(b"<CdtDbtInd>CRDT</CdtDbtInd><Sts>", b"<Sts>", 1)
        .replace(b"<BookgDt><Dt>2026-03-02</Dt></BookgDt>", b"", 2)
    )
    with translation.override("en"):
        exc = refused(content)
        messages = {p.message for p in exc.problems}
    found = {(p.code, p.path) for p in exc.problems}
    assert found == {
        ("missing", "/Document/BkToCstmrStmt/GrpHdr"),
        ("missing", "/Document/BkToCstmrStmt/Stmt/Ntry[1]"),  # CdtDbtInd and BookgDt
        ("missing", "/Document/BkToCstmrStmt/Stmt/Ntry[2]"),  # BookgDt
    }
    assert len(exc.problems) == 4
    assert messages >= {
        "The required element MsgId is missing.",
        "The required element CdtDbtInd is missing.",
        "The required element BookgDt is missing.",
    }


@pytest.mark.parametrize("old, new, code, path", [
    (b">2500.00<", b">25OO.00<", "bad_amount", "Ntry[1]/Amt"),
    (b">2500.00<", b">0.00<", "amount_zero", "Ntry[1]/Amt"),
    (b'Ccy="KZT">2500', b'Ccy="tenge">2500', "bad_currency", "Ntry[1]/Amt/@Ccy"),
    (b"<CdtDbtInd>CRDT</CdtDbtInd><Sts>", b"<CdtDbtInd>IN</CdtDbtInd><Sts>", "bad_indicator",
     "Ntry[1]/CdtDbtInd"),
    (b"<BookgDt><Dt>2026-03-02", b"<BookgDt><Dt>02.03.2026", "bad_date", "Ntry[1]/BookgDt/Dt"),
    (b"<AcctSvcrRef>BANK-000001</AcctSvcrRef>", b"", "no_entry_ref", "Ntry[1]"),
    (b"<AcctSvcrRef>BANK-000001<", b"<AcctSvcrRef>" + b"7" * 36 + b"<", "too_long",
     "Ntry[1]/AcctSvcrRef"),
    (b"<IBAN>KZ86125KZT5004100100", b"<IBAN>not an iban", "bad_iban", "Acct/Id/IBAN"),
    (b"<CreDtTm>2026-03-02T18:00:00+05:00</CreDtTm></GrpHdr>",
     b"<CreDtTm>yesterday</CreDtTm></GrpHdr>", "bad_datetime", "GrpHdr/CreDtTm"),
])
def test_bad_values_named_by_path(old, new, code, path):
    content = camt053(E(ustrd="x"))
    assert old in content
    exc = refused(content.replace(old, new, 1))
    (problem,) = exc.problems
    assert problem.code == code
    assert problem.path.endswith(path)
    assert problem.line is not None


def test_entry_ref_falls_back_to_ntry_ref():
    st = statement_parse(camt053(E(no_acct_svcr_ref=True, ntry_ref="N-7", ustrd="x")))
    assert st.entries[0].line_ref == "N-7"


def test_two_statements_in_one_file_refused():
    content = camt053(E())
    start = content.index(b"<Stmt>")
    end = content.index(b"</Stmt>") + len(b"</Stmt>")
    doubled = content[:end] + content[start:end] + content[end:]
    assert codes(refused(doubled)) == ["one_statement"]


def test_messages_in_the_uploaders_language():
    content = (DATA / "camt053_amount_3_decimals.xml").read_bytes()
    with translation.override("ru"):
        ru = refused(content)
        ru_text = ru.problems[0].message
        assert "12.345" in ru_text and "тиын" in ru_text
        assert ru.as_dict()["errors"][0]["detail"].startswith("Строка 18: ")
    with translation.override("kk"):
        kk = refused(content)
        kk_text = kk.problems[0].message
        assert "12.345" in kk_text and "тиын" in kk_text
        assert kk_text != ru_text
        assert kk.as_dict()["errors"][0]["detail"].startswith("18-жол: ")
    with translation.override("en"):
        en = refused(content)
        assert en.problems[0].message.startswith("The amount")


def test_problem_json_shape():
    body = refused((DATA / "camt053_duplicate_entry.xml").read_bytes()).as_dict()
    assert body["status"] == 422 and body["code"] == "statement_invalid"
    assert body["errors"][0]["pointer"] == "/Document/BkToCstmrStmt/Stmt/Ntry[2]"
    assert body["problems"][0]["line"] == 17

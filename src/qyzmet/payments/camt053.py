"""Reading an ISO 20022 camt.053 bank statement (BankToCustomerStatement, versions .001.02 to
.001.08) into plain dataclasses, for pay by reference (`statements.statement_import`).

The file comes from outside — a person uploads what the bank gave them — so it is parsed as
hostile input: a size limit before anything else, UTF-8 only (ISO 20022 messages are UTF-8), a
parser that resolves no entities, loads no DTD and never touches the network, libxml2's depth
and text limits kept (`huge_tree=False`), and any document type declaration refused outright
(a bank statement never has one; XXE and "billion laughs" both need one).

Validation collects every problem it finds instead of stopping at the first, so the person who
uploads sees the whole list at once; each problem names the element path and the line. Amounts
are read from their decimal text into integer tiyn: never through a float, and an amount with a
non-zero third decimal is refused (a tenge has 100 tiyn). Only booked entries (status BOOK) are
returned; the others are counted, since a pending entry is not money yet.

What is read, per the message's structure:
    Document/BkToCstmrStmt/GrpHdr/MsgId, CreDtTm
    Document/BkToCstmrStmt/Stmt/Id, CreDtTm, Acct/Id/IBAN
    .../Stmt/Ntry/Amt (@Ccy), CdtDbtInd, Sts (code text up to .06, Sts/Cd from .07),
        BookgDt/Dt or BookgDt/DtTm, AcctSvcrRef or NtryRef,
        NtryDtls/TxDtls/RmtInf/Ustrd and RmtInf/Strd/CdtrRefInf/Ref, AddtlNtryInf
One statement per file: the platform's account gets one statement per message, and a file is
imported (and recognised again) as one statement.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from lxml import etree

from qyzmet.core.problem import FieldError, Problem

MAX_BYTES = 10 * 1024 * 1024
NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."
VERSIONS = (2, 3, 4, 5, 6, 7, 8)
NAMESPACES = {f"{NAMESPACE_PREFIX}{v:02d}": v for v in VERSIONS}

CREDIT = "CRDT"
DEBIT = "DBIT"
BOOKED = "BOOK"

_AMOUNT = re.compile(r"^[0-9]{1,18}(\.[0-9]{1,5})?$")  # the XSD's decimal: 18 digits, 5 decimals
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$")
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_MAX_REF = 35  # Max35Text: MsgId, Stmt/Id, AcctSvcrRef, NtryRef, CdtrRefInf/Ref

# Problem codes (stable, for the API and the tests) -> the message a person reads. English
# msgids; the kk/ru translations are in the app's catalogue. Parameters by name.
MESSAGES: dict[str, str] = {
    "too_large": gettext_noop(
        "The file is %(size)s bytes; a statement file may be at most %(limit)s bytes."
    ),
    "empty": gettext_noop("The file is empty."),
    "not_utf8": gettext_noop(
        "The file is not UTF-8 text, so it is not an ISO 20022 statement (XML in UTF-8)."
    ),
    "not_xml": gettext_noop("The file is not well-formed XML: %(detail)s"),
    "doctype": gettext_noop(
        "The file declares a document type (DTD or entities). Bank statements never do; such "
        "a file is refused because it can be used to attack the server."
    ),
    "wrong_root": gettext_noop(
        "The file is XML but not a bank statement: its root element is %(found)s, expected "
        "Document."
    ),
    "wrong_namespace": gettext_noop(
        "The file is not a camt.053 bank statement of a supported version (001.02 to 001.08): "
        "its namespace is \"%(found)s\"."
    ),
    "missing": gettext_noop("The required element %(element)s is missing."),
    "empty_value": gettext_noop("The element is empty."),
    "too_long": gettext_noop("The value is longer than %(limit)s characters."),
    "one_statement": gettext_noop(
        "The file holds %(count)s statements; upload a file with one statement (one account, "
        "one period)."
    ),
    "bad_datetime": gettext_noop(
        "\"%(value)s\" is not a date and time (e.g. 2026-03-01T09:30:00)."
    ),
    "bad_date": gettext_noop("\"%(value)s\" is not a date (e.g. 2026-03-01)."),
    "bad_iban": gettext_noop("\"%(value)s\" is not an IBAN."),
    "bad_amount": gettext_noop(
        "\"%(value)s\" is not an amount: digits with at most two decimals after a point, "
        "e.g. 2500.00."
    ),
    "amount_precision": gettext_noop(
        "The amount \"%(value)s\" has more than two decimals; a tenge has 100 tiyn."
    ),
    "amount_zero": gettext_noop("The amount is zero."),
    "bad_currency": gettext_noop(
        "The currency \"%(value)s\" is not a three-letter ISO 4217 code (e.g. KZT)."
    ),
    "bad_indicator": gettext_noop(
        "\"%(value)s\" is neither CRDT (money in) nor DBIT (money out)."
    ),
    "wrong_account": gettext_noop(
        "The statement is for the account %(found)s, not for the platform's account "
        "%(expected)s."
    ),
    "no_entry_ref": gettext_noop(
        "The entry has neither the bank's reference (AcctSvcrRef) nor an entry reference "
        "(NtryRef), so it cannot be told apart from the others."
    ),
    "duplicate_entry": gettext_noop(
        "The entry reference \"%(ref)s\" is used twice (also on line %(other)s)."
    ),
}


@dataclasses.dataclass(frozen=True)
class StatementProblem:
    """One thing wrong with the file: where (element path, line) and what, in words."""

    code: str
    path: str  # e.g. /Document/BkToCstmrStmt/Stmt/Ntry[3]/Amt ("" for the file as a whole)
    line: int | None  # the line in the file, when known
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def message(self) -> str:
        """The message in the active language (the uploader's request)."""
        return gettext(MESSAGES[self.code]) % dict(self.params)

    @property
    def message_at_line(self) -> str:
        if not self.line:
            return self.message
        return gettext("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}

    def __str__(self) -> str:
        where = self.path or gettext("the file")
        if self.line:
            return gettext("%(where)s (line %(line)s): %(message)s") % {
                "where": where, "line": self.line, "message": self.message,
            }
        return gettext("%(where)s: %(message)s") % {"where": where, "message": self.message}


class StatementInvalid(Problem):
    """The file is not a valid camt.053 statement; `problems` lists everything found. A 422
    problem, so the API renders it with one error per problem (pointer = the element path)."""

    def __init__(self, problems: list[StatementProblem]) -> None:
        self.problems = list(problems)
        super().__init__(
            422,
            "statement_invalid",
            gettext("The bank statement file is not valid"),
            gettext("The file was not imported; nothing was changed. Problems found: %(n)s.")
            % {"n": len(self.problems)},
            [FieldError(p.path or "/", p.message_at_line) for p in self.problems],
            {"problems": [
                {"code": p.code, "path": p.path, "line": p.line, "message": p.message}
                for p in self.problems
            ]},
        )

    def __str__(self) -> str:
        return "; ".join(str(p) for p in self.problems)


@dataclasses.dataclass(frozen=True)
class Entry:
    """One booked entry of the statement."""

    line_ref: str  # AcctSvcrRef, else NtryRef: unique within the statement
    # True: `line_ref` is the bank's own reference (AcctSvcrRef), unique for the account, so the
    # same entry in a later statement is recognised; False: an NtryRef, unique only here.
    servicer_ref: bool
    amount: int  # tiyn, > 0; the direction is `credit`
    currency: str
    credit: bool  # True: money in (CRDT)
    booked_on: dt.date
    booked_at: dt.datetime | None  # when the booking date is given with its time (BookgDt/DtTm)
    remittance: tuple[str, ...]  # creditor references first, then unstructured texts
    structured_refs: int  # how many of `remittance` are creditor references (Strd/CdtrRefInf)
    source_line: int | None

    @property
    def signed_amount(self) -> int:
        """> 0 for money in, < 0 for money out (as a statement line stores it)."""
        return self.amount if self.credit else -self.amount


@dataclasses.dataclass(frozen=True)
class Statement:
    version: int  # 2..8: camt.053.001.0<version>
    message_id: str
    created_at: dt.datetime  # GrpHdr/CreDtTm, aware
    statement_id: str
    statement_created_at: dt.datetime | None
    account_iban: str
    entries: tuple[Entry, ...]
    not_booked: int  # entries left out because their status is not BOOK (e.g. PDNG, INFO)


class _Reader:
    """Walks the tree once, collecting problems rather than stopping at the first."""

    def __init__(self, ns: str) -> None:
        self.ns = ns
        self.problems: list[StatementProblem] = []

    def problem(self, code: str, path: str, el: Any | None, **params: Any) -> None:
        line = getattr(el, "sourceline", None)
        self.problems.append(StatementProblem(code, path, line, tuple(sorted(params.items()))))

    def children(self, el: Any, name: str) -> list[Any]:
        return el.findall(f"{{{self.ns}}}{name}")

    def child(self, el: Any, name: str) -> Any | None:
        return el.find(f"{{{self.ns}}}{name}")

    def required(self, el: Any, path: str, name: str) -> Any | None:
        found = self.child(el, name)
        if found is None:
            self.problem("missing", path, el, element=name)
        return found

    def text(self, el: Any, path: str, name: str, *, limit: int = _MAX_REF) -> str | None:
        """The stripped text of a required child element, or None (problem recorded)."""
        found = self.required(el, path, name)
        if found is None:
            return None
        value = (found.text or "").strip()
        if not value:
            self.problem("empty_value", f"{path}/{name}", found)
            return None
        if len(value) > limit:
            self.problem("too_long", f"{path}/{name}", found, limit=limit)
            return None
        return value

    def when(self, el: Any, path: str, name: str) -> dt.datetime | None:
        value = self.text(el, path, name, limit=64)
        if value is None:
            return None
        parsed = _datetime(value)
        if parsed is None:
            self.problem("bad_datetime", f"{path}/{name}", self.child(el, name), value=value)
        return parsed


def _datetime(value: str) -> dt.datetime | None:
    """ISO 8601 date and time; without an offset it is the platform's local time."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
    return parsed


def amount_to_tiyn(value: str) -> int | None:
    """The decimal text of an amount in tiyn, exactly (Decimal, never float); None when it is
    not a plain non-negative decimal or has a non-zero digit after the second decimal."""
    if not _AMOUNT.match(value):
        return None
    try:
        tiyn = Decimal(value) * 100
    except InvalidOperation:  # pragma: no cover - the pattern already excludes it
        return None
    if tiyn != tiyn.to_integral_value():
        return None
    return int(tiyn)


def statement_parse(content: bytes) -> Statement:
    """Parse and validate a camt.053 file; raises `StatementInvalid` listing every problem."""
    _refuse_early(content)
    root = _parse_xml(content)
    ns, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if local != "Document":
        raise StatementInvalid([StatementProblem(
            "wrong_root", f"/{local}", root.sourceline, (("found", local),)
        )])
    if ns not in NAMESPACES:
        raise StatementInvalid([StatementProblem(
            "wrong_namespace", "/Document", root.sourceline, (("found", ns),)
        )])
    reader = _Reader(ns)
    statement = _read(reader, root, NAMESPACES[ns])
    if reader.problems or statement is None:
        raise StatementInvalid(reader.problems)
    return statement


def _refuse_early(content: bytes) -> None:
    """What is decided before the parser sees a byte: size, emptiness, encoding."""
    if len(content) > MAX_BYTES:
        raise StatementInvalid([StatementProblem(
            "too_large", "", None, (("limit", MAX_BYTES), ("size", len(content)))
        )])
    if not content.strip():
        raise StatementInvalid([StatementProblem("empty", "", None)])
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise StatementInvalid([StatementProblem("not_utf8", "", line)]) from exc
    # Before the parser: libxml2 would stop a billion-laughs file itself, but as "not XML";
    # the person (and the security log) should read what it is.
    declaration = _DOCTYPE.search(content)
    if declaration:
        line = content[: declaration.start()].count(b"\n") + 1
        raise StatementInvalid([StatementProblem("doctype", "", line)])


def _parser() -> etree.XMLParser:
    """A parser for hostile input: no entity resolution, no DTD, no network, default limits."""
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_pis=True,
        remove_comments=True,
        collect_ids=False,
        encoding="utf-8",
    )


def _parse_xml(content: bytes) -> Any:
    try:
        tree = etree.fromstring(content, parser=_parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        detail = str(exc.msg or exc).split(", line ")[0]
        raise StatementInvalid([StatementProblem(
            "not_xml", "", exc.lineno or None, (("detail", detail),)
        )]) from exc
    # A DOCTYPE (internal subset or external id) is refused even though nothing in it was
    # resolved: a statement never carries one, and refusing it is simpler than trusting it.
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise StatementInvalid([StatementProblem("doctype", "", 1)])
    root = tree.getroot()
    if next(root.iter(etree.Entity), None) is not None:
        raise StatementInvalid([StatementProblem("doctype", "", 1)])
    return root


def _read(r: _Reader, root: Any, version: int) -> Statement | None:
    path = "/Document/BkToCstmrStmt"
    body = r.required(root, "/Document", "BkToCstmrStmt")
    if body is None:
        return None
    header = r.required(body, path, "GrpHdr")
    message_id = created_at = None
    if header is not None:
        message_id = r.text(header, f"{path}/GrpHdr", "MsgId")
        created_at = r.when(header, f"{path}/GrpHdr", "CreDtTm")
    statements = r.children(body, "Stmt")
    if not statements:
        r.problem("missing", path, body, element="Stmt")
        return None
    if len(statements) > 1:
        r.problem("one_statement", path, statements[1], count=len(statements))
        return None
    stmt = statements[0]
    spath = f"{path}/Stmt"
    statement_id = r.text(stmt, spath, "Id")
    statement_created = None
    if r.child(stmt, "CreDtTm") is not None:
        statement_created = r.when(stmt, spath, "CreDtTm")
    iban = _iban(r, stmt, spath)
    entries, not_booked = _entries(r, stmt, spath)
    if r.problems or None in (message_id, created_at, statement_id, iban):
        return None
    return Statement(
        version=version,
        message_id=message_id or "",
        created_at=created_at,  # type: ignore[arg-type]  # checked above
        statement_id=statement_id or "",
        statement_created_at=statement_created,
        account_iban=iban or "",
        entries=tuple(entries),
        not_booked=not_booked,
    )


def _iban(r: _Reader, stmt: Any, spath: str) -> str | None:
    acct = r.required(stmt, spath, "Acct")
    if acct is None:
        return None
    acct_id = r.required(acct, f"{spath}/Acct", "Id")
    if acct_id is None:
        return None
    iban = r.text(acct_id, f"{spath}/Acct/Id", "IBAN", limit=34)
    if iban is not None:
        iban = iban.replace(" ", "").upper()
        if not _IBAN.match(iban):
            r.problem("bad_iban", f"{spath}/Acct/Id/IBAN", r.child(acct_id, "IBAN"), value=iban)
            return None
    return iban


def _status(r: _Reader, ntry: Any) -> str:
    """The entry's status code: `<Sts>BOOK</Sts>` up to .06, `<Sts><Cd>BOOK</Cd></Sts>` (or
    `<Prtry>`) from .07; either form is accepted in any version."""
    sts = r.child(ntry, "Sts")
    if sts is None:
        return ""
    inner = r.child(sts, "Cd")
    if inner is None:
        inner = r.child(sts, "Prtry")
    return ((inner if inner is not None else sts).text or "").strip().upper()


def _entries(r: _Reader, stmt: Any, spath: str) -> tuple[list[Entry], int]:
    entries: list[Entry] = []
    seen: dict[tuple[bool, str], int | None] = {}
    not_booked = 0
    for index, ntry in enumerate(r.children(stmt, "Ntry"), start=1):
        path = f"{spath}/Ntry[{index}]"
        status = _status(r, ntry)
        if not status:
            r.problem("missing", path, ntry, element="Sts")
            continue
        if status != BOOKED:
            not_booked += 1
            continue
        entry = _entry(r, ntry, path)
        if entry is None:
            continue
        key = (entry.servicer_ref, entry.line_ref)
        if key in seen:
            r.problem("duplicate_entry", path, ntry, ref=entry.line_ref, other=seen[key] or "?")
            continue
        seen[key] = entry.source_line
        entries.append(entry)
    return entries, not_booked


def _entry(r: _Reader, ntry: Any, path: str) -> Entry | None:
    before = len(r.problems)
    amount = currency = None
    amt = r.required(ntry, path, "Amt")
    if amt is not None:
        raw = (amt.text or "").strip()
        currency = (amt.get("Ccy") or "").strip()
        amount = amount_to_tiyn(raw)
        if amount is None:
            code = "amount_precision" if _AMOUNT.match(raw) else "bad_amount"
            r.problem(code, f"{path}/Amt", amt, value=raw[:40])
        elif amount == 0:
            r.problem("amount_zero", f"{path}/Amt", amt)
        if not _CURRENCY.match(currency):
            r.problem("bad_currency", f"{path}/Amt/@Ccy", amt, value=currency[:10])
    indicator = r.text(ntry, path, "CdtDbtInd", limit=4)
    if indicator is not None and indicator not in (CREDIT, DEBIT):
        r.problem("bad_indicator", f"{path}/CdtDbtInd", r.child(ntry, "CdtDbtInd"),
                  value=indicator)
    booked_on, booked_at = _booking_date(r, ntry, path)
    line_ref, servicer_ref = _entry_ref(r, ntry, path)
    if len(r.problems) > before:
        return None
    remittance, structured = _remittance(r, ntry)
    return Entry(
        line_ref=line_ref or "",
        servicer_ref=servicer_ref,
        amount=amount or 0,
        currency=currency or "",
        credit=indicator == CREDIT,
        booked_on=booked_on,  # type: ignore[arg-type]  # None only with a problem recorded
        booked_at=booked_at,
        remittance=remittance,
        structured_refs=structured,
        source_line=ntry.sourceline,
    )


def _booking_date(r: _Reader, ntry: Any, path: str) -> tuple[dt.date | None, dt.datetime | None]:
    booking = r.required(ntry, path, "BookgDt")
    if booking is None:
        return None, None
    day = r.child(booking, "Dt")
    if day is not None:
        value = (day.text or "").strip()
        try:
            return dt.date.fromisoformat(value), None
        except ValueError:
            r.problem("bad_date", f"{path}/BookgDt/Dt", day, value=value[:40])
            return None, None
    if r.child(booking, "DtTm") is not None:
        moment = r.when(booking, f"{path}/BookgDt", "DtTm")
        return (timezone.localtime(moment).date(), moment) if moment else (None, None)
    r.problem("missing", f"{path}/BookgDt", booking, element="Dt")
    return None, None


def _entry_ref(r: _Reader, ntry: Any, path: str) -> tuple[str | None, bool]:
    for name in ("AcctSvcrRef", "NtryRef"):
        if r.child(ntry, name) is not None:
            return r.text(ntry, path, name), name == "AcctSvcrRef"
    r.problem("no_entry_ref", path, ntry)
    return None, False


def _remittance(r: _Reader, ntry: Any) -> tuple[tuple[str, ...], int]:
    """What the payer wrote: structured creditor references, then unstructured lines, then the
    entry's additional information (some banks put the payer's text only there)."""
    refs: list[str] = []
    texts: list[str] = []
    for details in r.children(ntry, "NtryDtls"):
        for tx in r.children(details, "TxDtls"):
            for rmt in r.children(tx, "RmtInf"):
                for strd in r.children(rmt, "Strd"):
                    for cri in r.children(strd, "CdtrRefInf"):
                        ref = r.child(cri, "Ref")
                        if ref is not None and (ref.text or "").strip():
                            refs.append(ref.text.strip())
                for ustrd in r.children(rmt, "Ustrd"):
                    if (ustrd.text or "").strip():
                        texts.append(ustrd.text.strip())
    extra = r.child(ntry, "AddtlNtryInf")
    if extra is not None and (extra.text or "").strip():
        texts.append(extra.text.strip())
    return tuple(refs + texts), len(refs)

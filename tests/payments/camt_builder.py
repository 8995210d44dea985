"""Builds camt.053 statement files for the tests, in any version from .001.02 to .001.08, so each
test states the entries it needs and nothing else. Text is escaped; amounts are given as the
decimal strings a bank writes."""

from __future__ import annotations

import dataclasses
from xml.sax.saxutils import escape, quoteattr

PLATFORM_IBAN = "KZ86125KZT5004100100"
_BKTXCD = (
    "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn>"
    "</BkTxCd>"
)


@dataclasses.dataclass
class E:
    """One entry. `ustrd`/`ref` are what the payer wrote (unstructured / structured)."""

    amount: str = "2500.00"
    ref: str | None = None  # RmtInf/Strd/CdtrRefInf/Ref
    ustrd: str | None = None  # RmtInf/Ustrd
    currency: str = "KZT"
    credit: bool = True
    line_ref: str | None = None  # AcctSvcrRef; generated when None
    status: str = "BOOK"
    booked: str = "2026-03-02"
    ntry_ref: str | None = None  # NtryRef (used as the line ref when there is no AcctSvcrRef)
    no_acct_svcr_ref: bool = False


def camt053(
    *entries: E,
    version: int = 8,
    msg_id: str = "MSG-2026-03-02-1",
    created: str = "2026-03-02T18:00:00+05:00",
    stmt_id: str = "STMT-2026-03-02",
    iban: str = PLATFORM_IBAN,
) -> bytes:
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version:02d}"
    rows = "".join(_entry(e, i, version) for i, e in enumerate(entries, start=1))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="{ns}">\n'
        "  <BkToCstmrStmt>\n"
        f"    <GrpHdr><MsgId>{escape(msg_id)}</MsgId><CreDtTm>{created}</CreDtTm></GrpHdr>\n"
        "    <Stmt>\n"
        f"      <Id>{escape(stmt_id)}</Id>\n"
        f"      <CreDtTm>{created}</CreDtTm>\n"
        f"      <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>KZT</Ccy></Acct>\n"
        '      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="KZT">0.00</Amt>'
        f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{created[:10]}</Dt></Dt></Bal>\n"
        f"{rows}"
        "    </Stmt>\n"
        "  </BkToCstmrStmt>\n"
        "</Document>\n"
    ).encode()


def _entry(e: E, index: int, version: int) -> str:
    status = f"<Sts><Cd>{e.status}</Cd></Sts>" if version >= 7 else f"<Sts>{e.status}</Sts>"
    line_ref = e.line_ref or f"BANK-{index:06d}"
    ntry_ref = f"<NtryRef>{escape(e.ntry_ref)}</NtryRef>" if e.ntry_ref else ""
    acct_svcr = "" if e.no_acct_svcr_ref else f"<AcctSvcrRef>{escape(line_ref)}</AcctSvcrRef>"
    rmt = ""
    if e.ustrd is not None:
        rmt += f"<Ustrd>{escape(e.ustrd)}</Ustrd>"
    if e.ref is not None:
        rmt += f"<Strd><CdtrRefInf><Ref>{escape(e.ref)}</Ref></CdtrRefInf></Strd>"
    details = f"<NtryDtls><TxDtls><RmtInf>{rmt}</RmtInf></TxDtls></NtryDtls>" if rmt else ""
    return (
        f"      <Ntry>{ntry_ref}<Amt Ccy={quoteattr(e.currency)}>{e.amount}</Amt>"
        f"<CdtDbtInd>{'CRDT' if e.credit else 'DBIT'}</CdtDbtInd>{status}"
        f"<BookgDt><Dt>{e.booked}</Dt></BookgDt><ValDt><Dt>{e.booked}</Dt></ValDt>"
        f"{acct_svcr}{_BKTXCD}{details}</Ntry>\n"
    )

"""Pay by reference, settled: importing the bank's camt.053 statement of the platform's account
and matching each line to an invoice; what cannot be matched is left for a finance officer
(`statement_line_resolve`).

Matching is never silent. A credit line is MATCHED only when it quotes exactly one valid
invoice number (check digits verified, so a typo never pays somebody else's fee) of a payment
due for exactly that amount and currency; the payment is then recorded as paid through
`services.payment_record_success`. Otherwise the line says why it waits for a person:

- UNMATCHED — no invoice number, a number whose check digits are wrong, one that no payment
  has, or several;
- MISMATCH — the invoice is known but the amount or currency differs (the payment stays
  unpaid);
- DUPLICATE — the invoice was already paid (or no longer due): the engine's double-payment rule
  returns the money, and the line names the refund;
- IGNORED — money out (debits), or an entry already recorded from an earlier statement (the
  bank's AcctSvcrRef is unique for the account).

The import is one transaction: the statement, its lines and the payments they pay are
committed together or not at all. The same file twice (same SHA-256, or same message and
statement ids) imports nothing and says so. Every import, refused or repeated, is audited.

Who: the platform's treasury — staff, or anyone holding the `treasury` role
(`permissions.TREASURY_ROLE`) in an organisation — imports statements and resolves lines, by a
note or by matching a line to any agency's invoice. A statement holds every agency's money, so
an agency's finance officer (`permissions.FINANCE_ROLE`) does neither: they see their own
agency's payments, and the lines that paid them, on the finance desk.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext

from qyzmet.audit.services import Kind, audit_record
from qyzmet.core.problem import FieldError, Problem, conflict, forbidden, not_found, validation

from . import camt053, permissions, services
from .models import BankStatement, Payment, PaymentAttempt, Refund, StatementLine
from .providers.base import SettlementLine, provider_get
from .providers.reference import ReferenceProvider

PROVIDER = "reference"
OPEN_STATES = (StatementLine.UNMATCHED, StatementLine.MISMATCH, StatementLine.DUPLICATE)

# What a line's note says, by case (English msgids; kk/ru in the catalogue). The note is written
# in the language of the person importing (or resolving), as a note they wrote would be.
NOTES = {
    "debit": gettext_noop("Money out of the account."),
    "no_reference": gettext_noop("No invoice number found in the payment details."),
    "check_digits": gettext_noop(
        "%(number)s looks like an invoice number, but its check digits are wrong (a typo?)."
    ),
    "unknown": gettext_noop("No invoice has the number %(number)s."),
    "several": gettext_noop("The payment details quote several invoices: %(numbers)s."),
    "amount": gettext_noop("Paid %(paid)s, but invoice %(number)s is for %(due)s."),
    "currency": gettext_noop("Paid in %(paid)s, but invoice %(number)s is due in %(due)s."),
    "recorded_before": gettext_noop(
        "This bank entry was already recorded from an earlier statement."
    ),
    "matched": gettext_noop("Invoice %(number)s paid."),
    "double": gettext_noop(
        "Invoice %(number)s was already paid; this money is returned (refund %(refund)s)."
    ),
    "not_due": gettext_noop(
        "Invoice %(number)s was no longer due (%(state)s); this money is returned (refund "
        "%(refund)s)."
    ),
}

# Digits, possibly written in groups with spaces or dashes ("0000 0001 7", "INV-1234-5678").
_DIGIT_RUN = re.compile(r"[0-9](?:[0-9\s\-\u00a0]*[0-9])?")
_GROUP_SPLIT = re.compile(r"[\s\-\u00a0]+")


# --- permissions ----------------------------------------------------------------------------


def user_may_import_statements(*, user: Any) -> bool:
    """The platform's treasury (staff or the treasury role): a statement of the platform's one
    account holds every agency's money, so no agency's finance officer imports or settles it."""
    return permissions.user_is_treasury(user=user)


# --- results --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ImportResult:
    statement_id: int
    created: bool  # False: this statement was imported before; nothing changed
    counts: dict[str, int]  # StatementLine state -> lines
    not_booked: int  # entries left out as not booked yet (only for a new import)

    @property
    def lines(self) -> int:
        return sum(self.counts.values())

    @property
    def to_resolve(self) -> int:
        return sum(self.counts.get(state, 0) for state in OPEN_STATES)

    @property
    def summary(self) -> str:
        """One sentence for the person who uploaded, in their language."""
        if not self.created:
            return gettext("This statement was imported before; nothing new was imported.")
        matched = self.counts.get(StatementLine.MATCHED, 0)
        text = ngettext(
            "%(lines)s line imported: %(matched)s paid an invoice, %(open)s to look at.",
            "%(lines)s lines imported: %(matched)s paid an invoice, %(open)s to look at.",
            self.lines,
        ) % {"lines": self.lines, "matched": matched, "open": self.to_resolve}
        if self.not_booked:
            text += " " + ngettext(
                "%(n)s entry not booked yet was left out.",
                "%(n)s entries not booked yet were left out.",
                self.not_booked,
            ) % {"n": self.not_booked}
        return text


def _counts(statement_id: int) -> dict[str, int]:
    rows = (
        StatementLine.objects.filter(statement_id=statement_id)
        .values("state").annotate(n=Count("id")).order_by()
    )
    return {row["state"]: row["n"] for row in rows}


# --- invoice numbers in what the payer wrote ------------------------------------------------


def _numbers_in(text: str) -> tuple[set[str], set[str]]:
    """(valid invoice numbers, twelve-digit numbers whose check digits fail) found in `text`.
    Tolerant of grouping (spaces, dashes), case and prefixes ("INV", "№"): a number is any
    window of consecutive digit groups of the invoice number's length, so "счёт № 4815 1623 4234"
    and "INV-481516234234" both read."""
    valid: set[str] = set()
    typos: set[str] = set()
    length = services.REFERENCE_LENGTH
    for run in _DIGIT_RUN.findall(text):
        groups = [g for g in _GROUP_SPLIT.split(run) if g]
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if len(digits) >= length:
                    break
            # Groups are never cut: fifteen digits written together are not a twelve-digit
            # number plus three, so nothing is guessed out of a longer number.
            if len(digits) != length:
                continue
            (valid if services.reference_valid(digits) else typos).add(digits)
    return valid, typos - valid


@dataclasses.dataclass(frozen=True)
class _Reading:
    payment: Payment | None
    note: str  # key of NOTES
    params: dict[str, str]


def _read_reference(remittance: tuple[str, ...], structured: int) -> _Reading:
    """The payment a line's remittance texts name. The structured creditor references (the
    first `structured` texts) are read first; the free text only when they name no invoice we
    have (a payer may fill the reference field with something else)."""
    parts = (remittance[:structured], remittance[structured:])
    typos: set[str] = set()
    unknown: _Reading | None = None
    for texts in parts:
        valid: set[str] = set()
        for text in texts:
            found, bad = _numbers_in(text)
            valid |= found
            typos |= bad
        if not valid:
            continue
        known = list(Payment.objects.filter(reference__in=valid))
        if len(known) == 1:
            return _Reading(known[0], "", {"number": known[0].reference})
        if len(known) > 1:
            numbers = ", ".join(sorted(p.reference for p in known))
            return _Reading(None, "several", {"numbers": numbers})
        if unknown is None:
            unknown = (
                _Reading(None, "unknown", {"number": next(iter(valid))}) if len(valid) == 1
                else _Reading(None, "several", {"numbers": ", ".join(sorted(valid))})
            )  # fmt: skip
    if unknown is not None:
        return unknown
    if typos:
        return _Reading(None, "check_digits", {"number": sorted(typos)[0]})
    return _Reading(None, "no_reference", {})


def _money(tiyn: int, currency: str) -> str:
    sign = "-" if tiyn < 0 else ""
    whole, part = divmod(abs(tiyn), 100)
    return f"{sign}{whole}.{part:02d} {currency}"


# A payment's state, in words, for a note.
STATE_WORDS = {
    Payment.EXPIRED: gettext_noop("it expired"),
    Payment.CANCELLED: gettext_noop("it was cancelled"),
    Payment.REFUNDED: gettext_noop("it was refunded"),
    Payment.PARTIALLY_REFUNDED: gettext_noop("it was partly refunded"),
    Payment.PAID: gettext_noop("it was paid"),
    Payment.AWAITING: gettext_noop("it is awaiting payment"),
}


def _note(key: str, params: dict[str, str]) -> str:
    text = gettext(NOTES[key])
    return text % params if params else text


# --- import ---------------------------------------------------------------------------------


def _platform_iban() -> str:
    provider = provider_get(PROVIDER)
    assert isinstance(provider, ReferenceProvider)
    return str(provider.option("iban")).replace(" ", "").upper()


def _external_ref(line: StatementLine, *, iban: str) -> str:
    """The bank entry's identity given to `payment_record_success` (its idempotency key): the
    bank's own reference is unique for the account, so the same entry in another statement is
    the same arrival; an entry reference (NtryRef) is unique only in its statement."""
    if line.line_ref.startswith("NtryRef:"):
        return f"{line.line_ref}@{line.statement_id}"
    return f"{line.line_ref}@{iban}"


def _arrival_key(external_ref: str) -> str:
    return f"{PROVIDER}:{external_ref}"[:80]  # as `services.payment_record_success` keys it


def _paid_at(line: StatementLine, booked_at: dt.datetime | None) -> dt.datetime:
    """When the money arrived: the booking time when the bank gives it, else the end of the
    booking day (never in the future): the day paid is what the deadline counts from."""
    if booked_at is not None:
        return booked_at
    end = dt.datetime.combine(line.booked_on, dt.time(23, 59, 59))
    return min(timezone.make_aware(end, timezone.get_default_timezone()), timezone.now())


def _wrong_account(found: str, expected: str) -> camt053.StatementInvalid:
    problem = camt053.StatementProblem(
        "wrong_account", "/Document/BkToCstmrStmt/Stmt/Acct/Id/IBAN", None,
        (("expected", expected), ("found", found)),
    )
    return camt053.StatementInvalid([problem])


def statement_import(*, actor: Any, filename: str, content: bytes) -> ImportResult:
    """Import one camt.053 file of the platform's account. Raises `StatementInvalid` (422,
    nothing stored) for a file that is not a valid statement of that account, `forbidden` for
    someone who is not of the platform's treasury."""
    if not user_may_import_statements(user=actor):
        raise forbidden(gettext("Only the platform's treasury imports bank statements."))
    sha256 = hashlib.sha256(content).hexdigest()
    filename = (filename or "")[:200]
    earlier = BankStatement.objects.filter(sha256=sha256).first()
    if earlier is not None:
        return _repeated(actor, earlier, filename=filename, sha256=sha256)
    try:
        parsed = camt053.statement_parse(content)
        expected = _platform_iban()
        if parsed.account_iban != expected:
            raise _wrong_account(parsed.account_iban, expected)
    except camt053.StatementInvalid as exc:
        audit_record(
            actor=actor,
            kind=Kind.SECURITY if any(p.code == "doctype" for p in exc.problems) else Kind.CHANGE,
            action="statement.refused", object_type="bank_statement", object_id="",
            data={"filename": filename, "sha256": sha256, "size": len(content),
                  "problems": [{"code": p.code, "path": p.path, "line": p.line}
                               for p in exc.problems[:20]]},
        )  # fmt: skip
        raise
    earlier = BankStatement.objects.filter(
        message_id=parsed.message_id, statement_id=parsed.statement_id
    ).first()
    if earlier is not None:
        return _repeated(actor, earlier, filename=filename, sha256=sha256)
    try:
        with transaction.atomic():
            statement = _store(actor, parsed, filename=filename, sha256=sha256, content=content)
    except IntegrityError:  # the same file imported at the same moment by someone else
        earlier = BankStatement.objects.filter(
            Q(sha256=sha256) | Q(message_id=parsed.message_id, statement_id=parsed.statement_id)
        ).first()
        if earlier is None:
            raise
        return _repeated(actor, earlier, filename=filename, sha256=sha256)
    return ImportResult(statement.pk, True, _counts(statement.pk), parsed.not_booked)


def _repeated(actor: Any, earlier: BankStatement, *, filename: str, sha256: str) -> ImportResult:
    audit_record(
        actor=actor, kind=Kind.CHANGE, action="statement.import_repeated",
        object_type="bank_statement", object_id=earlier.pk,
        data={"filename": filename, "sha256": sha256, "message_id": earlier.message_id,
              "statement_id": earlier.statement_id},
    )  # fmt: skip
    return ImportResult(earlier.pk, False, _counts(earlier.pk), 0)


def _store(actor: Any, parsed: camt053.Statement, *, filename: str, sha256: str,
           content: bytes) -> BankStatement:  # fmt: skip
    statement = BankStatement.objects.create(
        sha256=sha256,
        message_id=parsed.message_id,
        statement_id=parsed.statement_id,
        account_iban=parsed.account_iban,
        created_on=parsed.created_at,
        filename=filename,
        imported_by_id=getattr(actor, "pk", None),
        content=content,
    )
    for entry in parsed.entries:
        line = StatementLine(
            statement=statement,
            line_ref=entry.line_ref if entry.servicer_ref else f"NtryRef:{entry.line_ref}",
            booked_on=entry.booked_on,
            amount=entry.signed_amount,
            currency=entry.currency,
            reference_text=" | ".join(entry.remittance)[:140],
        )
        _match(line, entry, iban=parsed.account_iban)
    audit_record(
        actor=actor, kind=Kind.CHANGE, action="statement.imported",
        object_type="bank_statement", object_id=statement.pk,
        data={"filename": filename, "sha256": sha256, "message_id": parsed.message_id,
              "statement_id": parsed.statement_id, "version": parsed.version,
              "lines": len(parsed.entries), "not_booked": parsed.not_booked,
              "counts": _counts(statement.pk)},
    )  # fmt: skip
    return statement


def _match(line: StatementLine, entry: camt053.Entry, *, iban: str) -> None:
    """Decide one line's state (and record the payment it pays), then save it."""
    if not entry.credit:
        _finish(line, StatementLine.IGNORED, "debit", {})
        return
    if entry.servicer_ref and StatementLine.objects.filter(
        line_ref=line.line_ref, statement__account_iban=iban
    ).exclude(statement_id=line.statement_id).exists():
        _finish(line, StatementLine.IGNORED, "recorded_before", {})
        return
    reading = _read_reference(entry.remittance, entry.structured_refs)
    payment = reading.payment
    if payment is None:
        _finish(line, StatementLine.UNMATCHED, reading.note, reading.params)
        return
    line.payment = payment
    number = payment.reference
    if entry.currency != payment.currency:
        _finish(line, StatementLine.MISMATCH, "currency",
                {"number": number, "paid": entry.currency, "due": payment.currency})
        return
    if entry.amount != payment.amount:
        _finish(line, StatementLine.MISMATCH, "amount",
                {"number": number, "paid": _money(entry.amount, entry.currency),
                 "due": _money(payment.amount, payment.currency)})  # fmt: skip
        return
    external_ref = _external_ref(line, iban=iban)
    key = _arrival_key(external_ref)
    if PaymentAttempt.objects.filter(idempotency_key=key).exists():
        _finish(line, StatementLine.IGNORED, "recorded_before", {})
        return
    state, note, params = _record(payment, amount=entry.amount, currency=entry.currency,
                                  at=_paid_at(line, entry.booked_at), external_ref=external_ref)
    _finish(line, state, note, params)


def _record(payment: Payment, *, amount: int, currency: str, at: dt.datetime,
            external_ref: str) -> tuple[str, str, dict[str, str]]:  # fmt: skip
    """Record the arrival with the engine and say what it did: paid, or returned (double)."""
    try:
        services.payment_record_success(
            payment_id=payment.pk, provider=PROVIDER, amount=amount, currency=currency, at=at,
            external_ref=external_ref,
        )
    except Problem as exc:  # checked before; a concurrent change of the invoice ends here
        return StatementLine.MISMATCH, "amount", {
            "number": payment.reference, "paid": _money(amount, currency),
            "due": _money(payment.amount, payment.currency), "why": exc.code,
        }  # fmt: skip
    attempt = PaymentAttempt.objects.get(idempotency_key=_arrival_key(external_ref))
    if attempt.state == PaymentAttempt.SUCCEEDED:
        return StatementLine.MATCHED, "matched", {"number": payment.reference}
    refund = Refund.objects.filter(attempt=attempt, kind=Refund.DOUBLE).first()
    refund_id = str(refund.public_id) if refund else "?"
    if attempt.failure_code == "double_payment":
        return StatementLine.DUPLICATE, "double", {"number": payment.reference,
                                                   "refund": refund_id}
    state = Payment.objects.values_list("state", flat=True).get(pk=payment.pk)
    words = gettext(STATE_WORDS[state]) if state in STATE_WORDS else state
    return StatementLine.DUPLICATE, "not_due", {"number": payment.reference, "state": words,
                                                "refund": refund_id}


def _finish(line: StatementLine, state: str, note: str, params: dict[str, str]) -> None:
    line.state = state
    line.note = _note(note, {k: v for k, v in params.items() if k != "why"}) if note else ""
    line.save()


# --- a person decides -----------------------------------------------------------------------


def statement_line_resolve(*, actor: Any, line_id: int, payment_reference: str | None,
                           note: str) -> StatementLine:  # fmt: skip
    """The treasury settles a line the import left open: either matches it to the invoice
    `payment_reference` (the payment is recorded as paid — or, if it was paid meanwhile, the
    money is returned by the double-payment rule) or, with no reference, marks it resolved
    with `note` saying what was done (e.g. "returned to the payer by transfer 123"). Audited."""
    note = (note or "").strip()
    if not user_may_import_statements(user=actor):
        raise forbidden(gettext("Only the platform's treasury resolves statement lines."))
    if not note:
        raise validation([FieldError("/note", gettext("Say what was decided about this line."))])
    if payment_reference is not None and not services.reference_valid(payment_reference):
        raise validation([FieldError(
            "/payment_reference",
            gettext("This is not an invoice number: twelve digits with valid check digits."),
        )])
    with transaction.atomic():
        line = (
            StatementLine.objects.select_for_update().select_related("statement")
            .filter(pk=line_id).first()
        )
        if line is None:
            raise not_found("statement line")
        if line.state not in OPEN_STATES:
            raise conflict("statement_line_not_open", gettext(
                "This line is already settled; only open lines can be resolved."))
        before = line.state
        data: dict[str, Any] = {"line_ref": line.line_ref, "before": before, "note": note}
        if payment_reference is not None:
            data.update(_resolve_by_matching(actor, line, payment_reference))
        line.state = StatementLine.RESOLVED
        line.note = f"{line.note}\n{note}".strip() if line.note else note
        line.resolved_by_id = getattr(actor, "pk", None)
        line.resolved_at = timezone.now()
        line.save(update_fields=["state", "note", "resolved_by_id", "resolved_at", "payment"])
        audit_record(
            actor=actor, kind=Kind.DECISION, action="statement_line.resolved",
            object_type="statement_line", object_id=line.pk,
            subject_iin=line.payment.payer_iin if line.payment is not None else "",
            data={"statement": line.statement_id, **data},
        )  # fmt: skip
    return line


def _resolve_by_matching(actor: Any, line: StatementLine, reference: str) -> dict[str, Any]:
    payment = Payment.objects.filter(reference=services.reference_normalise(reference)).first()
    if payment is None:
        raise validation([FieldError("/payment_reference", gettext("No invoice has this number."))])
    if line.amount <= 0:
        raise conflict("statement_line_not_credit", gettext("Money out cannot pay an invoice."))
    if line.currency != payment.currency or line.amount != payment.amount:
        raise conflict(
            "statement_line_amount_differs",
            gettext("The line is %(paid)s but the invoice is %(due)s; resolve it with a note "
                    "instead.") % {"paid": _money(line.amount, line.currency),
                                   "due": _money(payment.amount, payment.currency)},
        )
    external_ref = _external_ref(line, iban=line.statement.account_iban)
    if PaymentAttempt.objects.filter(idempotency_key=_arrival_key(external_ref)).exists():
        raise conflict("statement_line_recorded",
                       gettext("This bank entry was already recorded."))
    state, note, params = _record(payment, amount=line.amount, currency=line.currency,
                                  at=_paid_at(line, None), external_ref=external_ref)
    line.payment = payment
    line.note = _note(note, {k: v for k, v in params.items() if k != "why"})
    return {"payment": payment.pk, "reference": payment.reference, "outcome": state}


# --- reading (the finance desk, the reconciliation) -----------------------------------------


def statement_settlement_lines(*, day: dt.date) -> list[SettlementLine]:
    """What the imported statements say was booked on `day`, as settlement lines for the daily
    reconciliation. A line that paid (or was matched to) an invoice carries the arrival's
    provider ref, so the engine finds that very attempt; otherwise `reference` is the payer's
    text (and the engine flags it). The same bank entry in two overlapping statements is one
    line."""
    lines = (
        StatementLine.objects.filter(booked_on=day).select_related("payment", "statement")
        .order_by("statement_id", "id")
    )
    seen: set[tuple[str, str]] = set()
    out: list[SettlementLine] = []
    for line in lines:
        key = (line.statement.account_iban, line.line_ref)
        if not line.line_ref.startswith("NtryRef:"):
            if key in seen:
                continue
            seen.add(key)
        external_ref = _external_ref(line, iban=line.statement.account_iban)
        out.append(SettlementLine(
            provider_ref=external_ref[:100] if line.payment_id else "",
            reference=line.payment.reference if line.payment is not None else line.reference_text,
            amount=line.amount,
            currency=line.currency,
            booked_on=line.booked_on,
            line_ref=line.line_ref,
        ))
    return out

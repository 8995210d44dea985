"""Importing camt.053 statements: each credit line matched to its invoice (and the payment
recorded as paid) or left for a finance officer with a reason — never a silent match — and the
same file twice importing nothing. Real database, real engine (`payment_record_success`)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from django.utils import translation

from qyzmet.audit.models import AuditEntry
from qyzmet.core.models import OutboxEvent
from qyzmet.core.problem import Problem
from qyzmet.payments import services
from qyzmet.payments.camt053 import StatementInvalid
from qyzmet.payments.models import BankStatement, Payment, PaymentAttempt, Refund, StatementLine
from qyzmet.payments.permissions import FINANCE_ROLE, TREASURY_ROLE
from qyzmet.payments.statements import statement_import
from tests.identity.factories import MembershipFactory, OrganisationFactory, UserFactory

from .camt_builder import E, camt053

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
_sources = itertools.count(1)


@pytest.fixture
def agency():
    return OrganisationFactory()


@pytest.fixture
def finance():
    """The platform's treasury imports statements and settles their lines (a statement holds
    every agency's money); the name is kept from when agencies' finance officers did."""
    return MembershipFactory(organisation=OrganisationFactory(), role=TREASURY_ROLE).user


@pytest.fixture
def citizen():
    return UserFactory()


@pytest.fixture
def invoice(agency, citizen):
    def make(amount: int = 250000, currency: str = "KZT") -> Payment:
        return services.payment_require(
            source_ref=f"application:{next(_sources)}", payer_id=citizen.pk,
            payer_iin=citizen.iin, agency_code=agency.code, service_code="passport",
            description={"kk": "Баж", "ru": "Пошлина", "en": "Duty"}, language="kk",
            amount=amount, currency=currency,
        )  # fmt: skip

    return make


def grouped(reference: str, sep: str = " ") -> str:
    return sep.join((reference[:4], reference[4:8], reference[8:]))


def typo(reference: str) -> str:
    """One digit mistyped (the fifth): the check digits must catch it."""
    digit = str((int(reference[4]) + 3) % 10)
    return reference[:4] + digit + reference[5:]


def lines(result) -> list[StatementLine]:
    return list(StatementLine.objects.filter(statement_id=result.statement_id).order_by("id"))


def fresh(payment: Payment) -> Payment:
    return Payment.objects.get(pk=payment.pk)


def test_credit_quoting_the_invoice_pays_it(finance, invoice):
    payment = invoice()
    result = statement_import(actor=finance, filename="day.xml",
                              content=camt053(E(amount="2500.00", ref=payment.reference)))
    assert result.created and result.counts == {StatementLine.MATCHED: 1}
    (line,) = lines(result)
    assert (line.payment_id, line.amount, line.currency) == (payment.pk, 250000, "KZT")
    assert payment.reference in line.note
    paid = fresh(payment)
    assert (paid.state, paid.amount_paid, paid.paid_via) == (Payment.PAID, 250000, "reference")
    assert paid.paid_at.date().isoformat() == "2026-03-02"
    assert OutboxEvent.objects.filter(topic="payment.succeeded").count() == 1
    entry = AuditEntry.objects.get(action="statement.imported")
    assert entry.actor_id == finance.pk
    assert entry.data["counts"] == {"matched": 1}
    statement = BankStatement.objects.get(pk=result.statement_id)
    assert (statement.message_id, statement.filename) == ("MSG-2026-03-02-1", "day.xml")
    assert bytes(statement.content).startswith(b"<?xml")


@pytest.mark.parametrize("write", [
    lambda ref: E(ustrd=ref),
    lambda ref: E(ustrd=f"INV{ref}"),
    lambda ref: E(ustrd=f"inv-{grouped(ref, '-')}"),
    lambda ref: E(ref=f"Inv {grouped(ref)}"),
    lambda ref: E(ustrd=f"Госпошлина, счёт № {grouped(ref)} за паспорт"),
    lambda ref: E(ustrd=f"Мемлекеттік баж\u00a0{grouped(ref, chr(0xa0))}"),
    # The payer's IIN beside it (twelve digits too, check digits failing or not known).
    lambda ref: E(ustrd=f"ИИН 900517300015 {grouped(ref)}"),
    # A structured reference wins over whatever the free text says.
    lambda ref: E(ref=ref, ustrd="INV 2718 2818 2898"),
])
def test_the_invoice_number_however_it_is_written(finance, invoice, write):
    payment = invoice()
    result = statement_import(actor=finance, filename="", content=camt053(write(payment.reference)))
    assert result.counts == {StatementLine.MATCHED: 1}
    assert fresh(payment).state == Payment.PAID


def test_old_version_statement_pays_too(finance, invoice):
    payment = invoice()
    content = camt053(E(amount="2500", ustrd=grouped(payment.reference)), version=2)
    assert statement_import(actor=finance, filename="", content=content).counts == {"matched": 1}
    assert fresh(payment).state == Payment.PAID


def test_same_file_twice_imports_nothing_new(finance, invoice):
    payment = invoice()
    content = camt053(E(ref=payment.reference), E(ustrd="no number"))
    first = statement_import(actor=finance, filename="a.xml", content=content)
    again = statement_import(actor=finance, filename="a-copy.xml", content=content)
    assert (first.created, again.created) == (True, False)
    assert again.statement_id == first.statement_id
    assert again.counts == first.counts == {"matched": 1, "unmatched": 1}
    assert "imported before" in again.summary or "бұрын" in again.summary
    assert BankStatement.objects.count() == 1 and StatementLine.objects.count() == 2
    assert PaymentAttempt.objects.filter(payment=payment).count() == 1
    assert not Refund.objects.exists()
    assert AuditEntry.objects.filter(action="statement.import_repeated").count() == 1


def test_same_statement_ids_in_another_file_imports_nothing(finance, invoice):
    """The bank sent the statement again, re-formatted: same message and statement ids."""
    payment = invoice()
    first = statement_import(actor=finance, filename="", content=camt053(E(ref=payment.reference)))
    reformatted = camt053(E(ref=payment.reference)).replace(b"\n", b"\r\n")
    again = statement_import(actor=finance, filename="", content=reformatted)
    assert not again.created and again.statement_id == first.statement_id
    assert BankStatement.objects.count() == 1


def test_unknown_invoice_left_for_a_person(finance, invoice):
    payment = invoice()
    unknown = "271828182898"  # valid check digits, nobody's invoice
    result = statement_import(actor=finance, filename="", content=camt053(E(ustrd=unknown)))
    (line,) = lines(result)
    assert (line.state, line.payment_id) == (StatementLine.UNMATCHED, None)
    assert unknown in line.note
    assert result.to_resolve == 1
    assert fresh(payment).state == Payment.AWAITING


def swap_neighbours(ref: str) -> str:
    """Two neighbouring digits swapped: the first pair that differs (a random invoice number
    may hold two equal digits side by side, whose swap would change nothing)."""
    i = next(i for i in range(len(ref) - 1) if ref[i] != ref[i + 1])
    return ref[:i] + ref[i + 1] + ref[i] + ref[i + 2:]


@pytest.mark.parametrize("mistake", [typo, swap_neighbours])
def test_check_digits_catch_a_typo(finance, invoice, mistake):
    payment = invoice()
    wrong = mistake(payment.reference)
    assert wrong != payment.reference and not services.reference_valid(wrong)
    result = statement_import(actor=finance, filename="", content=camt053(E(ustrd=wrong)))
    (line,) = lines(result)
    assert line.state == StatementLine.UNMATCHED and line.payment_id is None
    assert wrong in line.note
    assert fresh(payment).state == Payment.AWAITING


def test_no_number_at_all(finance):
    result = statement_import(actor=finance, filename="", content=camt053(E(ustrd="for passport")))
    (line,) = lines(result)
    assert line.state == StatementLine.UNMATCHED and line.reference_text == "for passport"


def test_two_invoices_quoted_is_not_guessed(finance, invoice):
    one, two = invoice(), invoice()
    content = camt053(E(ustrd=f"{one.reference} {two.reference}"))
    (line,) = lines(statement_import(actor=finance, filename="", content=content))
    assert line.state == StatementLine.UNMATCHED
    assert one.reference in line.note and two.reference in line.note
    assert fresh(one).state == fresh(two).state == Payment.AWAITING


@pytest.mark.parametrize("amount", ["2499.99", "2500.01", "250.00", "5000.00"])
def test_amount_that_differs_is_flagged_not_paid(finance, invoice, amount):
    payment = invoice()
    result = statement_import(actor=finance, filename="",
                              content=camt053(E(amount=amount, ref=payment.reference)))
    (line,) = lines(result)
    assert (line.state, line.payment_id) == (StatementLine.MISMATCH, payment.pk)
    assert amount in line.note and "2500.00" in line.note
    assert fresh(payment).state == Payment.AWAITING
    assert not PaymentAttempt.objects.filter(payment=payment).exists()


def test_other_currency_is_flagged_not_paid(finance, invoice):
    """The hand-written file: 25.00 USD quoting invoice 4815 1623 4234."""
    payment = invoice(amount=2500)  # 25.00 due, in tenge
    Payment.objects.filter(pk=payment.pk).update(reference="481516234234")
    content = (DATA / "camt053_currency_usd.xml").read_bytes()
    (line,) = lines(statement_import(actor=finance, filename="usd.xml", content=content))
    assert (line.state, line.payment_id, line.currency) == (StatementLine.MISMATCH, payment.pk,
                                                            "USD")
    assert "USD" in line.note and "KZT" in line.note
    assert fresh(payment).state == Payment.AWAITING


def test_debits_are_ignored(finance, invoice):
    payment = invoice()
    content = camt053(E(credit=False, ref=payment.reference), E(credit=False, ustrd="charges"))
    result = statement_import(actor=finance, filename="", content=content)
    assert result.counts == {StatementLine.IGNORED: 2}
    assert [line.amount for line in lines(result)] == [-250000, -250000]
    assert fresh(payment).state == Payment.AWAITING


def test_pending_entries_are_left_out_and_said(finance, invoice):
    payment = invoice()
    content = camt053(E(status="PDNG", ref=payment.reference), E(ustrd="x"))
    with translation.override("en"):
        result = statement_import(actor=finance, filename="", content=content)
        assert result.not_booked == 1 and result.lines == 1
        assert "1 entry not booked yet was left out" in result.summary
    assert fresh(payment).state == Payment.AWAITING


def test_hand_written_statement(finance, invoice):
    """The v08 sample: a structured reference, a Russian free text, bank charges, a pending
    entry. Its two invoices are given the sample's numbers."""
    first, second = invoice(amount=369200), invoice(amount=100000)
    Payment.objects.filter(pk=first.pk).update(reference="481516234234")
    Payment.objects.filter(pk=second.pk).update(reference="271828182898")
    content = (DATA / "camt053_v08_valid.xml").read_bytes()
    result = statement_import(actor=finance, filename="", content=content)
    states = [(line.line_ref, line.state) for line in lines(result)]
    assert states == [
        ("KKMF2026030200001", StatementLine.MATCHED),
        ("KKMF2026030200002", StatementLine.MISMATCH),  # 1383.50 paid, 1000.00 due
        ("KKMF2026030200003", StatementLine.IGNORED),
    ]
    assert result.not_booked == 1
    assert (fresh(first).state, fresh(second).state) == (Payment.PAID, Payment.AWAITING)


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Runs what the engine does after commit (sending the automatic refund)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_paid_twice_is_a_duplicate_and_refunded(finance, invoice, run_on_commit):
    payment = invoice()
    statement_import(actor=finance, filename="",
                     content=camt053(E(ref=payment.reference, line_ref="B-1")))
    with run_on_commit():
        result = statement_import(
            actor=finance, filename="",
            content=camt053(E(ref=payment.reference, line_ref="B-2"), msg_id="M-2", stmt_id="S-2"),
        )
    (line,) = lines(result)
    assert (line.state, line.payment_id) == (StatementLine.DUPLICATE, payment.pk)
    refund = Refund.objects.get(payment=payment)
    assert (refund.kind, refund.amount) == (Refund.DOUBLE, 250000)
    assert str(refund.public_id) in line.note
    # Pay by reference sends no money back itself: a bank transfer, pending, for the officer.
    assert refund.state == Refund.PENDING and refund.provider_ref.startswith("bank-transfer:")
    paid = fresh(payment)
    assert (paid.state, paid.amount_paid, paid.amount_refunded) == (Payment.PAID, 250000, 0)


def test_paid_by_card_then_at_the_bank_is_a_duplicate(finance, invoice):
    payment = invoice()
    services.payment_record_success(payment_id=payment.pk, provider="sandbox", amount=250000,
                                    currency="KZT", at=payment.created_at, external_ref="card-1")
    (line,) = lines(statement_import(actor=finance, filename="",
                                     content=camt053(E(ref=payment.reference))))
    assert line.state == StatementLine.DUPLICATE
    assert Refund.objects.get(payment=payment).kind == Refund.DOUBLE


def test_paid_after_expiry_is_returned(finance, invoice):
    payment = invoice()
    Payment.objects.filter(pk=payment.pk).update(state=Payment.EXPIRED)
    with translation.override("en"):
        (line,) = lines(statement_import(actor=finance, filename="",
                                         content=camt053(E(ref=payment.reference))))
    assert line.state == StatementLine.DUPLICATE
    assert "no longer due (it expired)" in line.note
    assert fresh(payment).state == Payment.EXPIRED
    assert Refund.objects.get(payment=payment).kind == Refund.DOUBLE


def test_same_bank_entry_in_a_later_statement_is_not_paid_twice(finance, invoice):
    """Statements that overlap: the bank's own reference (AcctSvcrRef) is the same entry."""
    payment, other = invoice(), invoice()
    statement_import(actor=finance, filename="",
                     content=camt053(E(ref=payment.reference, line_ref="B-1")))
    later = camt053(E(ref=payment.reference, line_ref="B-1"), E(ustrd="x", line_ref="B-9"),
                    msg_id="M-2", stmt_id="S-2")
    result = statement_import(actor=finance, filename="", content=later)
    assert [line.state for line in lines(result)] == [StatementLine.IGNORED,
                                                      StatementLine.UNMATCHED]
    assert not Refund.objects.exists()
    assert fresh(other).state == Payment.AWAITING


def test_entry_reference_lines_are_told_apart_per_statement(finance, invoice):
    """An NtryRef is unique only in its statement: "1" tomorrow is another entry."""
    a, b = invoice(), invoice()
    statement_import(actor=finance, filename="", content=camt053(
        E(ref=a.reference, no_acct_svcr_ref=True, ntry_ref="1")))
    result = statement_import(actor=finance, filename="", content=camt053(
        E(ref=b.reference, no_acct_svcr_ref=True, ntry_ref="1"), msg_id="M-2", stmt_id="S-2"))
    (line,) = lines(result)
    assert (line.line_ref, line.state) == ("NtryRef:1", StatementLine.MATCHED)
    assert fresh(a).state == fresh(b).state == Payment.PAID


def test_statement_of_another_account_refused(finance, invoice):
    payment = invoice()
    content = camt053(E(ref=payment.reference), iban="KZ12345KZT0000000001")
    with pytest.raises(StatementInvalid) as caught:
        statement_import(actor=finance, filename="", content=content)
    assert [p.code for p in caught.value.problems] == ["wrong_account"]
    assert "KZ12345KZT0000000001" in caught.value.problems[0].message
    assert not BankStatement.objects.exists()
    assert fresh(payment).state == Payment.AWAITING
    assert AuditEntry.objects.filter(action="statement.refused").count() == 1


def test_platform_account_from_settings(finance, invoice, settings):
    settings.QYZMET_PAYMENT_PROVIDERS = {
        **settings.QYZMET_PAYMENT_PROVIDERS, "reference": {"iban": "KZ12345KZT0000000001"},
    }
    payment = invoice()
    content = camt053(E(ref=payment.reference), iban="KZ12345KZT0000000001")
    assert statement_import(actor=finance, filename="", content=content).counts == {"matched": 1}
    with pytest.raises(StatementInvalid):
        statement_import(actor=finance, filename="", content=camt053(E(), msg_id="other"))


@pytest.mark.parametrize("name, kind", [
    ("camt053_xxe.xml", AuditEntry.Kind.SECURITY),
    ("camt053_billion_laughs.xml", AuditEntry.Kind.SECURITY),
    ("camt053_truncated.xml", AuditEntry.Kind.CHANGE),
    ("camt053_amount_3_decimals.xml", AuditEntry.Kind.CHANGE),
    ("camt053_duplicate_entry.xml", AuditEntry.Kind.CHANGE),
])
def test_bad_file_stores_nothing_and_is_audited(finance, invoice, name, kind):
    payment = invoice()
    Payment.objects.filter(pk=payment.pk).update(reference="481516234234")
    with pytest.raises(StatementInvalid):
        statement_import(actor=finance, filename=name, content=(DATA / name).read_bytes())
    assert not BankStatement.objects.exists() and not StatementLine.objects.exists()
    assert fresh(payment).state == Payment.AWAITING
    entry = AuditEntry.objects.get(action="statement.refused")
    assert (entry.kind, entry.data["filename"], entry.actor_id) == (kind, name, finance.pk)


def test_only_the_treasury_imports(citizen, agency, invoice):
    """A statement holds every agency's money: even the invoice's own agency's finance officer
    may not import it; the treasury role (in any organisation) and staff may."""
    officer = MembershipFactory(organisation=agency, role="officer").user
    agency_finance = MembershipFactory(organisation=agency, role=FINANCE_ROLE).user
    content = camt053(E(ref=invoice().reference))
    for who in (None, citizen, officer, agency_finance):
        with pytest.raises(Problem) as caught:
            statement_import(actor=who, filename="", content=content)
        assert caught.value.status == 403
    assert not BankStatement.objects.exists()
    staff = UserFactory(is_staff=True)
    assert statement_import(actor=staff, filename="", content=content).created


def test_summary_in_the_uploaders_language(finance, invoice):
    content = camt053(E(ref=invoice().reference), E(ustrd="?"), E(credit=False))
    with translation.override("ru"):
        summary = statement_import(actor=finance, filename="", content=content).summary
    assert "3" in summary and "1" in summary
    assert "оплатил" in summary or "строк" in summary


def test_settlement_lines_for_the_reconciliation(finance, invoice):
    from qyzmet.payments.providers.base import provider_get

    payment = invoice()
    statement_import(actor=finance, filename="", content=camt053(
        E(ref=payment.reference, line_ref="B-1"), E(ustrd="who?", line_ref="B-2", amount="1.00"),
        E(credit=False, line_ref="B-3", booked="2026-03-03"),
    ))
    import datetime as dt

    # An overlapping statement repeats B-1: still one settlement line.
    statement_import(actor=finance, filename="", content=camt053(
        E(ref=payment.reference, line_ref="B-1"), msg_id="M-2", stmt_id="S-2"))
    settled = provider_get("reference").settlement(dt.date(2026, 3, 2))
    assert [(s.line_ref, s.reference, s.amount) for s in settled] == [
        ("B-1", payment.reference, 250000), ("B-2", "who?", 100),
    ]
    attempt = PaymentAttempt.objects.get(payment=payment)
    assert [s.provider_ref for s in settled] == [attempt.provider_ref, ""]
    assert [s.amount for s in provider_get("reference").settlement(dt.date(2026, 3, 3))] == [
        -250000
    ]


@pytest.mark.django_db(transaction=True)
def test_same_file_uploaded_twice_at_once(finance, invoice):
    """Two officers upload the same file at the same instant, each on its own connection: one
    import, the other told it was imported; the invoice paid once, nothing refunded."""
    import threading

    from django.db import connection, connections

    payment = invoice()
    content = camt053(E(ref=payment.reference))
    barrier = threading.Barrier(2)
    results: list = []
    errors: list = []

    def upload() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(statement_import(actor=finance, filename="", content=content))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    if errors and connection.vendor == "sqlite":
        pytest.skip(f"SQLite refused concurrent writers: {errors[0]!r}")
    assert not errors, errors
    assert sorted(r.created for r in results) == [False, True]
    assert len({r.statement_id for r in results}) == 1
    assert BankStatement.objects.count() == 1 and StatementLine.objects.count() == 1
    assert fresh(payment).state == Payment.PAID
    assert not Refund.objects.exists()


def test_free_text_read_when_the_structured_reference_is_nobodys(finance, invoice):
    payment = invoice()
    content = camt053(E(ref="271828182898", ustrd=f"for invoice {payment.reference}"))
    assert statement_import(actor=finance, filename="", content=content).counts == {"matched": 1}


def test_a_longer_number_is_not_cut_into_an_invoice_number(finance, invoice):
    payment = invoice()
    content = camt053(E(ustrd=f"{payment.reference}999"))
    (line,) = lines(statement_import(actor=finance, filename="", content=content))
    assert line.state == StatementLine.UNMATCHED
    assert fresh(payment).state == Payment.AWAITING


def test_reconciliation_of_a_statement_day(finance, invoice):
    """The engine's daily reconciliation reads the statements through the provider: the paid
    line reconciles, the unmatched one is flagged."""
    import datetime as dt

    payment = invoice()
    statement_import(actor=finance, filename="", content=camt053(
        E(ref=payment.reference, line_ref="B-1"), E(ustrd="who?", line_ref="B-2", amount="1.00")))
    run = services.reconcile_day(day=dt.date(2026, 3, 2))
    flagged = [m for m in run.mismatches if m.get("provider") == "reference"]
    assert [(m["kind"], m["line_ref"]) for m in flagged] == [("missing_on_platform", "B-2")]

"""A finance officer settles the lines an import left open: matches one to its invoice by hand
(the payment is recorded through the engine) or marks it resolved with a note. Audited, and
only by finance officers (for a match: of the invoice's agency)."""

from __future__ import annotations

import itertools

import pytest

from qyzmet.audit.models import AuditEntry
from qyzmet.core.problem import Problem
from qyzmet.payments import services
from qyzmet.payments.models import Payment, Refund, StatementLine
from qyzmet.payments.permissions import FINANCE_ROLE, TREASURY_ROLE
from qyzmet.payments.statements import statement_import, statement_line_resolve
from tests.identity.factories import MembershipFactory, OrganisationFactory, UserFactory

from .camt_builder import E, camt053

pytestmark = pytest.mark.django_db
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
def invoice(agency):
    citizen = UserFactory()

    def make(amount: int = 250000) -> Payment:
        return services.payment_require(
            source_ref=f"application:r{next(_sources)}", payer_id=citizen.pk,
            payer_iin=citizen.iin, agency_code=agency.code, service_code="passport",
            description={"en": "Duty"}, language="en", amount=amount,
        )  # fmt: skip

    return make


def one_line(finance, entry: E, **kwargs) -> StatementLine:
    result = statement_import(actor=finance, filename="", content=camt053(entry, **kwargs))
    return StatementLine.objects.get(statement_id=result.statement_id)


def typo(reference: str) -> str:
    return reference[:3] + str((int(reference[3]) + 1) % 10) + reference[4:]


def problem_of(call) -> Problem:
    with pytest.raises(Problem) as caught:
        call()
    return caught.value


def test_match_a_typo_by_hand(finance, invoice):
    payment = invoice()
    line = one_line(finance, E(ustrd=typo(payment.reference)))
    assert line.state == StatementLine.UNMATCHED
    resolved = statement_line_resolve(actor=finance, line_id=line.pk,
                                      payment_reference=f"INV {payment.reference}"[4:],
                                      note="Teller mistyped one digit; payer confirmed by phone.")
    assert (resolved.state, resolved.payment_id) == (StatementLine.RESOLVED, payment.pk)
    assert resolved.resolved_by_id == finance.pk and resolved.resolved_at is not None
    assert "payer confirmed" in resolved.note
    paid = Payment.objects.get(pk=payment.pk)
    assert (paid.state, paid.paid_via, paid.amount_paid) == (Payment.PAID, "reference", 250000)
    entry = AuditEntry.objects.get(action="statement_line.resolved")
    assert entry.kind == AuditEntry.Kind.DECISION and entry.actor_id == finance.pk
    assert entry.data["outcome"] == StatementLine.MATCHED
    assert entry.data["before"] == StatementLine.UNMATCHED
    assert entry.subject_iin == payment.payer_iin


def test_resolve_with_a_note_only(finance, invoice):
    payment = invoice()
    line = one_line(finance, E(amount="2000.00", ref=payment.reference))
    assert line.state == StatementLine.MISMATCH
    resolved = statement_line_resolve(actor=finance, line_id=line.pk, payment_reference=None,
                                      note="Returned to the payer, transfer 88 of 5 March.")
    assert resolved.state == StatementLine.RESOLVED
    assert "transfer 88" in resolved.note
    assert Payment.objects.get(pk=payment.pk).state == Payment.AWAITING
    assert AuditEntry.objects.get(action="statement_line.resolved").data["before"] == "mismatch"


def test_matching_to_an_invoice_already_paid_returns_the_money(finance, invoice):
    payment = invoice()
    line = one_line(finance, E(ustrd="no number"))
    services.payment_record_success(payment_id=payment.pk, provider="sandbox", amount=250000,
                                    currency="KZT", at=payment.created_at, external_ref="c-1")
    resolved = statement_line_resolve(actor=finance, line_id=line.pk,
                                      payment_reference=payment.reference, note="Found it.")
    assert resolved.state == StatementLine.RESOLVED
    assert Refund.objects.get(payment=payment).kind == Refund.DOUBLE
    entry = AuditEntry.objects.get(action="statement_line.resolved")
    assert entry.data["outcome"] == StatementLine.DUPLICATE


def test_only_open_lines(finance, invoice):
    payment = invoice()
    matched = one_line(finance, E(ref=payment.reference))
    problem = problem_of(lambda: statement_line_resolve(
        actor=finance, line_id=matched.pk, payment_reference=None, note="x"))
    assert (problem.status, problem.code) == (409, "statement_line_not_open")
    debit = one_line(finance, E(credit=False, line_ref="B-2"), msg_id="M-2", stmt_id="S-2")
    assert problem_of(lambda: statement_line_resolve(
        actor=finance, line_id=debit.pk, payment_reference=None, note="x")).status == 409
    # Resolved once is resolved.
    open_line = one_line(finance, E(ustrd="?", line_ref="B-3"), msg_id="M-3", stmt_id="S-3")
    statement_line_resolve(actor=finance, line_id=open_line.pk, payment_reference=None, note="a")
    assert problem_of(lambda: statement_line_resolve(
        actor=finance, line_id=open_line.pk, payment_reference=None, note="b")).status == 409


def test_a_note_is_required(finance):
    line = one_line(finance, E(ustrd="?"))
    problem = problem_of(lambda: statement_line_resolve(
        actor=finance, line_id=line.pk, payment_reference=None, note="   "))
    assert problem.status == 422 and problem.errors[0].pointer == "/note"
    assert StatementLine.objects.get(pk=line.pk).state == StatementLine.UNMATCHED


def test_invoice_number_checked(finance, invoice):
    payment = invoice()
    line = one_line(finance, E(ustrd="?"))
    bad = problem_of(lambda: statement_line_resolve(
        actor=finance, line_id=line.pk, payment_reference=typo(payment.reference), note="x"))
    assert bad.status == 422 and bad.errors[0].pointer == "/payment_reference"
    nobody = problem_of(lambda: statement_line_resolve(
        actor=finance, line_id=line.pk, payment_reference="271828182898", note="x"))
    assert nobody.status == 422
    assert Payment.objects.get(pk=payment.pk).state == Payment.AWAITING


def test_amount_must_be_the_invoices(finance, invoice):
    payment = invoice()
    line = one_line(finance, E(amount="2000.00", ustrd="?"))
    problem = problem_of(lambda: statement_line_resolve(
        actor=finance, line_id=line.pk, payment_reference=payment.reference, note="x"))
    assert (problem.status, problem.code) == (409, "statement_line_amount_differs")
    assert Payment.objects.get(pk=payment.pk).state == Payment.AWAITING
    assert StatementLine.objects.get(pk=line.pk).state == StatementLine.UNMATCHED


def test_who_may_resolve(finance, invoice, agency):
    payment = invoice()
    line = one_line(finance, E(ustrd="?"))
    officer = MembershipFactory(organisation=agency, role="officer").user
    # Not even the invoice's own agency's finance officer: a statement line is the platform's
    # account's, and a line that names nobody may be any agency's money.
    own_finance = MembershipFactory(organisation=agency, role=FINANCE_ROLE).user
    elsewhere = MembershipFactory(organisation=OrganisationFactory(), role=FINANCE_ROLE).user
    for who in (None, UserFactory(), officer, own_finance, elsewhere):
        assert problem_of(lambda who=who: statement_line_resolve(
            actor=who, line_id=line.pk, payment_reference=None, note="x")).status == 403
        assert problem_of(lambda who=who: statement_line_resolve(
            actor=who, line_id=line.pk, payment_reference=payment.reference,
            note="x")).status == 403
    assert StatementLine.objects.get(pk=line.pk).state == StatementLine.UNMATCHED
    assert Payment.objects.get(pk=payment.pk).state == Payment.AWAITING
    assert not AuditEntry.objects.filter(action="statement_line.resolved").exists()


def test_unknown_line(finance):
    assert problem_of(lambda: statement_line_resolve(
        actor=finance, line_id=987654, payment_reference=None, note="x")).status == 404

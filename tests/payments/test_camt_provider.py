"""The pay-by-reference provider: no hosted page, always pending until a statement says
otherwise, refunds as pending bank transfers, no webhooks; bank details from settings."""

from __future__ import annotations

import pytest
from django.utils import translation

from qyzmet.payments.providers.base import (
    PENDING,
    CreateRequest,
    ProviderRefused,
    RefundRequest,
    WebhookRejected,
    provider_get,
)
from qyzmet.payments.providers.reference import DEMO_OPTIONS, ReferenceProvider


def request(**changes) -> CreateRequest:
    fields = dict(idempotency_key="attempt-1", reference="481516234234", amount=250000,
                  currency="KZT", description="Duty", language="kk",
                  return_url="http://x/back", webhook_url="http://x/hook")  # fmt: skip
    fields.update(changes)
    return CreateRequest(**fields)


def test_create_shows_instructions_not_a_page():
    provider = ReferenceProvider()
    assert provider.hosted is False
    created = provider.create(request())
    assert created.next_url == ""
    assert created.provider_ref.startswith("481516234234:250000:KZT:")
    assert len(created.provider_ref) <= 100
    # The same request is the same attempt; another key another.
    assert provider.create(request()).provider_ref == created.provider_ref
    other = provider.create(request(idempotency_key="attempt-2"))
    assert other.provider_ref != created.provider_ref
    with pytest.raises(ProviderRefused):
        provider.create(request(amount=0))


def test_status_is_pending_with_the_amount():
    provider = ReferenceProvider()
    ref = provider.create(request()).provider_ref
    status = provider.status(ref)
    assert (status.outcome, status.amount, status.currency) == (PENDING, 250000, "KZT")
    with pytest.raises(ProviderRefused):
        provider.status("something else")


def test_refund_is_a_pending_bank_transfer():
    result = ReferenceProvider().refund(RefundRequest(
        idempotency_key="refund-1", provider_ref="x", amount=100, currency="KZT", reason="r"))
    assert result.outcome == PENDING and result.refund_ref.startswith("bank-transfer:")
    again = ReferenceProvider().refund(RefundRequest(
        idempotency_key="refund-1", provider_ref="x", amount=100, currency="KZT", reason="r"))
    assert again.refund_ref == result.refund_ref


def test_no_webhooks():
    with pytest.raises(WebhookRejected):
        ReferenceProvider().webhook_parse(body=b"{}", headers={})


def test_instructions_demo_values_and_settings(settings):
    demo = provider_get("reference").instructions(reference="481516234234", amount=250000,
                                                  currency="KZT", language="ru")
    assert (demo.iban, demo.bic, demo.reference) == (DEMO_OPTIONS["iban"], "KKMFKZ2A",
                                                     "481516234234")
    assert "Платформа" in demo.beneficiary
    settings.QYZMET_PAYMENT_PROVIDERS = {"reference": {
        "iban": "KZ12345KZT0000000001", "beneficiary": "Agency X", "bic": "HSBKKZKX"}}
    with translation.override("kk"):
        mine = provider_get("reference").instructions(reference="1", amount=1, currency="KZT",
                                                      language="kk")
    assert (mine.iban, mine.bic, mine.beneficiary) == ("KZ12345KZT0000000001", "HSBKKZKX",
                                                       "Agency X")
    assert mine.knp == DEMO_OPTIONS["knp"]


@pytest.mark.django_db
def test_invoice_shown_then_paid_by_statement():
    """The payer chooses pay by reference (an attempt with no page), pays at a bank, the
    statement is imported: the payment is paid and the invoice attempt closed."""
    from qyzmet.payments import services
    from qyzmet.payments.models import Payment, PaymentAttempt
    from qyzmet.payments.permissions import TREASURY_ROLE
    from qyzmet.payments.statements import statement_import
    from tests.identity.factories import MembershipFactory, OrganisationFactory, UserFactory

    from .camt_builder import E, camt053

    agency, payer = OrganisationFactory(), UserFactory()
    payment = services.payment_require(
        source_ref="application:ref-1", payer_id=payer.pk, payer_iin=payer.iin,
        agency_code=agency.code, service_code="passport", description={"en": "Duty"},
        language="en", amount=250000,
    )  # fmt: skip
    attempt = services.attempt_start(actor=payer, payment_public_id=payment.public_id,
                                     provider="reference", idempotency_key="click-1",
                                     return_url="http://x/back")  # fmt: skip
    assert (attempt.state, attempt.next_url) == (PaymentAttempt.PENDING, "")
    assert attempt.provider_ref.startswith(f"{payment.reference}:250000:KZT:")
    treasury = MembershipFactory(organisation=OrganisationFactory(), role=TREASURY_ROLE).user
    statement_import(actor=treasury, filename="", content=camt053(E(ref=payment.reference)))
    assert Payment.objects.get(pk=payment.pk).state == Payment.PAID
    attempt.refresh_from_db()
    assert (attempt.state, attempt.failure_code) == (PaymentAttempt.EXPIRED, "paid_otherwise")

"""The receipt of a paid fee: a signed, verifiable PDF issued once, from `payment.succeeded`."""

from __future__ import annotations

import pytest

from qyzmet.documents.models import Document
from qyzmet.payments import receipts
from qyzmet.payments.models import Payment
from tests.payments.engine_world import post_webhook, require, start

pytestmark = pytest.mark.django_db


def test_a_paid_fee_gets_one_receipt_owned_by_the_payer(
    provider, django_capture_on_commit_callbacks
):
    payment = require(
        amount=1_730_000,
        amount_before_exemption=3_460_000,
        exemption={
            "code": "large_family",
            "label": {"kk": "Көпбалалы отбасы", "ru": "Многодетная семья", "en": "Large family"},
        },
    )
    attempt = start(payment)
    provider.pay(attempt.provider_ref)
    body, headers = provider.webhook(attempt.provider_ref)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(body, headers).status_code == 200
    payment.refresh_from_db()
    document = Document.objects.get(source_ref=f"payment:{payment.pk}")
    assert payment.receipt_document_id == str(document.public_id)
    assert document.owner_iin == payment.payer_iin and document.language == "ru"
    assert document.title["ru"] == "Квитанция об оплате" and document.pdf
    fields = document.printed_fields
    assert fields["Номер счёта"] == payment.reference
    assert fields["Услуга"] == "Паспорт"
    assert fields["Оплаченная сумма"] == "17\u00a0300\u00a0₸"
    assert fields["Сумма до льготы"] == "34\u00a0600\u00a0₸"
    assert fields["Льгота"] == "Многодетная семья"
    assert fields["Способ оплаты"] == "Онлайн-оплата"  # the test acquirer has no label of its own
    assert payment.reference in document.body_text

    # Issued again (a redelivered event, a retried task): the same document, no second one.
    assert receipts.receipt_issue(payment_id=payment.pk) == str(document.public_id)
    assert Document.objects.filter(source_ref=f"payment:{payment.pk}").count() == 1


def test_no_receipt_for_an_unpaid_payment(provider):
    payment = require()
    assert receipts.receipt_issue(payment_id=payment.pk) == ""
    assert not Document.objects.exists()
    assert Payment.objects.get(pk=payment.pk).receipt_document_id == ""

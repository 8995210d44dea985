"""The citizen's payment pages × anonymous, the payer, another citizen and an officer of the
agency the fee is for. Only the payer sees a payment, its invoice, its return page and its
receipt, or may start paying it; to everyone else (the agency's officer included: the finance
desk is theirs) it does not exist (404, never 403). The card acquirer is unreachable here, so
the payer's card start fails safely (nothing charged) and returns to the payment's page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from qyzmet.applications import services as app_services
from qyzmet.payments.selectors import payment_by_public_id
from qyzmet.payments.services import payment_record_success
from tests.portal.factories import catalog_loaded, citizen, officer
from tests.security import matrix

ACTORS = ("anonymous", "citizen_b", "officer", "citizen_a")  # the payer last: she changes state
KEY = {"key": "matrix-form-key-0123456789abcdef"}
PASSPORT_DATA = {
    "reason": "expired",
    "collection_office": "Алматы, Бостандық ауданының ХҚКО",
    "personal_attendance": True,
}


@dataclass
class World:
    users: dict
    ids: dict


@pytest.fixture
def world(db, settings, django_capture_on_commit_callbacks) -> World:
    settings.QYZMET_PAYMENT_PROVIDERS = {
        "sandbox": {"base_url": "http://127.0.0.1:9", "secret": "s", "timeout": 1},
        "reference": {},
    }
    catalog_loaded()
    a = citizen(birth_date=dt.date(1990, 3, 3), sex="F")
    clerk = officer("kz-mvd-migration")
    with django_capture_on_commit_callbacks(execute=True):
        due, _ = app_services.application_submit(
            actor=a, service_code="kz.passport", data=dict(PASSPORT_DATA), language="kk"
        )
        paid, _ = app_services.application_submit(
            actor=a, service_code="kz.passport", data=dict(PASSPORT_DATA, reason="pages_full"),
            language="kk",
        )  # fmt: skip
    paid.refresh_from_db()
    due.refresh_from_db()
    payment = payment_by_public_id(public_id=paid.payment_public_id)
    with django_capture_on_commit_callbacks(execute=True):
        payment_record_success(
            payment_id=payment.id, provider="reference", amount=payment.amount,
            currency=payment.currency, at=timezone.now(), external_ref="matrix-line",
        )  # fmt: skip
    assert payment_by_public_id(public_id=paid.payment_public_id).receipt_document_id
    return World(
        users={"citizen_a": a, "citizen_b": citizen(), "officer": clerk},
        ids={"due": due.payment_public_id, "paid": paid.payment_public_id},
    )


def _expect(anonymous, citizen_b, officer, citizen_a):
    return list(zip(ACTORS, (anonymous, citizen_b, officer, citizen_a), strict=True))


# (kind, method, path, body, expectations)
MATRIX = [
    ("page", "get", "/my/payments/", None, _expect(302, 200, 200, 200)),
    ("page", "get", "/my/payments/{due}/", None, _expect(302, 404, 404, 200)),
    ("page", "get", "/my/payments/{paid}/", None, _expect(302, 404, 404, 200)),
    ("page", "post", "/my/payments/{due}/card/", KEY, _expect(302, 404, 404, 302)),
    ("page", "get", "/my/payments/{due}/card/", None, _expect(302, 405, 405, 405)),
    ("page", "get", "/my/payments/{due}/invoice/", None, _expect(302, 404, 404, 200)),
    ("page", "post", "/my/payments/{due}/invoice/", KEY, _expect(302, 404, 404, 302)),
    ("page", "get", "/my/payments/{paid}/return/", None, _expect(302, 404, 404, 200)),
    ("page", "get", "/my/payments/{due}/return/", None, _expect(302, 404, 404, 302)),
    ("page", "get", "/my/payments/{paid}/receipt.pdf", None, _expect(302, 404, 404, 200)),
    ("page", "get", "/my/payments/{due}/receipt.pdf", None, _expect(302, 404, 404, 404)),
]


@pytest.mark.parametrize("row", MATRIX, ids=matrix.row_ids(MATRIX))
def test_authorization(world, row):
    got, expected = matrix.statuses(world.users, world.ids, row)
    assert got == expected

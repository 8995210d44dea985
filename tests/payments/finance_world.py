"""A small world for the finance desk tests: two agencies, their finance officers, a treasurer,
a citizen and officers of another kind, and payments made through the real engine (fees
required with `payment_require`, paid with `payment_record_success` as a bank statement would).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from django.test import Client
from django.utils import timezone

from qyzmet.payments import services
from qyzmet.payments.finance import TREASURY_ROLE
from qyzmet.payments.models import Payment
from qyzmet.payments.permissions import FINANCE_ROLE
from tests.portal.factories import agency, citizen, officer

OWN = "kz-mvd-migration"
OTHER = "kz-health"
_sources = itertools.count(1)
_arrivals = itertools.count(1)


def require(*, payer, agency_code: str = OWN, amount: int = 1_730_000,
            service_code: str = "kz.passport") -> Payment:  # fmt: skip
    return services.payment_require(
        source_ref=f"application:{700000 + next(_sources)}", payer_id=payer.pk,
        payer_iin=payer.iin, agency_code=agency_code, service_code=service_code,
        description={"kk": "Төлқұжат бажы", "ru": "Пошлина за паспорт", "en": "Passport duty"},
        language="kk", amount=amount,
    )  # fmt: skip


def pay(payment: Payment, *, at: dt.datetime | None = None) -> Payment:
    return services.payment_record_success(
        payment_id=payment.pk, provider="reference", amount=payment.amount, currency="KZT",
        at=at or timezone.now(), external_ref=f"finance-test-{next(_arrivals)}",
    )  # fmt: skip


@dataclass
class World:
    users: dict
    paid: Payment
    unpaid: Payment
    other_paid: Payment
    ids: dict = field(default_factory=dict)


def world_make() -> World:
    agency(OWN)
    agency(OTHER)
    payer = citizen()
    users = {
        "citizen": payer,
        "finance": officer(OWN, FINANCE_ROLE),
        "finance_2": officer(OWN, FINANCE_ROLE),
        "finance_other": officer(OTHER, FINANCE_ROLE),
        "officer_other": officer(OTHER, "officer"),
        "treasury": officer("kz-gov-corp", TREASURY_ROLE),
    }
    paid = pay(require(payer=payer))
    unpaid = require(payer=payer, amount=250_000)
    other_paid = pay(require(payer=payer, agency_code=OTHER, service_code="kz.other"))
    return World(users, paid, unpaid, other_paid)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client

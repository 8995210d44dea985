"""The finance desk and the payments API: every page and operation × anonymous, a citizen, an
officer of another agency, a finance officer of the payments' agency and the platform's treasury.

Anonymous readers go to sign in (pages) or get 401 (API); a citizen and another agency's officer
get 403; the finance officer gets in, sees only their agency's payments and refunds (another
agency's is 404, not told apart from absent) and meets the services' own refusals (400/422) for
incomplete input. Bank statements, their lines and the reconciliation hold every agency's money:
they are the treasury's (every agency's payments too), and 403 to an agency's finance officer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from qyzmet.payments import services
from qyzmet.payments.finance import statement_get
from qyzmet.payments.statements import statement_import
from tests.payments.camt_builder import E, camt053
from tests.payments.finance_world import world_make
from tests.security import matrix

ACTORS = ("anonymous", "citizen", "officer_other", "finance", "treasury")


@dataclass
class World:
    users: dict
    ids: dict


@pytest.fixture
def world(db, settings) -> World:
    settings.QYZMET_REFUND_FOUR_EYES_TIYN = 100_000
    w = world_make()
    refund = services.refund_request(
        actor=w.users["finance_2"], payment_public_id=w.paid.public_id, amount=500_000,
        reason="Refused application", idempotency_key="authz-refund",
    )  # fmt: skip
    result = statement_import(actor=w.users["treasury"], filename="s.xml",
                              content=camt053(E(amount="10.00", ustrd="nobody's invoice")))
    _row, lines = statement_get(statement_id=result.statement_id)  # one line, left open
    services.reconcile_day(day=dt.date(2026, 3, 2))
    return World(
        users=w.users,
        ids={"paid": str(w.paid.public_id), "other": str(w.other_paid.public_id),
             "refund": str(refund.public_id), "statement": result.statement_id, "line": lines[0].id,
             "day": "2026-03-02", "missing_day": "2026-03-03"},
    )  # fmt: skip


def _expect(*statuses, order=None):
    return matrix.expect(ACTORS, statuses, order)


# A row whose finance officer's request changes state (deciding a refund) lists them last.
FINANCE_LAST = ("anonymous", "citizen", "officer_other", "treasury", "finance")


PAGE = _expect(302, 403, 403, 200, 200)
API = _expect(401, 403, 403, 200, 200)
# The platform's account (statements, their lines, reconciliation): the treasury's alone.
TREASURY_PAGE = _expect(302, 403, 403, 403, 200)
TREASURY_API = _expect(401, 403, 403, 403, 200)
F = "/backoffice/finance"
A = "/api/v1"

# (kind, method, path, body, expectations)
MATRIX = [
    ("page", "get", f"{F}/", None, PAGE),
    ("page", "get", f"{F}/payments.csv", None, PAGE),
    ("page", "get", f"{F}/payments/{{paid}}/", None, PAGE),
    ("page", "get", f"{F}/payments/{{other}}/", None, _expect(302, 403, 403, 404, 200)),
    # No reason given: the form comes back with the problem (400). The treasury reads every
    # agency's payments but refunds and decides none (no role in the agency): the services
    # answer 404 once the input is complete.
    ("page", "post", f"{F}/payments/{{paid}}/refund/", {"scope": "full"},
     _expect(302, 403, 403, 400, 400)),
    ("page", "post", f"{F}/payments/{{other}}/refund/", {"scope": "full", "reason": "x"},
     _expect(302, 403, 403, 404, 404)),
    ("page", "get", f"{F}/refunds/", None, PAGE),
    # Neither approve nor reject chosen: 400.
    ("page", "post", f"{F}/refunds/{{refund}}/decide/", {},
     _expect(302, 403, 403, 400, 400)),
    ("page", "get", f"{F}/statements/", None, TREASURY_PAGE),
    # A PDF is not a statement: 422 with the problems named.
    ("page", "post", f"{F}/statements/upload/", "FILE", _expect(302, 403, 403, 403, 422)),
    ("page", "get", f"{F}/statements/{{statement}}/", None, TREASURY_PAGE),
    ("page", "get", f"{F}/statements/lines/", None, TREASURY_PAGE),
    ("page", "get", f"{F}/statements/lines/{{line}}/", None, TREASURY_PAGE),
    # No note: 400 with the problem.
    ("page", "post", f"{F}/statements/lines/{{line}}/", {"how": "note"},
     _expect(302, 403, 403, 403, 400)),
    ("page", "get", f"{F}/reconciliation/", None, TREASURY_PAGE),
    ("page", "get", f"{F}/reconciliation/{{day}}/", None, TREASURY_PAGE),
    ("page", "post", f"{F}/reconciliation/run/", {"day": "2026-03-01"},
     _expect(302, 403, 403, 403, 302)),
    ("page", "get", f"{F}/revenue/", None, PAGE),
    ("page", "get", f"{F}/revenue/agency.png", None, PAGE),
    ("api", "get", f"{A}/payments", None, API),
    ("api", "get", f"{A}/payments/statements", None, TREASURY_API),
    ("api", "post", f"{A}/payments/statements", "FILE", _expect(401, 403, 403, 403, 422)),
    ("api", "get", f"{A}/payments/reconciliation/{{day}}", None, TREASURY_API),
    ("api", "get", f"{A}/payments/reconciliation/{{missing_day}}", None,
     _expect(401, 403, 403, 403, 404)),
    ("api", "get", f"{A}/payments/{{paid}}", None, API),
    ("api", "get", f"{A}/payments/{{other}}", None, _expect(401, 403, 403, 404, 200)),
    # Without the Idempotency-Key header: 422 naming it (the role is checked first).
    ("api", "post", f"{A}/payments/{{paid}}/refunds", {"amount": 100, "reason": "x"},
     _expect(401, 403, 403, 422, 422)),
    ("api", "post", f"{A}/refunds/{{refund}}/reject", {"note": "Not refundable"},
     _expect(401, 403, 403, 200, 404, order=FINANCE_LAST)),
    ("api", "post", f"{A}/refunds/{{refund}}/approve", None,
     _expect(401, 403, 403, 200, 404, order=FINANCE_LAST)),
]


@pytest.mark.parametrize("row", MATRIX, ids=matrix.row_ids(MATRIX))
def test_authorization(world, row):
    got, expected = matrix.statuses(world.users, world.ids, row)
    assert got == expected


def test_the_finance_officer_of_another_agency_sees_nothing_of_this_one(world):
    """Scope, not just the role: a finance officer of agency B gets 404 for agency A's payment
    and its refund, and agency A's payment is not in their list."""
    users = {"finance_other": world.users["finance_other"]}
    rows = [
        ("page", "get", f"{F}/payments/{{paid}}/", None, [("finance_other", 404)]),
        ("api", "get", f"{A}/payments/{{paid}}", None, [("finance_other", 404)]),
        ("api", "post", f"{A}/refunds/{{refund}}/approve", None, [("finance_other", 404)]),
    ]
    for row in rows:
        got, expected = matrix.statuses(users, world.ids, row)
        assert got == expected, row
    client = matrix.client_for(users, "finance_other", "api")
    listed = client.get(f"{A}/payments").json()["items"]
    assert world.ids["paid"] not in {p["public_id"] for p in listed}

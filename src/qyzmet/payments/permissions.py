"""Who may do what with payments, by name (`payments.refund`), as the roles people hold in an
agency (`identity` memberships) grant it. Checked at the edge (pages, API) to show or hide an
action, and again inside the services for the object: the permission counts only in the agency
that owns the payment, so an officer of agency A never refunds agency B's fee."""

from __future__ import annotations

from typing import Any

from qyzmet.identity.selectors import user_roles

VIEW = "payments.view"  # see the agency's payments, refunds and reconciliation
REFUND = "payments.refund"  # ask for a refund
APPROVE_REFUND = "payments.approve_refund"  # approve (or reject) a refund above the threshold

# The role an agency gives the people of its finance desk.
FINANCE_ROLE = "finance_officer"
PERMISSION_ROLES: dict[str, frozenset[str]] = {
    VIEW: frozenset({"officer", "head", FINANCE_ROLE}),
    REFUND: frozenset({"officer", "head", FINANCE_ROLE}),
    APPROVE_REFUND: frozenset({"head", FINANCE_ROLE}),
}


def user_may(*, user: Any, permission: str, agency_code: str) -> bool:
    """Whether `user` holds `permission` in the agency `agency_code`."""
    held = user_roles(user=user).get(agency_code, set())
    return bool(held & PERMISSION_ROLES[permission])


def agencies_where(*, user: Any, permission: str) -> set[str]:
    """The agencies in which `user` holds `permission` (e.g. the finance desk's scope)."""
    wanted = PERMISSION_ROLES[permission]
    return {code for code, roles in user_roles(user=user).items() if roles & wanted}

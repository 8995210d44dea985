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
# The platform's own finance people (the role in any organisation): a bank statement of the
# platform's account holds every agency's money, so importing statements, settling their lines
# and the reconciliation are theirs (and staff's), never one agency's finance officer's.
TREASURY_ROLE = "treasury"
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


def user_is_treasury(*, user: Any) -> bool:
    """Staff, or someone holding the treasury role in any organisation: the people who may see
    and settle the platform's bank statements and its reconciliation."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_staff", False):
        return True
    return any(TREASURY_ROLE in roles for roles in user_roles(user=user).values())

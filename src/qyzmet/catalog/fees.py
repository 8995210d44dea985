"""What an applicant pays for a service: the package's fee on a day, less an exemption the
registry facts give them.

A fee is data (`fee` in the package, see docs/service-packages.md): a fixed amount in tiyn or a
number of monthly calculation indices (MCI), whose value per year is country pack data
(`countries/kz/mci.yaml`). Exemptions are decided only from facts the package already reads as
evidence — never from something the citizen types — so the same facts that the citizen signs
decide what they pay, and an officer can see why. Everything is integer tiyn (Decimal on the
way, exact); the validator refuses a package whose fee would ever be a fraction of a tiyn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .package import Exemption, FeeRule, ServicePackage, Text


@dataclass(frozen=True)
class FeeQuote:
    """The amount due (after the exemption) and, for the citizen's and the officer's eyes, the
    full fee and the exemption that applied ({code, label{kk,ru,en}} or None)."""

    amount: int
    currency: str
    amount_before_exemption: int
    exemption: dict[str, Any] | None = None

    @property
    def is_free(self) -> bool:
        return self.amount == 0

    @property
    def exempted(self) -> bool:
        return self.exemption is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON for storage with the application (and the payment's request)."""
        return {
            "amount": self.amount,
            "currency": self.currency,
            "amount_before_exemption": self.amount_before_exemption,
            "exemption": self.exemption,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeeQuote:
        exemption = data.get("exemption")
        return cls(
            amount=int(data["amount"]),
            currency=str(data["currency"]),
            amount_before_exemption=int(data.get("amount_before_exemption", data["amount"])),
            exemption=dict(exemption) if exemption else None,
        )


def _field(facts: Mapping[str, Any], evidence: str, path: str) -> Any:
    node: Any = facts.get(evidence)
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _age_on(birth: Any, day: dt.date) -> int | None:
    try:
        born = dt.date.fromisoformat(str(birth)[:10])
    except ValueError:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def rule_holds(rule: FeeRule, *, facts: Mapping[str, Any], on: dt.date) -> bool:
    """Whether the registry facts (`{evidence name: fact}`) satisfy the rule on day `on`. A fact
    that is absent or of the wrong kind never satisfies a test: an exemption the facts do not
    show is not given (the citizen can still ask the agency)."""
    if rule.all:
        return all(rule_holds(r, facts=facts, on=on) for r in rule.all)
    if rule.any:
        return any(rule_holds(r, facts=facts, on=on) for r in rule.any)
    value = _field(facts, rule.evidence, rule.field)
    if value is None:
        return False
    if rule.test == "age_at_least":
        age = _age_on(value, on)
        return age is not None and age >= int(rule.value)
    if rule.test == "count_at_least":
        if isinstance(value, list | tuple):
            return len(value) >= int(rule.value)
        return isinstance(value, int) and not isinstance(value, bool) and value >= rule.value
    if rule.test == "equals":
        return value == rule.value
    return False


def _exemption_json(exemption: Exemption) -> dict[str, Any]:
    return {"code": exemption.code, "label": Text(exemption.label).as_dict()}


def fee_quote(*, package: ServicePackage, facts: Mapping[str, Any], on: dt.date) -> FeeQuote:
    """The fee of `package` for an applicant whose registry facts are `facts` (the evidence as
    read for the application: `{evidence name: fact}`), on day `on` (the MCI of that year).
    Of the exemptions that apply, the one leaving the least to pay (the first, on a tie)."""
    fee = package.fee
    full = fee.amount_on(on)
    best: tuple[int, Exemption] | None = None
    if full:
        for exemption in fee.exemptions:
            if not rule_holds(exemption.when, facts=facts, on=on):
                continue
            due = full * exemption.pays_percent // 100
            if best is None or due < best[0]:
                best = (due, exemption)
    if best is None:
        return FeeQuote(amount=full, currency=fee.currency, amount_before_exemption=full)
    return FeeQuote(
        amount=best[0],
        currency=fee.currency,
        amount_before_exemption=full,
        exemption=_exemption_json(best[1]),
    )

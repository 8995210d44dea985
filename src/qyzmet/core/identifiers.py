"""The national identifiers of people (IIN) and organisations (BIN): a registration point.

The platform checks identifiers everywhere (sign-in, registration, registry reads) but their
rules are a country's: the country pack registers its checks from its app's `ready()` with
`identifier_rules_register`, so the platform never imports the pack (the pack depends on the
platform, never the reverse). The names IIN and BIN are the platform's for "person's number"
and "organisation's number", as in the models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Check = Callable[[str], str]


class InvalidIdentifier(ValueError):
    """The number is malformed; `reason` says how, in words a person understands."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IdentifierRules:
    """A country's checks: each returns the number normalised, or raises InvalidIdentifier."""

    iin: Check
    bin: Check
    # A valid organisation number made from a seed, the same for the same seed (demo data).
    demo_bin: Callable[[str], str]


_rules: IdentifierRules | None = None


def identifier_rules_register(rules: IdentifierRules) -> None:
    """Install the country's identifier checks (one country per deployment: the last wins)."""
    global _rules
    _rules = rules


def _installed() -> IdentifierRules:
    if _rules is None:
        # A deployment without a country pack cannot tell a valid number from a typo: refuse
        # rather than accept everything.
        raise RuntimeError("No country pack has registered its identifier rules (IIN/BIN).")
    return _rules


def iin_validate(iin: str) -> str:
    """Return the person's number normalised if valid, else raise InvalidIdentifier."""
    return _installed().iin(iin)


def bin_validate(bin_: str) -> str:
    """Return the organisation's number normalised if valid, else raise InvalidIdentifier."""
    return _installed().bin(bin_)


def demo_bin(seed: str) -> str:
    """A valid organisation number, stable for `seed`: for demo organisations."""
    return _installed().demo_bin(seed)

"""A registry client for the "registry down" tests, chosen through the documented seam
(`settings.QYZMET_REGISTRY_CLIENT = STUB`): the real gateway client, except that the registries
named in `RegistryDownClient.down` do not answer (`RegistryUnavailable`), as a registry whose
server is down would. Every call is recorded (registry, fact, subject, purpose, actor's IIN), and
`during_fetch` lets a test run something while a read is in flight (a second sweep)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from qyzmet.exchange.registry_client import GatewayRegistryClient, RegistryUnavailable

STUB = "tests.applications.registry_stub.RegistryDownClient"

# What the "registry down" tests submit: the address certificate (population register), and the
# sole-proprietor registration (population and legal-entity registers).
DATA = {"purpose": "bank", "comment": "Ипотека"}
IE = "kz.ie-registration"
IE_DATA = {"business_name": "Әлем", "activity_code": "47190", "tax_regime": "simplified",
           "business_address": "Астана, Абай 1"}  # fmt: skip


class RegistryDownClient:
    down: ClassVar[set[str]] = set()
    calls: ClassVar[list[dict[str, Any]]] = []
    during_fetch: ClassVar[Callable[[], None] | None] = None

    @classmethod
    def reset(cls, *down: str) -> None:
        cls.down = set(down)
        cls.calls = []
        cls.during_fetch = None

    def fetch(
        self,
        *,
        registry: str,
        fact: str,
        subject: str,
        purpose: str,
        actor: Any | None,
        fields: list[str] | None = None,
    ) -> dict:
        type(self).calls.append({
            "registry": registry, "fact": fact, "subject": subject, "purpose": purpose,
            "actor": getattr(actor, "iin", None),
        })  # fmt: skip
        hook, type(self).during_fetch = type(self).during_fetch, None
        if hook is not None:
            hook()
        if registry in type(self).down:
            raise RegistryUnavailable(f"The registry “{registry}” is not answering.")
        return GatewayRegistryClient().fetch(
            registry=registry, fact=fact, subject=subject, purpose=purpose, actor=actor,
            fields=fields,
        )  # fmt: skip

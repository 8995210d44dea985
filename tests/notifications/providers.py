"""Test stand-ins for outside SMS providers (the real-world side of the channel contract)."""

from __future__ import annotations

from qyzmet.notifications.channels import SmsDeliveryFailed


class DownSmsProvider:
    """A provider that is always unreachable."""

    calls = 0

    def send(self, *, phone: str, text: str, secret: str = "") -> str:
        type(self).calls += 1
        raise SmsDeliveryFailed("provider unreachable")

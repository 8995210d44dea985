"""The HTTP witness: each head POSTed as JSON to another server's API (a second Qyzmet
installation, a monitor run by an oversight body). Any 2xx answer is success; the receiver must
answer 2xx to the same document twice and may refuse a different one for a known size."""

from __future__ import annotations

from typing import Any

import httpx

from .base import Witness, WitnessFailed, head_bytes, register


@register("http")
class HttpWitness(Witness):
    def __init__(
        self, *, url: str, token: str = "", timeout: float = 10.0, name: str = ""
    ) -> None:
        super().__init__(url=url, name=name)
        self.url = url
        self.token = token
        self.timeout = timeout

    def where(self) -> str:
        return self.url

    def publish(self, head: dict[str, Any]) -> None:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = httpx.post(
                self.url, content=head_bytes(head), headers=headers, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise WitnessFailed(f"{self.name}: {exc}") from exc
        if not response.is_success:
            raise WitnessFailed(f"{self.name}: HTTP {response.status_code}")

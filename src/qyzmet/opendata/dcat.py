"""The DCAT-AP catalogue (placeholder until the graph builder lands)."""

from __future__ import annotations


def catalog_serialised(*, fmt: str, base_url: str) -> tuple[bytes, str]:
    raise NotImplementedError

"""Broken and valid packages for the catalog tests, built from the shipped reference package so
each test changes exactly one thing."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from qyzmet.catalog.validation import package_file_load, package_file_name

KZ_SERVICES = Path(settings.PACKAGE_DIR) / "countries" / "kz" / "services"
REFERENCE = KZ_SERVICES / "address-certificate.v1.yaml"


def shipped_versions(name: str) -> list[int]:
    """The versions of a shipped package by its file name stem (`address-certificate`), in
    order: a package corrected by a new version does not need its tests rewritten."""
    return sorted(int(p.stem.rsplit(".v", 1)[1]) for p in KZ_SERVICES.glob(f"{name}.v*.yaml"))


def package_data(**changes: Any) -> dict[str, Any]:
    """The reference package (deep copy) with top-level keys replaced. Version 1 was published
    before refusals were coded; today a package that refuses lists its grounds, so the copy
    carries those of the newest version (it is written as a package of today)."""
    data, errors = package_file_load(REFERENCE)
    assert data is not None and not errors
    data = copy.deepcopy(data)
    newest = shipped_versions("address-certificate")[-1]
    current, errors = package_file_load(KZ_SERVICES / f"address-certificate.v{newest}.yaml")
    assert current is not None and not errors
    data["refusal_grounds"] = copy.deepcopy(current["refusal_grounds"])
    data.update(changes)
    return data


def package_write(directory: Path, data: dict[str, Any], name: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (name or package_file_name(data["code"], data["version"]))
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path

"""Kazakh tells an application («өтінім») from an appeal («өтініш»): the newest version of every
online service package says «өтінім» in each of its Kazakh notifications (older versions stay as
published, for the applications pinned to them)."""

from __future__ import annotations

from qyzmet.catalog.validation import packages_collect
from tests.catalog.factories import KZ_SERVICES


def test_newest_packages_call_the_application_otinim_in_kazakh():
    collected = packages_collect(dirs=[KZ_SERVICES])
    assert collected.errors == []
    newest: dict[str, dict] = {}
    for package in collected.packages:
        data = package.data
        if data["version"] > newest.get(data["code"], {}).get("version", 0):
            newest[data["code"]] = data
    online = {code: data for code, data in newest.items() if data.get("notifications")}
    assert len(online) >= 10
    wrong = sorted(
        f"{code} v{data['version']} {kind}: {texts['kk']}"
        for code, data in online.items()
        for kind, texts in data["notifications"].items()
        if "өтініш" in texts["kk"] or ("{number}" in texts["kk"] and "өтінім" not in texts["kk"])
    )
    assert wrong == []

"""Kazakh tells an application («өтінім») from an appeal («өтініш»): the current version of every
online service says «өтінім» in each of its Kazakh notifications (older versions stay as
published, for the applications pinned to them)."""

from __future__ import annotations

import pytest

from qyzmet.catalog.selectors import service_current
from qyzmet.catalog.services import catalog_sync
from tests.catalog.factories import KZ_SERVICES


@pytest.mark.django_db
def test_current_services_call_the_application_otinim_in_kazakh():
    current = catalog_sync(dirs=[KZ_SERVICES]).current  # the catalogue's own choice of current
    online = [found for code in current if (found := service_current(code=code)) is not None]
    assert len(online) >= 10
    wrong = sorted(
        f"{service.code} v{service.version} {kind}: {texts['kk']}"
        for service in online
        for kind, texts in service.package.notifications.items()
        if "өтініш" in texts["kk"] or ("{number}" in texts["kk"] and "өтінім" not in texts["kk"])
    )
    assert wrong == []

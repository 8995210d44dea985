"""Loading packages into the database: idempotent, immutable versions, the newest is current."""

from __future__ import annotations

import pytest

from qyzmet.catalog.selectors import service_current, service_version, service_versions
from qyzmet.catalog.services import PackageInvalid, catalog_sync
from qyzmet.core.problem import Problem

from .factories import KZ_SERVICES, package_data, package_write, shipped_versions

pytestmark = pytest.mark.django_db


def test_sync_loads_the_shipped_services_and_is_idempotent():
    first = catalog_sync(dirs=[KZ_SERVICES])
    assert len(first.created) >= 7
    shipped = shipped_versions("address-certificate")
    assert len(shipped) >= 2 and first.current["kz.address-certificate"] == shipped[-1]
    second = catalog_sync(dirs=[KZ_SERVICES])
    assert second.created == ()
    assert second.unchanged == len(first.created)
    assert second.current == first.current
    assert [s.version for s in service_versions(code="kz.address-certificate")] == shipped


def test_changed_content_of_a_published_version_is_refused(tmp_path):
    package_write(tmp_path, package_data())
    catalog_sync(dirs=[tmp_path])
    changed = package_data()
    changed["fee"]["amount"] = 500
    package_write(tmp_path, changed)
    with pytest.raises(PackageInvalid) as exc:
        catalog_sync(dirs=[tmp_path])
    [error] = exc.value.errors
    assert "already published with different content" in error.reason
    assert service_current(code="kz.address-certificate").package.fee.amount == 0


def test_an_invalid_package_refuses_the_whole_sync(tmp_path):
    package_write(tmp_path, package_data())
    package_write(tmp_path, package_data(code="kz.other", agency="kz-nowhere"))
    with pytest.raises(PackageInvalid) as exc:
        catalog_sync(dirs=[tmp_path])
    assert [e.pointer for e in exc.value.errors] == ["/agency"]
    assert service_current(code="kz.address-certificate") is None


def test_a_new_version_becomes_current_and_the_old_stays_retrievable(tmp_path):
    package_write(tmp_path, package_data())
    catalog_sync(dirs=[tmp_path])
    v1 = service_current(code="kz.address-certificate")
    assert v1.version == 1 and v1.is_current

    newer = package_data(version=2)
    newer["fee"]["amount"] = 100
    package_write(tmp_path, newer)
    report = catalog_sync(dirs=[tmp_path])
    assert report.created == ("kz.address-certificate v2",)

    current = service_current(code="kz.address-certificate")
    assert (current.version, current.package.fee.amount) == (2, 100)
    pinned = service_version(version_id=v1.id)
    assert (pinned.version, pinned.package.fee.amount, pinned.is_current) == (1, 0, False)


def test_a_code_without_files_is_withdrawn_but_kept(tmp_path):
    package_write(tmp_path / "a", package_data())
    catalog_sync(dirs=[tmp_path / "a"])
    old = service_current(code="kz.address-certificate")
    (tmp_path / "b").mkdir()
    report = catalog_sync(dirs=[tmp_path / "b"])
    assert report.withdrawn == ("kz.address-certificate",)
    assert service_current(code="kz.address-certificate") is None
    assert service_version(version_id=old.id).code == "kz.address-certificate"


def test_unknown_version_id_is_a_404_problem():
    with pytest.raises(Problem) as exc:
        service_version(version_id=987654)
    assert exc.value.status == 404


def test_parsed_packages_are_cached_per_version(django_assert_num_queries):
    catalog_sync(dirs=[KZ_SERVICES])
    first = service_current(code="kz.birth-registration")
    with django_assert_num_queries(1):
        again = service_current(code="kz.birth-registration")
    assert again.package is first.package

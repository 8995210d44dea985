"""Writes of the catalog: loading service packages into the database.

Versions are immutable. A (code, version) already in the database must come back byte-for-byte
the same (by canonical checksum) or the sync refuses: editing a published version would change
the rules under applications already pinned to it. A change is a new file with a new version
number; the highest version of each code becomes current, and old versions stay forever.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from qyzmet.core.events import event_publish

from .models import ServiceVersion
from .validation import LoadedPackage, PackageError, packages_collect

EVENT_VERSION_PUBLISHED = "catalog.version_published"


class PackageInvalid(Exception):
    """One or more packages are broken; `errors` says where and why."""

    def __init__(self, errors: Iterable[PackageError]) -> None:
        self.errors = list(errors)
        lines = "\n".join(str(e) for e in self.errors)
        super().__init__(f"{len(self.errors)} service package error(s):\n{lines}")


@dataclass(frozen=True)
class SyncReport:
    created: tuple[str, ...] = ()
    unchanged: int = 0
    current: dict[str, int] = field(default_factory=dict)
    withdrawn: tuple[str, ...] = ()

    def summary(self) -> str:
        return (
            f"{len(self.current)} service(s) current, {len(self.created)} version(s) added, "
            f"{self.unchanged} unchanged, {len(self.withdrawn)} withdrawn"
        )


def _row_for(package: LoadedPackage) -> ServiceVersion:
    data = package.data
    return ServiceVersion(
        code=package.code,
        version=package.version,
        package=data,
        checksum=package.checksum,
        agency_code=data["agency"],
        source_file=package.path.name,
    )


@transaction.atomic
def catalog_sync(*, dirs: Iterable[Path | str] | None = None) -> SyncReport:
    """Load every package of `dirs` (default: settings.QYZMET_SERVICE_PACKAGE_DIRS).

    All or nothing: any invalid package, or any published version whose content changed, raises
    `PackageInvalid` and nothing is written. Idempotent: a second run with the same files
    changes nothing. A code with no file any more is withdrawn (no current version), but its
    rows stay for the applications pinned to them."""
    collected = packages_collect(dirs=dirs)
    if collected.errors:
        raise PackageInvalid(collected.errors)

    packages = collected.packages
    existing = {
        (row.code, row.version): row
        for row in ServiceVersion.objects.select_for_update().only(
            "id", "code", "version", "checksum", "is_current"
        )
    }
    changed = [
        PackageError(
            str(p.path),
            "",
            f"{p.code} v{p.version} is already published with different content; versions are "
            f"immutable, publish the change as version {p.version + 1} (or higher)",
        )
        for p in packages
        if (p.code, p.version) in existing and existing[(p.code, p.version)].checksum != p.checksum
    ]
    if changed:
        raise PackageInvalid(changed)

    created: list[ServiceVersion] = []
    for package in packages:
        if (package.code, package.version) not in existing:
            row = _row_for(package)
            row.save(force_insert=True)
            created.append(row)
            existing[(row.code, row.version)] = row

    target: dict[str, int] = {}
    for package in packages:
        target[package.code] = max(target.get(package.code, 0), package.version)
    # Clear the flags first: the partial unique index allows one current row per code.
    stale = [
        row.pk
        for (code, version), row in existing.items()
        if row.is_current and target.get(code) != version
    ]
    ServiceVersion.objects.filter(pk__in=stale).update(is_current=False)
    fresh = [
        row.pk
        for (code, version), row in existing.items()
        if target.get(code) == version and not row.is_current
    ]
    ServiceVersion.objects.filter(pk__in=fresh).update(is_current=True)
    withdrawn = sorted(
        {code for (code, _), row in existing.items() if row.is_current and code not in target}
    )

    for row in created:
        event_publish(
            topic=EVENT_VERSION_PUBLISHED,
            payload={"code": row.code, "version": row.version, "version_id": row.pk},
        )
    return SyncReport(
        created=tuple(f"{row.code} v{row.version}" for row in created),
        unchanged=len(packages) - len(created),
        current=dict(sorted(target.items())),
        withdrawn=tuple(withdrawn),
    )

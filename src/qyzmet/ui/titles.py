"""Presentation helpers shared by the portal and the back office: the current language and the
service titles of a page of applications."""

from __future__ import annotations

from django.utils.translation import get_language

from qyzmet.catalog.package import ServicePackage, lang_normalise
from qyzmet.catalog.selectors import service_version
from qyzmet.core.problem import Problem


def current_lang() -> str:
    return lang_normalise(get_language())


class PackageTitles:
    """Service titles for a list of applications: one catalog read per distinct version, not per
    row (a citizen's or an inbox's page usually holds one or two versions)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._packages: dict[int, ServicePackage] = {}

    def package(self, version_id: int) -> ServicePackage:
        if version_id not in self._packages:
            self._packages[version_id] = service_version(version_id=version_id).package
        return self._packages[version_id]

    def title(self, version_id: int) -> str:
        try:
            return self.package(version_id).title(self.lang)
        except Problem:
            return ""

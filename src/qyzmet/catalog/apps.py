import os
import sys

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


def _is_server_process(argv: list[str]) -> bool:
    """True for `runserver` and gunicorn/uvicorn: the processes that would serve a broken
    package to citizens. Commands (migrate, check_services, tests) must still run, so that the
    problem can be seen and fixed."""
    program = os.path.basename(argv[0]) if argv else ""
    return "runserver" in argv[1:] or any(s in program for s in ("gunicorn", "uvicorn"))


def _service_agency_code(code: str) -> str:
    """The agency responsible for service `code` now, or "" (the audit trail's data-usage log
    names it as the reader's organisation when the reader has none of their own)."""
    from .selectors import service_current

    version = service_current(code=code)
    return version.agency_code if version else ""


class CatalogConfig(AppConfig):
    name = "qyzmet.catalog"
    label = "catalog"
    verbose_name = "Service catalogue"

    def ready(self) -> None:
        from qyzmet.audit import usage

        from . import checks  # noqa: F401  (registers the MCI year checks, qyzmet.E008/W002)

        usage.directory.service_agency_code = _service_agency_code

        if _is_server_process(sys.argv):
            self.packages_check()

    def packages_check(self) -> None:
        """Refuse to start with an invalid service package (no database access needed)."""
        from .validation import packages_collect

        errors = packages_collect().errors
        if errors:
            lines = "\n".join(str(e) for e in errors)
            raise ImproperlyConfigured(
                f"{len(errors)} invalid service package error(s); fix them or run "
                f"`qyzmet check_services`:\n{lines}"
            )

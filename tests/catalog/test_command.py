"""`check_services` and the start-up guard."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from qyzmet.catalog.apps import _is_server_process
from qyzmet.catalog.selectors import service_current

from .factories import package_data, package_write

pytestmark = pytest.mark.django_db


def test_broken_dir_exits_1_and_prints_file_pointer_reason(tmp_path, settings):
    path = package_write(tmp_path, package_data(agency="kz-nowhere"))
    settings.QYZMET_SERVICE_PACKAGE_DIRS = [tmp_path]
    err = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("check_services", stdout=StringIO(), stderr=err)
    assert exc.value.returncode == 1
    assert f"{path}:/agency: unknown agency 'kz-nowhere'" in err.getvalue()
    assert service_current(code="kz.address-certificate") is None


def test_valid_dir_syncs_and_summarises(tmp_path, settings):
    package_write(tmp_path, package_data())
    settings.QYZMET_SERVICE_PACKAGE_DIRS = [tmp_path]
    out = StringIO()
    call_command("check_services", stdout=out, stderr=StringIO())
    assert "1 package(s) valid; 1 service(s) current, 1 version(s) added" in out.getvalue()
    assert service_current(code="kz.address-certificate").version == 1


def test_no_sync_only_validates(tmp_path, settings):
    package_write(tmp_path, package_data())
    settings.QYZMET_SERVICE_PACKAGE_DIRS = [tmp_path]
    call_command("check_services", "--no-sync", stdout=StringIO())
    assert service_current(code="kz.address-certificate") is None


def test_server_refuses_to_start_with_a_broken_package(tmp_path, settings):
    broken = package_data()
    broken["workflow"]["initial"] = "nowhere"
    package_write(tmp_path, broken)
    settings.QYZMET_SERVICE_PACKAGE_DIRS = [tmp_path]
    with pytest.raises(ImproperlyConfigured, match="/workflow/initial"):
        apps.get_app_config("catalog").packages_check()


def test_only_server_processes_are_guarded():
    assert _is_server_process(["qyzmet", "runserver"])
    assert _is_server_process(["/venv/bin/gunicorn", "qyzmet.wsgi"])
    assert not _is_server_process(["qyzmet", "migrate"])
    assert not _is_server_process(["pytest"])

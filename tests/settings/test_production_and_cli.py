"""Production refuses unsafe configuration; the `qyzmet` command and `python -m qyzmet` work."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

GOOD = {
    "QYZMET_SECRET_KEY": secrets.token_urlsafe(50),
    "QYZMET_ALLOWED_HOSTS": "qyzmet.example.kz",
    "QYZMET_DATABASE_URL": "sqlite:////tmp/qyzmet-prod-check.sqlite3",
    "QYZMET_CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "QYZMET_PUBLIC_BASE_URL": "https://qyzmet.example.kz",
    "QYZMET_LOG_KEY_PASSPHRASE": secrets.token_urlsafe(32),
    "QYZMET_PKI_PASSPHRASE": secrets.token_urlsafe(32),
}


def _check(
    env: dict[str, str], command: list[str] | None = None
) -> subprocess.CompletedProcess:
    """`qyzmet check --deploy --fail-level ERROR` (or `command`) under the production settings
    with exactly `env`."""
    # Nothing from the test process may leak in (the browser tests allow async-unsafe ORM calls).
    clean = {
        k: v for k, v in os.environ.items()
        if not k.startswith("QYZMET_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "-m", "qyzmet",
         *(command or ["check", "--deploy", "--fail-level", "ERROR"])],
        env={**clean, "DJANGO_SETTINGS_MODULE": "qyzmet.settings.production", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_starts_with_complete_configuration():
    result = _check(GOOD)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"QYZMET_SECRET_KEY": "embedded-demo-key-not-for-production"}, "QYZMET_SECRET_KEY"),
        ({"QYZMET_SECRET_KEY": "short"}, "QYZMET_SECRET_KEY"),
        ({"QYZMET_DEBUG": "1"}, "DEBUG must be off"),
        ({"QYZMET_ALLOWED_HOSTS": None}, "QYZMET_ALLOWED_HOSTS"),
        ({"QYZMET_SECRET_KEY": None}, "QYZMET_SECRET_KEY"),
    ],
)
def test_production_refuses_unsafe_configuration(change, message):
    env = {**GOOD, **change}
    env = {k: v for k, v in env.items() if v is not None}
    result = _check(env)
    assert result.returncode != 0
    assert message in result.stderr


def test_console_command_and_module_run_management_commands():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "qyzmet.settings.test"}
    by_script = subprocess.run(
        [str(VENV_BIN / "qyzmet"), "help", "check_services"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    by_module = subprocess.run(
        [sys.executable, "-m", "qyzmet", "help", "check_services"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    for result in (by_script, by_module):
        assert result.returncode == 0, result.stderr
        assert "check_services" in result.stdout

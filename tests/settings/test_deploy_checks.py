"""`qyzmet check --deploy` refuses demo material: weak or published secrets, demo users, the demo
Open311 key (qyzmet/core/checks.py, qyzmet/countries/kz/checks.py).

The security test that prompted these: check --deploy passed with the PKI and log-key
passphrases set to the values published in the source, with SECRET_KEY = 50 × "a", and with
the demo users and the demo Open311 key in the database.
"""

from __future__ import annotations

import ast
import re
import secrets
import string
from pathlib import Path

import pytest
from django.core import checks as django_checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.utils import get_random_secret_key

from qyzmet.appeals import services as appeals_services
from qyzmet.appeals.demo import DEMO_API_KEY
from qyzmet.core.checks import PUBLISHED_SECRETS, is_published, secret_key_weakness
from qyzmet.countries.kz import demo
from qyzmet.identity.models import User
from qyzmet.signatures.keystore import DEV_PASSPHRASE
from qyzmet.transparency.services import EMBEDDED_PASSPHRASE

from .test_production_and_cli import GOOD, _check

ROOT = Path(__file__).resolve().parents[2]


def _ids(messages) -> set[str]:
    return {m.id for m in messages}


def _deploy_checks(databases=None):
    return django_checks.run_checks(include_deployment_checks=True, databases=databases)


# --- SECRET_KEY strength ------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "a" * 50,
        "ab" * 25,
        "abcdefghij" * 5,  # ten distinct characters, 3.3 bits each, but a repeated block
        string.ascii_letters[:50],  # every character distinct, one long run
        "short-but-random-" + secrets.token_hex(8),
        "x" * 49,
    ],
)
def test_weak_secret_keys_are_named(key):
    assert secret_key_weakness(key) is not None


def test_random_secret_keys_pass():
    for _ in range(500):
        assert secret_key_weakness(get_random_secret_key()) is None
    for _ in range(200):
        assert secret_key_weakness(secrets.token_urlsafe(50)) is None
        assert secret_key_weakness(secrets.token_hex(32)) is None


def test_weak_and_published_secret_keys_are_errors(settings):
    settings.SECRET_KEY = "a" * 50
    errors = [m for m in _deploy_checks() if m.id == "qyzmet.E001"]
    assert errors and errors[0].level == django_checks.ERROR
    assert "get_random_secret_key" in errors[0].hint  # the message says what to do

    settings.SECRET_KEY = "embedded-demo-key-not-for-production"
    assert "qyzmet.E002" in _ids(_deploy_checks())

    settings.SECRET_KEY = get_random_secret_key()
    settings.SECRET_KEY_FALLBACKS = ["ab" * 25]
    assert "qyzmet.E001" in _ids(_deploy_checks())

    settings.SECRET_KEY_FALLBACKS = []
    assert not {"qyzmet.E001", "qyzmet.E002"} & _ids(_deploy_checks())


# --- passphrases and other secrets --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "check_id"),
    [("QYZMET_PKI_PASSPHRASE", "qyzmet.E003"), ("QYZMET_LOG_KEY_PASSPHRASE", "qyzmet.E004")],
)
def test_passphrases_published_short_or_missing_are_errors(settings, monkeypatch, name,
                                                            check_id):  # fmt: skip
    monkeypatch.delenv(name, raising=False)
    for bad in (DEV_PASSPHRASE, EMBEDDED_PASSPHRASE, demo.DEMO_PASSWORD, "too-short", ""):
        setattr(settings, name, bad)
        errors = [m for m in _deploy_checks() if m.id == check_id]
        assert errors, bad
        assert errors[0].level == django_checks.ERROR and name in errors[0].hint
    setattr(settings, name, secrets.token_urlsafe(32))
    assert check_id not in _ids(_deploy_checks())
    # The keystores read the environment first: a published value there is refused too.
    monkeypatch.setenv(name, DEV_PASSPHRASE)
    assert check_id in _ids(_deploy_checks())


def test_any_other_secret_setting_with_a_published_value_is_an_error(settings):
    settings.QYZMET_GATEWAY_PROOF_KEY = DEMO_API_KEY
    settings.EMAIL_HOST_PASSWORD = demo.DEMO_PASSWORD
    settings.QYZMET_PAYMENT_PROVIDERS = {"reference": {}}  # no sandbox with its demo secret
    errors = [m for m in _deploy_checks() if m.id == "qyzmet.E005"]
    assert {e.msg.split(" ")[0] for e in errors} == {"QYZMET_GATEWAY_PROOF_KEY",
                                                     "EMAIL_HOST_PASSWORD"}


SANDBOX_DEMO_SECRET = "sandbox-demo-secret-not-for-production"  # settings/embedded.py


def test_a_payment_provider_secret_with_a_published_value_is_an_error(settings):
    """Whoever knows a provider's webhook secret can tell the platform a fee was paid."""
    settings.QYZMET_PAYMENT_PROVIDERS = {
        "sandbox": {"base_url": "https://pay.example", "secret": SANDBOX_DEMO_SECRET},
        "reference": {},
    }
    errors = [m for m in _deploy_checks() if m.id == "qyzmet.E005"]
    named = [e.msg.split(" ")[0] for e in errors]
    assert named == ["QYZMET_PAYMENT_PROVIDERS['sandbox']['secret']"]
    settings.QYZMET_PAYMENT_PROVIDERS["sandbox"]["secret"] = secrets.token_urlsafe(32)
    assert not [m for m in _deploy_checks() if m.id == "qyzmet.E005"]


# --- every development fallback in the source is in the published list ----------------------

_SECRET_SETTING = re.compile(r"^[A-Z0-9_]*(PASSPHRASE|PASSWORD|SECRET|SECRET_KEY|API_KEY|TOKEN)$")


def published_values_in_source(package: Path) -> set[str]:
    """String literals the source publishes as secrets: any value marked not-for-production,
    constants named like secrets, and fallbacks given beside a secret setting's name
    (`os.environ.get("QYZMET_SECRET_KEY", "<fallback>")`, `getattr(settings, "X_KEY", …)`)."""
    found: set[str] = set()
    for path in package.rglob("*.py"):
        if path.name == "checks.py" and path.parent.name == "core":
            continue  # the list itself
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if "not-for-production" in node.value and node.value != "not-for-production":
                    found.add(node.value)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                value = node.value
                for target in targets:
                    if (
                        isinstance(target, ast.Name) and _SECRET_SETTING.match(target.id)
                        and isinstance(value, ast.Constant) and isinstance(value.value, str)
                        and value.value
                    ):
                        found.add(value.value)
            elif isinstance(node, ast.Call):
                texts = [
                    a.value for a in [*node.args, *(k.value for k in node.keywords)]
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                ]
                if any(_SECRET_SETTING.match(t) for t in texts):
                    found.update(t for t in texts if t and not _SECRET_SETTING.match(t))
    return found


def test_every_development_fallback_in_the_source_is_refused():
    found = published_values_in_source(ROOT / "src" / "qyzmet")
    assert {DEV_PASSPHRASE, EMBEDDED_PASSPHRASE, DEMO_API_KEY, demo.DEMO_PASSWORD,
            "embedded-demo-key-not-for-production"} <= found  # fmt: skip
    assert found <= PUBLISHED_SECRETS, (
        f"add to PUBLISHED_SECRETS in qyzmet/core/checks.py: {sorted(found - PUBLISHED_SECRETS)}"
    )
    assert all(is_published(value) for value in found)


def test_the_source_walk_finds_a_new_fallback(tmp_path):
    (tmp_path / "keys.py").write_text(
        'import os\nX_PASSPHRASE = "dev-pass"\n'
        'Y = os.environ.get("QYZMET_OTHER_SECRET", "dev-other")\n',
        encoding="utf-8",
    )
    assert published_values_in_source(tmp_path) == {"dev-pass", "dev-other"}


# --- demo data in the database -------------------------------------------------------------


@pytest.mark.django_db
def test_demo_users_are_an_error_when_the_database_is_inspected(settings):
    demo.demo_accounts_ensure()
    assert "qyzmet.E006" not in _ids(_deploy_checks())  # no database named: none touched
    errors = [m for m in _deploy_checks(databases=["default"]) if m.id == "qyzmet.E006"]
    assert errors and errors[0].level == django_checks.ERROR
    assert errors[0].msg.startswith(f"{len(demo.demo_logins())} demo user(s)")
    assert "demo_load" in errors[0].hint
    settings.QYZMET_DEPLOY_CHECK_DATABASES = ["default"]  # what the production settings say
    assert "qyzmet.E006" in _ids(_deploy_checks())


@pytest.mark.django_db
def test_demo_users_are_known_by_their_markers_not_by_the_iin_alone():
    logins = demo.demo_logins()
    # A real person who happens to hold a demo IIN: other e-mail, own password.
    User.objects.create_user(logins[0].iin, "a-real-password-1", email="real@mail.kz")
    assert "qyzmet.E006" not in _ids(_deploy_checks(databases=["default"]))
    # A demo account whose e-mail was changed still signs in with the published password.
    User.objects.create_user(logins[1].iin, demo.DEMO_PASSWORD, email="changed@mail.kz")
    errors = [m for m in _deploy_checks(databases=["default"]) if m.id == "qyzmet.E006"]
    assert errors and logins[1].iin in errors[0].msg and logins[0].iin not in errors[0].msg


@pytest.mark.django_db
def test_the_demo_open311_key_is_an_error_until_revoked():
    appeals_services.open311_key_issue(name="partner", raw=secrets.token_urlsafe(24))
    assert "qyzmet.E007" not in _ids(_deploy_checks(databases=["default"]))
    appeals_services.open311_key_issue(name="demo", raw=DEMO_API_KEY)
    errors = [m for m in _deploy_checks(databases=["default"]) if m.id == "qyzmet.E007"]
    assert errors and errors[0].level == django_checks.ERROR
    key = appeals_services.open311_key_check(raw=DEMO_API_KEY)
    key.revoked_at = key.created_at
    key.save(update_fields=["revoked_at"])
    assert "qyzmet.E007" not in _ids(_deploy_checks(databases=["default"]))


# --- demo_load refuses production ---------------------------------------------------------


@pytest.mark.django_db
def test_demo_load_refuses_under_production_settings(settings):
    settings.QYZMET_PRODUCTION = True
    with pytest.raises(CommandError, match="refuses to run under the production settings"):
        call_command("demo_load", count=1, no_model=True)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_appeals_demo_refuses_under_production_settings(settings):
    settings.QYZMET_PRODUCTION = True
    with pytest.raises(CommandError, match="refuses to run under the production settings"):
        call_command("appeals_demo")
    assert appeals_services.open311_key_check(raw=DEMO_API_KEY) is None


# --- the real production settings, in a process of their own -------------------------------


@pytest.mark.parametrize(
    ("change", "check_id"),
    [
        ({"QYZMET_SECRET_KEY": "a" * 50}, "qyzmet.E001"),
        ({"QYZMET_SECRET_KEY": "ab" * 25}, "qyzmet.E001"),
        ({"QYZMET_PKI_PASSPHRASE": DEV_PASSPHRASE}, "qyzmet.E003"),
        ({"QYZMET_LOG_KEY_PASSPHRASE": EMBEDDED_PASSPHRASE}, "qyzmet.E004"),
    ],
)
def test_production_check_deploy_refuses_published_and_weak_secrets(tmp_path, change, check_id):
    db = {"QYZMET_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = _check({**GOOD, **db, **change})
    assert result.returncode != 0
    assert check_id in result.stderr and "ERRORS:" in result.stderr


def test_production_demo_load_refuses(tmp_path):
    result = _check({**GOOD, "QYZMET_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
                    command=["demo_load", "--count", "1", "--no-model"])
    assert result.returncode != 0
    assert "refuses to run under the production settings" in result.stderr


def test_production_check_deploy_reads_the_database_for_demo_material(tmp_path):
    """Without `--database`: the production settings name the database to inspect."""
    env = {**GOOD, "QYZMET_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    assert _check(env, command=["migrate", "-v", "0"]).returncode == 0
    assert _check(env).returncode == 0  # a fresh database passes
    # Demo material put in by the embedded settings on the same database (what an operator
    # who ran the demo against it would leave behind).
    loaded = _check(
        {**env, "DJANGO_SETTINGS_MODULE": "qyzmet.settings.embedded"},
        command=["shell", "-c",
                 "from qyzmet.countries.kz.demo import demo_accounts_ensure as d; d();"
                 "from qyzmet.appeals.services import open311_key_issue as k;"
                 "from qyzmet.appeals.demo import DEMO_API_KEY; k(name='demo', raw=DEMO_API_KEY)"],
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    result = _check(env)
    assert result.returncode != 0
    assert "qyzmet.E006" in result.stderr and "qyzmet.E007" in result.stderr

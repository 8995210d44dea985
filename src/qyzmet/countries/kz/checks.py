"""Deploy checks on the data: the country pack's demo material must not be in a production
database (`qyzmet check --deploy --database default`; the production settings inspect
"default" even without `--database`, see QYZMET_DEPLOY_CHECK_DATABASES).

Demo users are recognised by the markers `demo_load` gives them: the fixed demo IINs printed by
`qyzmet demo_logins`, together with the demo e-mail address (an `example.org` one, a domain no
real person has) or the published demo password. An IIN alone is not enough, since a real
person may hold the same number; the password is verified only for the few users whose IIN
matched, so the check stays fast on a population of millions.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError

from qyzmet.core.checks import databases_to_inspect

_FRESH_DATABASE = (
    "Demo data never belongs in production: deploy on a database that never ran "
    "`qyzmet demo_load` (it refuses to run under the production settings)."
)


def demo_users_found(*, using: str = "default") -> list[str]:
    """The IINs of demo users present in the database `using`."""
    from qyzmet.countries.kz import demo  # at check time: app loading stays light

    logins = {login.iin: login for login in demo.demo_logins()}
    users = get_user_model()._default_manager.using(using).filter(iin__in=list(logins))
    found = []
    for user in users.only("iin", "email", "password"):
        # hashers.check_password, not user.check_password: a check never writes (no rehash).
        if user.email == logins[user.iin].email or check_password(demo.DEMO_PASSWORD,
                                                                  user.password):
            found.append(user.iin)
    return sorted(found)


def demo_open311_key_found(*, using: str = "default") -> bool:
    """Whether the published demo Open311 api_key is present and not revoked."""
    from qyzmet.appeals.demo import DEMO_API_KEY  # at check time: it imports the ML stack
    from qyzmet.appeals.services import api_key_hash

    keys = apps.get_model("appeals", "Open311ApiKey")._default_manager.using(using)
    return keys.filter(key_hash=api_key_hash(DEMO_API_KEY), revoked_at__isnull=True).exists()


def _unreadable(alias: str, exc: DatabaseError) -> Warning:
    return Warning(
        f"The database {alias!r} could not be inspected for demo material ({exc}).",
        hint="Run `qyzmet migrate`, then `qyzmet check --deploy --database default` again.",
        id="qyzmet.W001",
    )


@register(Tags.security, Tags.database, deploy=True)
def demo_users_check(app_configs=None, databases=None, **kwargs) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    for alias in databases_to_inspect(databases):
        try:
            iins = demo_users_found(using=alias)
        except DatabaseError as exc:
            problems.append(_unreadable(alias, exc))
            continue
        if iins:
            problems.append(Error(
                f"{len(iins)} demo user(s) are in the database {alias!r} (IINs "
                f"{', '.join(iins[:5])}{'…' if len(iins) > 5 else ''}); they sign in with the "
                "demo password published in the source.",
                hint=_FRESH_DATABASE, id="qyzmet.E006",
            ))  # fmt: skip
    return problems


@register(Tags.security, Tags.database, deploy=True)
def demo_open311_key_check(app_configs=None, databases=None, **kwargs) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    for alias in databases_to_inspect(databases):
        try:
            found = demo_open311_key_found(using=alias)
        except DatabaseError as exc:
            problems.append(_unreadable(alias, exc))
            continue
        if found:
            problems.append(Error(
                f"The demo Open311 api_key published in the source is active in the database "
                f"{alias!r}: anyone can file appeals in the name of the 'demo' client.",
                hint=_FRESH_DATABASE + " Or revoke it: set `revoked_at` on the Open311 key "
                "named 'demo' (appeals_open311apikey).",
                id="qyzmet.E007",
            ))  # fmt: skip
    return problems

"""The demo's past year: about two thousand decided applications to Kazakhstan's agencies, so the
page "How well each agency serves" and its open datasets have figures on a fresh `make run`.

The country pack chooses who applied (adults of the demo population registry, each given an
account with no password: they cannot sign in, and no demo login's "My applications" fills up
with a year of someone else's cases), how much each service is used and how each agency worked;
the applications app writes the history (`qyzmet.applications.demo_history`).

The story the figures tell: the State Revenue Committee registers sole proprietors almost always
on the day and never late; the Migration Service runs behind on passports (a quarter of them
late, more refusals); the rest are in between."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from qyzmet.applications.demo_history import (
    AgencyProfile,
    Applicant,
    HistoryResult,
    application_history_ensure,
    history_present,
)
from qyzmet.countries.kz.demo import demo_logins
from qyzmet.identity.models import User
from qyzmet.identity.services import user_create
from qyzmet.registries.population.models import Person

APPLICANTS = 400
TOTAL = 2000

# Relative use of each service over a year (1 when not named).
WEIGHTS = {
    "kz.address-certificate": 6.0,
    "kz.criminal-record-certificate": 3.5,
    "kz.vehicle-registration": 2.5,
    "kz.passport": 2.5,
    "kz.kindergarten-queue": 2.5,
    "kz.driving-licence": 2.0,
    "kz.ie-registration": 2.0,
    "kz.birth-registration": 1.5,
    "kz.child-birth-benefit": 1.5,
    "kz.marriage-registration": 0.8,
    "kz.death-registration": 0.6,
}

PROFILES = {
    # Clearly the best: on the day, practically never late, few refusals.
    "kz-kgd": AgencyProfile(in_time=0.995, pace=0.1, refused=0.05, info_requested=0.02),
    # Clearly the worst: passports take most of the 15 working days, a quarter late.
    "kz-mvd-migration": AgencyProfile(in_time=0.74, pace=0.85, refused=0.19, info_requested=0.1),
    "kz-mvd": AgencyProfile(in_time=0.95, pace=0.4, refused=0.08),
    "kz-kpssu": AgencyProfile(in_time=0.93, pace=0.5, refused=0.14),
    "kz-mvd-police": AgencyProfile(in_time=0.88, pace=0.6, refused=0.13, info_requested=0.06),
    "kz-minjust": AgencyProfile(in_time=0.9, pace=0.5, refused=0.1),
    "kz-enbek": AgencyProfile(in_time=0.91, pace=0.55, refused=0.15, info_requested=0.08),
    "kz-almaty-education": AgencyProfile(in_time=0.86, pace=0.6, refused=0.12),
}


def _applicants(*, seed: int, today: dt.date) -> list[Applicant]:
    """Up to APPLICANTS living adults of the population registry who have no account yet (the
    same ones for the same population and seed), each given an account without a password."""
    logins = {login.iin for login in demo_logins()}
    taken = set(User.objects.values_list("iin", flat=True))
    adult = dt.date(today.year - 18, today.month, min(today.day, 28))
    people = [
        p for p in Person.objects.filter(death_date__isnull=True, birth_date__lte=adult)
        .order_by("iin").only("iin", "last_name", "first_name", "patronymic")
        if p.iin not in logins and p.iin not in taken
    ]  # fmt: skip
    rng = random.Random(seed)
    chosen = rng.sample(people, min(APPLICANTS, len(people)))
    out = []
    for person in chosen:
        language = "ru" if rng.random() < 0.4 else "kk"
        user = user_create(iin=person.iin, password=None, full_name=person.full_name,
                           language=language)  # fmt: skip
        out.append(Applicant(user_id=user.pk, iin=user.iin, language=language))
    return out


@transaction.atomic
def demo_history_ensure(*, seed: int = 2026, now: dt.datetime | None = None) -> HistoryResult:
    """The past year of applications, once: nothing when it is there already (see
    `application_history_ensure`). Needs the population, the demo accounts and the catalogue."""
    if history_present():
        return HistoryResult()
    now = now or timezone.now()
    return application_history_ensure(
        applicants=_applicants(seed=seed, today=timezone.localdate(now)),
        total=TOTAL, weights=WEIGHTS, profiles=PROFILES, seed=seed, now=now,
    )  # fmt: skip

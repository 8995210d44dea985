"""The benchmark's dataset, built in the target database before anything is timed: the schema,
the demo registries and agencies, a crowd of citizens with API tokens, and N applications
bulk-inserted with a realistic spread (several agencies and services, due dates over ±60 days,
about 80 % open). Runs inside the target process, after `django.setup()`.

This is a tool, like the country pack's demo loader: it writes the application rows directly
(bulk_create) because going through the API 100,000 times would take longer than the benchmark."""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from qyzmet.applications.models import Application
from qyzmet.catalog.selectors import service_search
from qyzmet.countries.kz.demo import DEMO_OFFICER_IINS
from qyzmet.identity.selectors import user_get_by_iin
from qyzmet.identity.services import api_token_issue, user_create
from qyzmet.registries.population.models import Person

# How often each service is applied for (the address certificate is the everyday one).
SERVICE_WEIGHTS = {
    "kz.address-certificate": 30,
    "kz.criminal-record-certificate": 20,
    "kz.kindergarten-queue": 15,
    "kz.child-birth-benefit": 13,
    "kz.birth-registration": 12,
    "kz.ie-registration": 10,
}
OPEN_SHARE = 0.8
BATCH = 2000
INBOX_AGENCY = "kz-mvd"


@dataclass(frozen=True)
class Dataset:
    applications: int
    citizen_tokens: list[str]
    officer_token: str
    officer_iin: str
    open_in_inbox: int
    seconds: float


def schema_and_demo(*, population: int) -> None:
    """Migrate the empty database and load the deterministic demo (registries, agencies, logins,
    the service catalogue)."""
    call_command("migrate", "--noinput", verbosity=0)
    call_command("demo_load", count=population, stdout=io.StringIO())


def citizens_create(*, count: int) -> list:
    """`count` citizens who are real adults of the population registry (evidence is fetched from
    it on every submission), each with a phone so the SMS channel runs as in production."""
    adult_born_before = timezone.localdate() - dt.timedelta(days=19 * 366)
    taken = set()
    users = []
    persons = (
        Person.objects.filter(
            death_date__isnull=True, address__isnull=False, birth_date__lt=adult_born_before
        )
        .order_by("id")
        .iterator()
    )
    for person in persons:
        if len(users) >= count:
            break
        if person.iin in taken or user_get_by_iin(iin=person.iin) is not None:
            continue
        taken.add(person.iin)
        users.append(
            user_create(
                iin=person.iin,
                password=None,  # signs in by token only: no Argon2 work in the setup
                full_name=person.full_name,
                phone=f"+7701{len(users):07d}",
            )
        )
    if len(users) < count:
        raise RuntimeError(
            f"the population registry has only {len(users)} adults free; raise --population"
        )
    return users


def _rows(*, count: int, applicants: list, rng: random.Random) -> list[Application]:
    services = [s for s in service_search() if s.code in SERVICE_WEIGHTS]
    if not services:
        raise RuntimeError("no current services: did demo_load sync the catalogue?")
    weights = [SERVICE_WEIGHTS[s.code] for s in services]
    today = timezone.localdate()
    now = timezone.now()
    rows = []
    for _ in range(count):
        service = rng.choices(services, weights)[0]
        workflow = service.package.workflow
        open_states = [s for s in workflow.states.values() if not s.final]
        final_states = [s for s in workflow.states.values() if s.final]
        applicant = rng.choice(applicants)
        due = today + dt.timedelta(days=rng.randint(-60, 60))
        submitted = now - dt.timedelta(days=(today - due).days + rng.randint(5, 20))
        is_open = rng.random() < OPEN_SHARE
        if is_open:
            # Most open cases wait in the initial state; the rest are somewhere further on.
            initial = workflow.state(workflow.initial)
            state = initial if rng.random() < 0.6 else rng.choice(open_states)
        else:
            state = rng.choice(final_states)
        rows.append(
            Application(
                service_version_id=service.id,
                service_code=service.code,
                agency_code=service.agency_code,
                applicant_id=applicant.pk,
                applicant_iin=applicant.iin,
                language=rng.choice(("kk", "ru")),
                state=state.name,
                outcome=state.outcome or "",
                data={"purpose": "bank"} if service.code == "kz.address-certificate" else {},
                evidence={"person": {"iin": applicant.iin, "full_name": applicant.full_name}},
                submitted_at=submitted,
                decided_at=None if is_open else submitted + dt.timedelta(days=3),
                due_date=due,
                state_due_date=due if is_open else None,
                paused_at=due - dt.timedelta(days=2) if state.clock_paused else None,
                is_open=is_open,
            )
        )
    return rows


def applications_bulk_insert(*, count: int, applicants: list, seed: int = 2026) -> None:
    """Insert `count` applications in batches, then refresh the planner's statistics (what an
    operator does after a bulk load; PostgreSQL's autovacuum would do it on its own soon)."""
    rng = random.Random(seed)
    done = 0
    while done < count:
        batch = min(BATCH * 10, count - done)
        with transaction.atomic():
            Application.objects.bulk_create(
                _rows(count=batch, applicants=applicants, rng=rng), batch_size=BATCH
            )
        done += batch
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def dataset_build(*, applications: int, population: int, citizens: int) -> Dataset:
    import time

    started = time.perf_counter()
    schema_and_demo(population=population)
    users = citizens_create(count=citizens)
    # The demo already puts a few open cases in each agency's inbox: top up to the figure asked.
    applications_bulk_insert(
        count=max(0, applications - Application.objects.count()), applicants=users
    )
    officer_iin = next(iin for iin, role in DEMO_OFFICER_IINS[INBOX_AGENCY] if role == "officer")
    officer = user_get_by_iin(iin=officer_iin)
    if officer is None:
        raise RuntimeError(f"demo officer {officer_iin} of {INBOX_AGENCY} is missing")
    open_in_inbox = (
        Application.objects.filter(agency_code=INBOX_AGENCY, is_open=True)
        .exclude(state=Application.DRAFT)
        .count()
    )
    return Dataset(
        applications=Application.objects.count(),
        citizen_tokens=[api_token_issue(user=u) for u in users],
        officer_token=api_token_issue(user=officer),
        officer_iin=officer_iin,
        open_in_inbox=open_in_inbox,
        seconds=time.perf_counter() - started,
    )

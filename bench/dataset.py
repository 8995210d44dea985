"""The benchmark's dataset, built in the target database before anything is timed: the schema,
the demo registries and agencies, a crowd of citizens with API tokens, and N applications
bulk-inserted with a realistic spread (several agencies and services, due dates over ±60 days,
about 80 % open). Runs inside the target process, after `django.setup()`.

This is a tool, like the country pack's demo loader: it writes the application rows directly
(COPY on PostgreSQL, a batched prepared INSERT on SQLite) because going through the API
1,000,000 times would take longer than the benchmark; 1,000,000 rows load in about a minute."""

from __future__ import annotations

import datetime as dt
import io
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

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
ADDRESS = "kz.address-certificate"
OPEN_SHARE = 0.8
BATCH = 5000
INBOX_AGENCY = "kz-mvd"


@dataclass(frozen=True)
class Dataset:
    applications: int
    citizen_tokens: list[str]
    officer_token: str
    officer_iin: str
    open_in_inbox: int
    seconds: float
    # How long the bulk load of the applications took, by step (insert, indexes, analyze).
    seeding: dict[str, float] = field(default_factory=dict)
    # The citizens' IINs, for the portal submissions (signed in by session, not by token).
    citizen_iins: list[str] = field(default_factory=list)


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


@dataclass(frozen=True)
class _Choice:
    """One service as the generator draws it: its columns and its workflow's states."""

    service_version_id: int
    service_code: str
    agency_code: str
    initial: object
    open_states: list
    final_states: list


def _choices() -> tuple[list[_Choice], list[int]]:
    services = [s for s in service_search() if s.code in SERVICE_WEIGHTS]
    if not services:
        raise RuntimeError("no current services: did demo_load sync the catalogue?")
    choices = []
    for service in services:
        workflow = service.package.workflow
        states = list(workflow.states.values())
        choices.append(
            _Choice(
                service_version_id=service.id,
                service_code=service.code,
                agency_code=service.agency_code,
                initial=workflow.state(workflow.initial),
                open_states=[s for s in states if not s.final],
                final_states=[s for s in states if s.final],
            )
        )
    return choices, [SERVICE_WEIGHTS[c.service_code] for c in choices]


def _rows(*, count: int, applicants: list, rng: random.Random) -> Iterator[dict]:
    """`count` applications as {field name: value}; fields left out take the model's default.
    The catalogue is read before the first row is asked for: the rows are consumed inside a
    COPY, when the connection can run no other statement."""
    choices, weights = _choices()
    return _generate(count, applicants, rng, choices, weights)


def _generate(
    count: int, applicants: list, rng: random.Random, choices: list[_Choice], weights: list[int]
) -> Iterator[dict]:
    today = timezone.localdate()
    now = timezone.now()
    people = [
        (a.pk, a.iin, {"person": {"iin": a.iin, "full_name": a.full_name}}) for a in applicants
    ]
    for _ in range(count):
        service = rng.choices(choices, weights)[0]
        applicant_id, iin, evidence = rng.choice(people)
        due = today + dt.timedelta(days=rng.randint(-60, 60))
        submitted = now - dt.timedelta(days=(today - due).days + rng.randint(5, 20))
        is_open = rng.random() < OPEN_SHARE
        if is_open:
            # Most open cases wait in the initial state; the rest are somewhere further on.
            state = service.initial if rng.random() < 0.6 else rng.choice(service.open_states)
        else:
            state = rng.choice(service.final_states)
        yield {
            "service_version_id": service.service_version_id,
            "service_code": service.service_code,
            "agency_code": service.agency_code,
            "applicant_id": applicant_id,
            "applicant_iin": iin,
            "language": rng.choice(("kk", "ru")),
            "state": state.name,
            "outcome": state.outcome or "",
            "data": {"purpose": "bank"} if service.service_code == ADDRESS else {},
            "evidence": evidence,
            "created_at": submitted,
            "updated_at": submitted,
            "submitted_at": submitted,
            "decided_at": None if is_open else submitted + dt.timedelta(days=3),
            "due_date": due,
            "state_due_date": due if is_open else None,
            "paused_at": due - dt.timedelta(days=2) if state.clock_paused else None,
            "is_open": is_open,
        }


def _columns() -> list:
    """Every column the insert writes: all concrete fields but the id (the sequence numbers
    them), so a field added by a later migration gets its default without a change here."""
    return [f for f in Application._meta.concrete_fields if not f.primary_key]


def _defaults(fields: list) -> dict[str, object]:
    return {f.attname: f.get_default() if f.has_default() else None for f in fields}


def _pg_copy(rows: Iterator[dict], fields: list) -> None:
    """COPY the rows in (one statement, no per-row round trip or ORM instance)."""
    from psycopg.types.json import Jsonb

    defaults = _defaults(fields)
    json_columns = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    names = [f.attname for f in fields]
    table = connection.ops.quote_name(Application._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    copy_sql = f"COPY {table} ({column_list}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
        for row in rows:
            copy.write_row(
                [
                    Jsonb(row.get(n, defaults[n])) if n in json_columns
                    else row.get(n, defaults[n])
                    for n in names
                ]
            )  # fmt: skip


def _executemany(rows: Iterator[dict], fields: list) -> None:
    """SQLite: one prepared INSERT run over batches of BATCH rows."""
    defaults = _defaults(fields)
    table = connection.ops.quote_name(Application._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Identifiers come from the model's own metadata, never from input.
    sql = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"  # noqa: S608
    batch: list[list] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(
                [f.get_db_prep_save(row.get(f.attname, defaults[f.attname]), connection)
                 for f in fields]
            )  # fmt: skip
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def _pg_secondary_indexes() -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the table's indexes that back no constraint (the
    primary key and unique constraints stay; they are checked while loading)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.tablename = %s AND i.schemaname = current_schema() AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [Application._meta.db_table],
        )
        return list(cursor.fetchall())


def applications_bulk_insert(*, count: int, applicants: list, seed: int = 2026) -> dict:
    """Insert `count` applications, then refresh the planner's statistics (what an operator does
    after a bulk load). On PostgreSQL the secondary indexes are dropped, the rows COPYed in and
    the indexes built again (one sorted build each instead of 1,000,000 insertions per index);
    on SQLite one prepared INSERT runs over batches. Returns the seconds each step took."""
    rng = random.Random(seed)
    fields = _columns()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            indexes = _pg_secondary_indexes()
            with connection.cursor() as cursor:
                # The foreign keys are checked at the end of the COPY, not at commit: an index
                # cannot be built on a table with checks still pending.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for name, _ in indexes:
                    cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
            _pg_copy(_rows(count=count, applicants=applicants, rng=rng), fields)
            timings["insert_s"] = time.perf_counter() - started
            with connection.cursor() as cursor:
                # A bigger sort area for the index builds of this transaction only.
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                for _, definition in indexes:
                    cursor.execute(definition)
            timings["indexes_s"] = time.perf_counter() - started - timings["insert_s"]
        else:
            _executemany(_rows(count=count, applicants=applicants, rng=rng), fields)
            timings["insert_s"] = time.perf_counter() - started
    analyze_started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    timings["analyze_s"] = time.perf_counter() - analyze_started
    timings["total_s"] = time.perf_counter() - started
    return {key: round(value, 1) for key, value in timings.items()}


def dataset_build(*, applications: int, population: int, citizens: int) -> Dataset:
    started = time.perf_counter()
    schema_and_demo(population=population)
    users = citizens_create(count=citizens)
    # The demo already puts a few open cases in each agency's inbox: top up to the figure asked.
    seeding = applications_bulk_insert(
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
        seeding=seeding,
        citizen_iins=[u.iin for u in users],
    )

"""A past year of decided applications for the demo, so the open statistics (`statistics.py`, the
agency performance page and its datasets) have something to show on a fresh install.

Written in bulk (a few thousand rows in well under a second) rather than through
`services.application_submit`/`application_act`, which would take minutes and would notify
people, render result documents and write audit entries for things that never happened. Every
row is still what those services would have left behind for a case that went through the
pinned workflow: the `submit` history row, one row per workflow action on the way to a final
state (the package's own action names, roles and states), the legal due date counted in
working days from the local day of submission (`_workflow_enter`), the clock stopped while the
applicant was asked for more and the days left given back when they answered
(`application_act`), the decision's time, outcome and refusal reason, the officer who took the
case, and the deadline flags the daily sweep (`deadlines_flag`) would have set.

Deliberately absent: audit entries (the audit trail is a hash chain of what really happened on
this installation, in the order it happened), outbox events (nobody is to be notified of a past
year), registry evidence and result documents. A final outcome a package's workflow does not
have is never written: "withdrawn" appears only for services whose workflow has a final state
with that outcome.

Each row carries the idempotency key `demo-history-NNNNN` (the mark of demo history) and the
whole set is written in one transaction, so the history is there entirely or not at all and a
second run adds nothing. Deterministic for a given seed and day."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from qyzmet.catalog.package import Action, Workflow
from qyzmet.catalog.selectors import ServiceVersionDTO, service_search
from qyzmet.core.calendar import WorkingCalendar, calendar_default
from qyzmet.identity.selectors import organisation_member_ids

from .models import Application, ApplicationEvent
from .services import APPLICANT_ROLE

KEY_PREFIX = "demo-history-"
STAFF_ROLES = ("officer", "head")
OPEN_AT, CLOSE_AT = dt.time(9, 0), dt.time(18, 30)  # when officers decide (local time)


@dataclass(frozen=True)
class Applicant:
    """A person (with an account) the history's applications are made out to."""

    user_id: int
    iin: str
    language: str = "kk"


@dataclass(frozen=True)
class AgencyProfile:
    """How an agency worked over the year.

    `in_time`: the share of decisions on or before the legal due date; `pace`: where in the legal
    deadline a decision in time typically falls (0 = the day of submission, 1 = the last day);
    `refused`: the share of decisions that are refusals; `info_requested`: the share of cases
    where the applicant was asked for more (the clock stops); `withdrawn`: the share the
    applicant withdrew (only where the workflow lets them)."""

    in_time: float = 0.9
    pace: float = 0.5
    refused: float = 0.12
    info_requested: float = 0.05
    withdrawn: float = 0.02


@dataclass
class HistoryResult:
    created: int = 0
    events: int = 0
    by_outcome: Counter = field(default_factory=Counter)
    late: int = 0

    def __str__(self) -> str:
        outcomes = ", ".join(f"{n} {o}" for o, n in sorted(self.by_outcome.items()))
        if not self.created:
            return "Past applications (demo history): none added."
        return (
            f"Past applications (demo history): {self.created} decided over the last 12 months "
            f"({outcomes}; {self.late} decided after the legal deadline), {self.events} history "
            "entries."
        )


# Refusal reasons and requests for more, as officers write them (free text, never published).
REFUSAL_REASONS = {
    "kk": (
        "Өтініштегі мәліметтер мемлекеттік дерекқордағы деректерге сәйкес келмейді.",
        "Қызмет алуға негіз жоқ: өтініш беруші талаптарға сай емес.",
        "Сұрау салынған мәлімет бойынша қосымша құжаттар ұсынылмады.",
        "Осы мәселе бойынша шешім бұрын қабылданған.",
    ),
    "ru": (
        "Сведения в заявлении не совпадают с данными государственной базы.",
        "Нет оснований для оказания услуги: заявитель не соответствует требованиям.",
        "Запрошенные дополнительные документы не представлены.",
        "По этому вопросу решение уже было принято ранее.",
    ),
    "en": (
        "The details in the application do not match the state database.",
        "No grounds for the service: the applicant does not meet the requirements.",
        "The additional documents requested were not provided.",
        "A decision on this matter was already taken earlier.",
    ),
}
INFO_REQUESTS = {
    "kk": "Құжаттың анық көшірмесін қоса беріңіз.",
    "ru": "Приложите, пожалуйста, читаемую копию документа.",
    "en": "Please attach a legible copy of the document.",
}


# --- the workflow: which actions lead to which outcome ------------------------------------------


@dataclass(frozen=True)
class _Routes:
    """The shortest way through a package's workflow to each final outcome, and the detour that
    stops the clock (an officer's request, the applicant's answer back to the same state)."""

    workflow: Workflow
    to_outcome: dict[str, tuple[Action, ...]]
    detour: tuple[str, Action, Action] | None  # (the state it leaves and returns to, ask, answer)


def _routes(workflow: Workflow) -> _Routes:
    def paused(state: str) -> bool:
        found = workflow.state(state)
        return bool(found and found.clock_paused)

    to_outcome: dict[str, tuple[Action, ...]] = {}
    seen = {workflow.initial}
    queue: deque[tuple[str, tuple[Action, ...]]] = deque([(workflow.initial, ())])
    while queue:
        state, path = queue.popleft()
        for action in workflow.actions_from(state):
            target = workflow.state(action.to)
            if target is None or action.to in seen or paused(action.to):
                continue
            seen.add(action.to)
            if target.final:
                if target.outcome:
                    to_outcome.setdefault(target.outcome, (*path, action))
                continue
            queue.append((action.to, (*path, action)))
    detour = None
    approve = to_outcome.get("approved", ())
    for step in approve[:-1]:
        for ask in workflow.actions_from(step.to):
            if not paused(ask.to) or not set(ask.roles) & set(STAFF_ROLES):
                continue
            answer = next((a for a in workflow.actions_from(ask.to, role=APPLICANT_ROLE)
                           if a.to == step.to), None)  # fmt: skip
            if answer is not None:
                detour = (step.to, ask, answer)
                break
        if detour:
            break
    return _Routes(workflow=workflow, to_outcome=to_outcome, detour=detour)


# --- time ---------------------------------------------------------------------------------------


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time), timezone.get_default_timezone())


def _between(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    if end <= start:
        return start
    seconds = int((end - start).total_seconds())
    return (start + dt.timedelta(seconds=rng.randint(0, seconds))).replace(microsecond=0)


def _office_moment(rng: random.Random, day: dt.date, *, after: dt.datetime | None = None,
                   before: dt.datetime | None = None) -> dt.datetime:  # fmt: skip
    """A moment of office hours on `day`, after `after` and before `before` when given (the
    window shrinks to what is left of the day)."""
    start, end = _at(day, OPEN_AT), _at(day, CLOSE_AT)
    if after is not None:
        start = max(start, after + dt.timedelta(minutes=10))
    if before is not None:
        end = min(end, before - dt.timedelta(minutes=5))
    return _between(rng, start, end) if start < end else (start if before is None else end)


def _submitted_moment(rng: random.Random, day: dt.date) -> dt.datetime:
    hour = rng.choices(range(7, 23), weights=(1, 2, 5, 8, 8, 7, 5, 6, 6, 5, 4, 3, 4, 4, 3, 2))[0]
    return _at(day, dt.time(hour, rng.randrange(60), rng.randrange(60)))


def _first_office_moment(rng: random.Random, calendar: WorkingCalendar, *, after: dt.datetime,
                         before: dt.datetime) -> dt.datetime:  # fmt: skip
    """The officer's first chance between `after` and `before`: a moment of office hours on the
    first working day that has some left (half-way between the two when none has)."""
    day, last = timezone.localdate(after), timezone.localdate(before)
    while day <= last:
        if calendar.is_working_day(day):
            start = max(_at(day, OPEN_AT), after + dt.timedelta(minutes=10))
            end = min(_at(day, CLOSE_AT), before - dt.timedelta(minutes=5))
            if start < end:
                return _between(rng, start, end)
        day += dt.timedelta(days=1)
    return (after + (before - after) / 2).replace(microsecond=0)


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    out, day = [], start
    while day <= end:
        out.append(day)
        day += dt.timedelta(days=1)
    return out


def _offset(rng: random.Random, *, budget: int, profile: AgencyProfile, late: bool) -> int:
    """Working days from the clock's start to the decision: within `budget` when in time."""
    if late:
        return budget + 1 + min(int(rng.expovariate(1 / max(1.0, budget * 0.4))), budget + 10)
    return min(budget, int(rng.triangular(0, budget + 1, budget * profile.pace)))


def _ground(rng: random.Random, service: ServiceVersionDTO, action: str) -> str:
    """A plausible ground for a refusal by `action`: each service has its common grounds and
    its rare ones (the package's grounds in an order of the service's own, weighted 1, 1/2,
    1/3 …), so agencies' top grounds differ."""
    choices = list(service.package.grounds_for(action))
    if not choices:
        return ""
    random.Random(service.code).shuffle(choices)
    return rng.choices(choices, weights=[1 / (i + 1) for i in range(len(choices))])[0].code


def _who(action: Action, *, officer: tuple[int, str] | None, officers: list[tuple[int, str]],
         applicant: tuple[int, str]) -> tuple[int | None, str]:  # fmt: skip
    """Who took `action`, and as what: the applicant for the applicant's own steps; else the
    case's officer, or another member of staff whose role the action allows (nobody, in the
    first role it names, when the agency has no staff on the platform)."""
    if APPLICANT_ROLE in action.roles and not set(action.roles) & set(STAFF_ROLES):
        return applicant
    if officer is not None and officer[1] in action.roles:
        return officer
    other = next((o for o in officers if o[1] in action.roles), None)
    if other is not None:
        return other
    return None, next((r for r in action.roles if r != APPLICANT_ROLE), action.roles[0])


# --- the history ----------------------------------------------------------------------------------


def history_present() -> bool:
    """Whether the demo history has been written already."""
    return Application.objects.filter(idempotency_key__startswith=KEY_PREFIX).exists()


@transaction.atomic
def application_history_ensure(
    *,
    applicants: Sequence[Applicant],
    total: int = 2000,
    weights: Mapping[str, float] | None = None,
    profiles: Mapping[str, AgencyProfile] | None = None,
    seed: int = 2026,
    now: dt.datetime | None = None,
) -> HistoryResult:
    """About `total` decided applications submitted over the 12 calendar months up to `now` (the
    current one included), for every online service in proportion to `weights` (by service
    code, 1 when not named), made out to `applicants`, decided as each agency's `profiles` entry
    says (by agency code; `AgencyProfile()` when not named). Nothing when the history is there
    already or there is nobody to apply."""
    result = HistoryResult()
    if not applicants or total <= 0 or history_present():
        return result
    rng = random.Random(seed)
    now = (now or timezone.now()).replace(microsecond=0)
    today = timezone.localdate(now)
    calendar = calendar_default()
    weights, profiles = weights or {}, profiles or {}
    services = [s for s in service_search() if "approved" in _routes(s.package.workflow).to_outcome]
    if not services:
        return result
    routes = {s.id: _routes(s.package.workflow) for s in services}
    final_states = {name for s in services for name, st in s.package.workflow.states.items()
                    if st.final}  # fmt: skip
    staff = {}
    for agency in sorted({s.agency_code for s in services}):
        staff[agency] = [(uid, role) for role in STAFF_ROLES
                         for uid in organisation_member_ids(code=agency, roles={role})]  # fmt: skip

    # The days applications came in on: the 12 months, more on weekdays, growing a little over
    # the year as more people move online.
    first = (today.replace(day=1) - dt.timedelta(days=320)).replace(day=1)
    days = _days(first, today - dt.timedelta(days=1))
    day_weights = list(accumulate((0.35 if d.weekday() >= 5 else 1.0) * (0.8 + 0.4 * i / len(days))
                                  for i, d in enumerate(days)))  # fmt: skip
    service_weights = list(accumulate(weights.get(s.code, 1.0) for s in services))

    apps: list[Application] = []
    plans: list[list[tuple[str, int | None, str, str, str, str, dt.datetime]]] = []
    grounds: list[str] = []
    # The grounds have their own random stream, so the cases, dates and outcomes stay as they
    # were before refusals were coded.
    ground_rng = random.Random(seed + 1)
    for n in range(total):
        service = rng.choices(services, cum_weights=service_weights)[0]
        route = routes[service.id]
        profile = profiles.get(service.agency_code, AgencyProfile())
        applicant = rng.choice(applicants)
        language = applicant.language if applicant.language in REFUSAL_REASONS else "kk"
        submitted_on = rng.choices(days, cum_weights=day_weights)[0]
        submitted_at = _submitted_moment(rng, submitted_on)
        if submitted_at >= now:
            continue
        deadline = route.workflow.deadline_working_days
        due = calendar.add_working_days(submitted_on, deadline)

        roll = rng.random()
        outcome = "approved"
        if roll < profile.withdrawn and "withdrawn" in route.to_outcome:
            outcome = "withdrawn"
        elif rng.random() < profile.refused and "refused" in route.to_outcome:
            outcome = "refused"
        path = route.to_outcome[outcome]
        late = rng.random() >= profile.in_time
        officers = staff.get(service.agency_code, [])
        # One member of staff works the case, from a role every step of theirs allows.
        needed = [set(a.roles) for a in path if set(a.roles) & set(STAFF_ROLES)]
        if route.detour:
            needed.append(set(route.detour[1].roles))
        able = [o for o in officers if all(o[1] in roles for roles in needed)] or officers
        officer = rng.choice(able) if able else None

        # The clock: from submission, or (asked for more) from the day the applicant answered,
        # with the working days that were left then (`application_act`).
        anchor_at, budget, detour = submitted_at, deadline, None
        can_ask = route.detour is not None and route.detour[0] in {s.to for s in path[:-1]}
        if can_ask and rng.random() < profile.info_requested:
            asked_on = calendar.add_working_days(submitted_on, rng.randint(1, max(1, deadline)))
            answered_on = calendar.add_working_days(asked_on, rng.randint(1, 6))
            asked_at = _office_moment(rng, asked_on)
            answered_at = _submitted_moment(rng, answered_on)
            if answered_at <= asked_at:
                answered_at = asked_at + dt.timedelta(hours=2)
            budget = max(0, calendar.working_days_between(asked_on, due))
            due = calendar.add_working_days(answered_on, budget)
            anchor_at, detour = answered_at, (asked_at, answered_at)
        anchor_on = timezone.localdate(anchor_at)

        offset = _offset(rng, budget=budget, profile=profile, late=late)
        if offset == 0 and (not calendar.is_working_day(anchor_on)
                            or anchor_at >= _at(anchor_on, dt.time(17, 0))):  # fmt: skip
            offset = 1
        decided_on = calendar.add_working_days(anchor_on, offset)
        decided_at = _office_moment(rng, decided_on, after=anchor_at if offset == 0 else None)
        if decided_at >= now:  # the newest cases: decided by yesterday, or dropped
            last = today - dt.timedelta(days=1)
            while not calendar.is_working_day(last):
                last -= dt.timedelta(days=1)
            if last < anchor_on or (last == anchor_on and anchor_at >= _at(last, dt.time(17))):
                continue
            decided_on = last
            decided_at = _office_moment(rng, last, after=anchor_at if last == anchor_on else None)
        if detour and detour[1] >= decided_at:
            continue

        # The history rows: submit, then the route's steps (the detour after the step that leads
        # into the state it starts from), the last one at the decision.
        reason = rng.choice(REFUSAL_REASONS[language]) if outcome == "refused" else ""
        ground = _ground(ground_rng, service, path[-1].name) if outcome == "refused" else ""
        applicant_step = (applicant.user_id, APPLICANT_ROLE)
        plan: list[tuple[str, int | None, str, str, str, dt.datetime]] = [
            ("submit", *applicant_step, route.workflow.initial, "", submitted_at)
        ]
        start = submitted_at
        for i, step in enumerate(path):
            final = i == len(path) - 1
            who = _who(step, officer=officer, officers=officers, applicant=applicant_step)
            if final:
                at = decided_at
            else:
                at = _first_office_moment(rng, calendar, after=start,
                                          before=detour[0] if detour else decided_at)  # fmt: skip
            plan.append((step.name, *who, step.to, reason if final else "", at))
            start = at
            if detour and route.detour and step.to == route.detour[0] and not final:
                _state, ask, answer = route.detour
                plan.append((ask.name, *_who(ask, officer=officer, officers=officers,
                                             applicant=applicant_step),
                             ask.to, INFO_REQUESTS[language], detour[0]))  # fmt: skip
                plan.append((answer.name, *applicant_step, answer.to, "", detour[1]))
                start, detour = detour[1], None
        # Each row's from-state is where the case was before it.
        fixed: list[tuple[str, int | None, str, str, str, str, dt.datetime]] = []
        state = Application.DRAFT
        for action, actor, role, to, why, at in plan:
            fixed.append((action, actor, role, state, to, why, at))
            state = to
        final_state = state

        is_late = decided_on > due
        result.late += is_late
        result.by_outcome[outcome] += 1
        apps.append(Application(
            service_version_id=service.id, service_code=service.code,
            agency_code=service.agency_code, applicant_id=applicant.user_id,
            applicant_iin=applicant.iin, language=language, state=final_state, outcome=outcome,
            data={}, evidence={}, idempotency_key=f"{KEY_PREFIX}{n:05d}",
            submitted_at=submitted_at, decided_at=decided_at, decision_reason=reason,
            decision_ground=ground,
            due_date=due, state_due_date=None, is_open=False,
            # `application_act`: a member of staff who takes the case becomes its assignee.
            assignee_id=next((u for a, u, r, *_ in fixed if a == "take" and r != APPLICANT_ROLE),
                             None),
            overdue_notified=is_late,
            due_soon_notified=decided_on >= due - dt.timedelta(days=1),
        ))  # fmt: skip
        plans.append(fixed)
        grounds.append(ground)

    Application.objects.bulk_create(apps, batch_size=500)
    # created_at/updated_at are set by the database layer on insert: give them their real times.
    Application.objects.filter(idempotency_key__startswith=KEY_PREFIX).update(
        created_at=F("submitted_at"), updated_at=F("decided_at")
    )
    events = [
        ApplicationEvent(
            application_id=app.pk, actor_id=actor, actor_role=role, action=action,
            from_state=from_state, to_state=to, reason=why, at=at,
            ground=ground if to in final_states else "",
        )
        for app, plan, ground in zip(apps, plans, grounds, strict=True)
        for action, actor, role, from_state, to, why, at in plan
    ]  # fmt: skip
    moments = [event.at for event in events]
    ApplicationEvent.objects.bulk_create(events, batch_size=1000)
    # So is each history row's `at` (auto_now_add): put back the moment it happened — the
    # submission's and the decision's from their case in two statements, the steps between
    # (fewer) one by one in `bulk_update`'s batches.
    ours = ApplicationEvent.objects.filter(application__idempotency_key__startswith=KEY_PREFIX)
    case = Application.objects.filter(pk=OuterRef("application_id"))
    ours.filter(action="submit").update(at=Subquery(case.values("submitted_at")[:1]))
    decisions = ours.exclude(action="submit").filter(to_state=F("application__state"))
    decisions.update(at=Subquery(case.values("decided_at")[:1]))
    between = []
    for event, at in zip(events, moments, strict=True):
        if event.action != "submit" and event.to_state not in final_states:
            event.at = at
            between.append(event)
    ApplicationEvent.objects.bulk_update(between, ["at"], batch_size=1000)
    result.created, result.events = len(apps), len(events)
    return result


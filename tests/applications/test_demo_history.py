"""The demo's past year of decided applications: written once, decided the way the workflow
decides (states, history rows, deadlines in working days), in nobody's open inbox, quick to load,
and enough for the agency performance figures to tell the better agency from the worse."""

from __future__ import annotations

import time
from collections import Counter
from itertools import pairwise

import pytest
from django.urls import reverse
from django.utils import timezone

from qyzmet.applications import selectors as app_selectors
from qyzmet.applications.demo_history import KEY_PREFIX
from qyzmet.applications.models import Application, ApplicationEvent
from qyzmet.catalog.selectors import service_pinned
from qyzmet.core.calendar import calendar_default
from qyzmet.countries.kz import demo, demo_desk, demo_history
from qyzmet.identity.models import User
from qyzmet.opendata import performance
from qyzmet.opendata.services import publish_all
from tests.portal.factories import catalog_loaded

pytestmark = pytest.mark.django_db

TIME_BUDGET_SECONDS = 10  # SQLite on a laptop: about one second


@pytest.fixture
def loaded():
    demo.population_generate(count=300, seed=2026)
    demo.demo_accounts_ensure()
    catalog_loaded()
    demo_desk.demo_open_cases_ensure()
    started = time.perf_counter()
    result = demo_history.demo_history_ensure(seed=2026)
    return result, time.perf_counter() - started


def _history():
    return Application.objects.filter(idempotency_key__startswith=KEY_PREFIX)


def test_written_once_quickly_in_the_expected_shape(loaded):
    result, seconds = loaded
    assert seconds < TIME_BUDGET_SECONDS
    assert 1500 <= result.created == _history().count() <= 2500
    assert "Past applications (demo history)" in str(result)
    counts = (Application.objects.count(), ApplicationEvent.objects.count(), User.objects.count())

    again = demo_history.demo_history_ensure(seed=2026)
    assert again.created == 0 and "none added" in str(again)
    assert counts == (
        Application.objects.count(), ApplicationEvent.objects.count(), User.objects.count()
    )


def test_counts_by_state(loaded):
    result, _seconds = loaded
    states = Counter(_history().values_list("state", flat=True))
    assert states == Counter(dict(result.by_outcome))
    total = sum(states.values())
    assert set(states) <= {"approved", "refused", "withdrawn"}
    assert states["approved"] / total > 0.8
    assert 0.09 <= states["refused"] / total <= 0.16
    # Only the services whose workflow lets the applicant withdraw (the fee-bearing ones, from
    # their fee version on) have withdrawn cases: the history writes only outcomes a workflow has.
    withdrawable = {
        "kz.passport", "kz.driving-licence", "kz.vehicle-registration", "kz.marriage-registration",
    }  # fmt: skip
    withdrawn = _history().filter(outcome="withdrawn")
    assert set(withdrawn.values_list("service_code", flat=True)) <= withdrawable
    assert states["withdrawn"] / total < 0.05
    assert not _history().filter(is_open=True).exists()
    assert not _history().filter(outcome="").exists()
    assert all(state == outcome for state, outcome in _history().values_list("state", "outcome"))
    refused = _history().filter(outcome="refused")
    assert not refused.filter(decision_reason="").exists()
    assert not _history().filter(outcome="approved").exclude(decision_reason="").exists()


def test_decisions_follow_the_submission_and_the_workflow(loaded):
    calendar = calendar_default()
    now = timezone.now()
    cases = list(_history().order_by("pk"))
    events: dict[int, list[ApplicationEvent]] = {}
    for event in ApplicationEvent.objects.filter(application__in=cases).order_by("pk"):
        events.setdefault(event.application_id, []).append(event)
    paused = 0
    for case in cases:
        assert case.submitted_at < case.decided_at < now, case.pk
        assert case.created_at == case.submitted_at and case.updated_at == case.decided_at
        history = events[case.pk]
        assert [e.at for e in history] == sorted(e.at for e in history), case.pk
        assert (history[0].action, history[0].from_state) == ("submit", "draft")
        assert history[0].at == case.submitted_at and history[0].actor_id == case.applicant_id
        assert history[-1].at == case.decided_at and history[-1].to_state == case.state
        workflow = service_pinned(version_id=case.service_version_id).package.workflow
        assert history[0].to_state == workflow.initial
        for before, after in pairwise(history):
            assert after.from_state == before.to_state, case.pk
            action = workflow.action(after.action)
            assert action is not None and after.from_state in action.from_states, after.action
            assert action.to == after.to_state and after.actor_role in action.roles
        submitted_on = timezone.localdate(case.submitted_at)
        if any(e.action == "request_info" for e in history):
            paused += 1
            assert case.due_date >= calendar.add_working_days(
                submitted_on, workflow.deadline_working_days
            )
        else:
            assert case.due_date == calendar.add_working_days(
                submitted_on, workflow.deadline_working_days
            ), case.pk
        assert case.paused_at is None and case.remaining_working_days is None
    assert paused  # some applicants were asked for more


def test_a_share_are_late_and_the_agencies_differ(loaded):
    result, _seconds = loaded
    late: Counter = Counter()
    total: Counter = Counter()
    for agency, due, decided_at in _history().values_list("agency_code", "due_date", "decided_at"):
        total[agency] += 1
        late[agency] += timezone.localdate(decided_at) > due
    assert sum(late.values()) == result.late
    assert 0.04 <= result.late / result.created <= 0.2
    share = {agency: late[agency] / total[agency] for agency in total}
    assert share["kz-kgd"] < 0.03 < 0.15 < share["kz-mvd-migration"]
    assert len(total) >= 8  # every agency with an online service


def test_in_no_officers_open_inbox_and_the_pages_render(client, loaded):
    history = set(_history().values_list("pk", flat=True))
    for agency, people in demo.DEMO_OFFICER_IINS.items():
        for iin, _role in people:
            officer = User.objects.get(iin=iin)
            open_cases = app_selectors.inbox_list(user=officer, limit=100).items
            assert not {c.pk for c in open_cases} & history, agency
    officer_iin = next(i for i, r in demo.DEMO_OFFICER_IINS["kz-mvd-migration"] if r == "officer")
    officer = User.objects.get(iin=officer_iin)
    client.force_login(officer)
    client.cookies["django_language"] = "kk"
    closed = client.get(reverse("bo-inbox"), {"status": "closed"})
    assert closed.status_code == 200
    case = _history().filter(agency_code="kz-mvd-migration", outcome="refused").first()
    page = client.get(reverse("bo-case", kwargs={"application_id": case.pk}))
    assert page.status_code == 200 and case.decision_reason in page.content.decode()

    # The demo logins apply for nothing in the history: their own pages are as before.
    logins = {login.iin for login in demo.demo_logins()}
    assert not _history().filter(applicant_iin__in=logins).exists()
    citizen = User.objects.get(iin=demo.DEMO_CITIZEN_A_IIN)
    client.force_login(citizen)
    mine = client.get(reverse("my-applications"))
    assert mine.status_code == 200
    own = Application.objects.filter(applicant=citizen).exclude(state="draft").first()
    if own is not None:
        assert client.get(
            reverse("my-application", kwargs={"application_id": own.pk})
        ).status_code == 200


def test_the_performance_figures_are_filled_after_publishing(loaded):
    publish_all()
    months = performance.last_months(timezone.localdate(), 12)
    figures = performance.evaluate(performance.published_rows(), months)
    agencies = set(_history().values_list("agency_code", flat=True))
    assert agencies <= set(figures)
    for agency in agencies:
        total = figures[agency].total
        assert total.applications > 0, agency
        assert total.within_deadline_pct is not None, agency
        assert total.median_days is not None, agency
    best, worst = figures["kz-kgd"].total, figures["kz-mvd-migration"].total
    assert best.within_deadline_pct > 95 > 85 > worst.within_deadline_pct
    assert best.refusal_rate_pct < worst.refusal_rate_pct
    assert worst.median_days > best.median_days
    # Most months of the year carry figures of their own.
    busy = figures["kz-mvd"].by_month
    assert sum(1 for m in months if busy[m].within_deadline_pct is not None) >= 10


def test_refused_cases_have_a_ground_of_their_package(loaded):
    refused = list(_history().filter(outcome="refused"))
    assert refused
    seen: dict[str, set[str]] = {}
    for case in refused:
        package = service_pinned(version_id=case.service_version_id).package
        assert package.ground(case.decision_ground) is not None, case.service_code
        seen.setdefault(case.agency_code, set()).add(case.decision_ground)
    assert all(len(codes) >= 2 for codes in seen.values() if codes), seen
    final = ApplicationEvent.objects.filter(application__in=refused, to_state="refused")
    assert final.count() == len(refused)
    assert not final.filter(ground="").exists()
    assert not _history().exclude(outcome="refused").exclude(decision_ground="").exists()

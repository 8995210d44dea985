"""The demo gives every agency's officer a desk worth looking at: open cases made through the
real services (history, deadline, registry evidence), one overdue and one due soon, and loading
the demo again adds nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from qyzmet.applications import selectors as app_selectors
from qyzmet.applications.models import Application, ApplicationEvent
from qyzmet.catalog.selectors import service_search
from qyzmet.countries.kz import demo, demo_desk
from qyzmet.identity.models import User
from tests.portal.factories import catalog_loaded

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(django_capture_on_commit_callbacks):
    demo.population_generate(count=200, seed=2026)
    demo.demo_accounts_ensure()
    catalog_loaded()
    # As in a real load, events are delivered after commit: a fee-bearing case paid by the demo
    # enters its workflow through the `payment.succeeded` consumer.
    with django_capture_on_commit_callbacks(execute=True):
        return demo_desk.demo_open_cases_ensure()


def test_every_agency_inbox_has_open_cases_some_overdue_some_due_soon(client, loaded):
    today = timezone.localdate()
    soon = app_selectors.deadline_soon_limit(today=today)
    # Agencies of information services only (applied for elsewhere) have no inbox work.
    online = {service.agency_code for service in service_search()}
    agencies = [a for a in demo.agencies_load() if a["code"] in online]
    assert {"kz-mvd", "kz-mvd-migration", "kz-mvd-police", "kz-minjust"} <= online
    assert loaded["cases"] == 3 * len(agencies)
    for agency in agencies:
        officer_iin = next(i for i, role in demo.DEMO_OFFICER_IINS[agency["code"]]
                           if role == "officer")
        officer = User.objects.get(iin=officer_iin)
        cases = app_selectors.inbox_list(user=officer).items
        assert len(cases) == 3, agency["code"]
        assert any(c.due_date < today for c in cases), agency["code"]
        assert any(today <= c.due_date <= soon for c in cases), agency["code"]
        for case in cases:
            full = Application.objects.get(pk=case.pk)
            assert full.evidence, case.number
            assert ApplicationEvent.objects.filter(application=full, action="submit").exists()
            assert not full.evidence_missing, case.number
        client.force_login(officer)
        client.cookies["django_language"] = "kk"
        html = client.get(reverse("bo-inbox")).content.decode()
        assert html.count('class="tag overdue"') >= 1 and "Мерзімі жақын" in html


def test_loading_again_adds_nothing(loaded):
    before = Application.objects.count()
    assert demo_desk.demo_open_cases_ensure() == {"cases": 0}
    assert Application.objects.count() == before

"""Once-only through the gateway: GatewayRegistryClient and the citizen's application."""

from __future__ import annotations

import pytest
from django.test import Client

from qyzmet.audit.models import AuditEntry
from qyzmet.exchange.conf import platform_client
from qyzmet.exchange.messagelog import message_log_verify
from qyzmet.exchange.models import MessageLogEntry
from qyzmet.exchange.services import access_right_revoke, exchange_sync
from qyzmet.registries.client import (
    GatewayRegistryClient,
    InvalidSubject,
    PurposeRequired,
    RegistryRefused,
    RegistryUnavailable,
    SubjectNotFound,
    UnknownFact,
)
from tests.identity.factories import next_iin
from tests.registries.factories import PersonFactory

pytestmark = pytest.mark.django_db
POPULATION = "KZ/GOV/990340020029/population/facts"
VERIFIER = "qyzmet.exchange.provider.gateway_request_verify"


@pytest.fixture
def gateway(settings):
    settings.QYZMET_GATEWAY_VERIFIER = VERIFIER
    exchange_sync()
    return GatewayRegistryClient()


def test_sync_is_idempotent(gateway):
    assert exchange_sync() == {"members": 0, "subsystems": 0, "services": 0, "rights": 0,
                               "organisations": 0}  # fmt: skip


def test_fetch_goes_through_the_gateway_with_purpose_and_end_user(gateway):
    person = PersonFactory()
    answer = gateway.fetch(registry="population", fact="person", subject=person.iin,
                           purpose="application 1 for service x", actor=None)  # fmt: skip
    assert answer["iin"] == person.iin
    logged = MessageLogEntry.objects.filter(direction="request").get()
    assert logged.client == platform_client() and logged.service == POPULATION
    assert logged.user_id == person.iin and logged.purpose == "application 1 for service x"
    read = AuditEntry.objects.filter(kind="read", subject_iin=person.iin).get()
    assert read.purpose == "application 1 for service x"
    assert message_log_verify().ok


def test_fields_are_narrowed(gateway):
    person = PersonFactory()
    answer = gateway.fetch(registry="population", fact="person", subject=person.iin,
                           purpose="p", actor=None, fields=["iin", "address.city"])  # fmt: skip
    assert set(answer) == {"iin", "address"} and set(answer["address"]) == {"city"}


def test_errors_map_to_the_client_exceptions(gateway):
    with pytest.raises(SubjectNotFound):
        gateway.fetch(registry="population", fact="person", subject=next_iin(), purpose="p",
                      actor=None)  # fmt: skip
    with pytest.raises(InvalidSubject):
        gateway.fetch(registry="population", fact="person", subject="123", purpose="p",
                      actor=None)  # fmt: skip
    with pytest.raises(UnknownFact):
        gateway.fetch(registry="population", fact="nope", subject=next_iin(), purpose="p",
                      actor=None)  # fmt: skip
    with pytest.raises(UnknownFact):
        gateway.fetch(registry="nowhere", fact="person", subject=next_iin(), purpose="p",
                      actor=None)  # fmt: skip
    with pytest.raises(PurposeRequired):
        gateway.fetch(registry="population", fact="person", subject=next_iin(), purpose=" ",
                      actor=None)  # fmt: skip


def test_revoked_right_is_refused_with_the_xroad_code(gateway):
    access_right_revoke(actor=None, service_id=POPULATION, client_id=platform_client(),
                        managed_orgs=None)  # fmt: skip
    with pytest.raises(RegistryRefused) as caught:
        gateway.fetch(registry="population", fact="person", subject=PersonFactory().iin,
                      purpose="p", actor=None)  # fmt: skip
    assert caught.value.code == "Server.ServerProxy.AccessDenied"


def test_registry_down_is_unavailable(gateway, settings):
    settings.QYZMET_EXCHANGE_BASE_URLS = {POPULATION: "http://127.0.0.1:9/data/population/1.0/facts"}
    with pytest.raises(RegistryUnavailable):
        gateway.fetch(registry="population", fact="person", subject=PersonFactory().iin,
                      purpose="p", actor=None)  # fmt: skip


def test_registry_refuses_calls_that_bypass_the_gateway(gateway):
    person = PersonFactory()
    direct = Client().get(f"/data/population/1.0/facts/person?subject={person.iin}",
                          headers={"X-Road-Client": platform_client(), "X-Road-UserId": person.iin,
                                   "X-Road-Purpose": "p", "X-Road-Signature": "AAAA"})
    assert direct.status_code == 401


GATEWAY_CLIENT = "qyzmet.registries.client.GatewayRegistryClient"


def test_application_evidence_comes_through_the_gateway(gateway, settings,
                                                       django_capture_on_commit_callbacks):
    from tests.portal.factories import catalog_loaded, citizen, submitted

    settings.QYZMET_REGISTRY_CLIENT = GATEWAY_CLIENT
    catalog_loaded()
    user = citizen()
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(user)
    assert application.evidence
    purposes = set(MessageLogEntry.objects.values_list("purpose", flat=True))
    assert purposes == {f"application {application.number} for service "
                        f"{application.service_code}"}  # fmt: skip
    assert set(MessageLogEntry.objects.values_list("user_id", flat=True)) == {user.iin}


def test_registry_down_answers_503_and_saves_nothing(gateway, settings):
    from qyzmet.applications.models import Application
    from qyzmet.core.problem import Problem
    from tests.portal.factories import catalog_loaded, citizen, submitted

    settings.QYZMET_REGISTRY_CLIENT = GATEWAY_CLIENT
    settings.QYZMET_EXCHANGE_BASE_URLS = {
        POPULATION: "http://127.0.0.1:9/data/population/1.0/facts"}
    catalog_loaded()
    user = citizen()
    with pytest.raises(Problem) as caught:
        submitted(user)
    assert caught.value.status == 503
    assert not Application.objects.filter(applicant=user).exists()

"""Once-only through the gateway: GatewayRegistryClient and the citizen's application."""

from __future__ import annotations

import pytest
from django.test import Client

from qyzmet.audit.models import AuditEntry
from qyzmet.exchange.conf import platform_client
from qyzmet.exchange.messagelog import message_log_verify
from qyzmet.exchange.models import MessageLogEntry
from qyzmet.exchange.registry_client import (
    GatewayRegistryClient,
    InvalidSubject,
    PurposeRequired,
    RegistryRefused,
    RegistryUnavailable,
    SubjectNotFound,
    UnknownFact,
)
from qyzmet.exchange.services import access_right_revoke, exchange_sync
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


GATEWAY_CLIENT = "qyzmet.exchange.registry_client.GatewayRegistryClient"


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
    # Read while it was being sent, before it had a number (no transaction open meanwhile).
    assert purposes == {f"submitting an application for service {application.service_code}"}
    assert set(MessageLogEntry.objects.values_list("user_id", flat=True)) == {user.iin}


def test_unreachable_registry_keeps_the_application_and_the_retry_brings_it_in(
    gateway, settings, django_capture_on_commit_callbacks
):
    """The real gateway client, the registry's base URL at a closed port: the submission is
    kept waiting; once the registry is reachable the sweep reads it through the gateway, with
    the same purpose and the citizen as the end user, and the case enters its workflow."""
    import datetime as dt
    import socket

    from django.utils import timezone

    from qyzmet.applications.models import Application
    from qyzmet.applications.services import evidence_retry_due
    from tests.portal.factories import catalog_loaded, citizen, submitted

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    settings.QYZMET_REGISTRY_CLIENT = GATEWAY_CLIENT
    settings.QYZMET_EXCHANGE_BASE_URLS = {
        POPULATION: f"http://127.0.0.1:{closed}/data/population/1.0/facts"
    }
    catalog_loaded()
    user = citizen()
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(user)
    application.refresh_from_db()
    assert application.state == Application.AWAITING_EVIDENCE
    assert application.evidence_pending == ["person"] and application.evidence == {}
    assert "population.person" in application.evidence_error
    sending = f"submitting an application for service {application.service_code}"
    retry = f"application {application.number} for service {application.service_code}"
    failed = MessageLogEntry.objects.filter(service=POPULATION, direction="response")
    assert list(failed.values_list("status", flat=True)) == [503]

    later = timezone.now() + dt.timedelta(minutes=1)
    assert evidence_retry_due(now=later)["waiting"] == 1  # still unreachable
    settings.QYZMET_EXCHANGE_BASE_URLS = {}
    with django_capture_on_commit_callbacks(execute=True):
        counts = evidence_retry_due(now=later + dt.timedelta(minutes=2))
    assert counts["started"] == 1
    application.refresh_from_db()
    assert application.state == "submitted" and application.evidence["person"]["iin"] == user.iin
    assert MessageLogEntry.objects.filter(service=POPULATION, direction="response",
                                          status=200).count() == 1  # fmt: skip
    # The failed read while sending it; the retry's read names the application's number.
    assert set(MessageLogEntry.objects.values_list("purpose", flat=True)) == {sending, retry}
    assert set(MessageLogEntry.objects.values_list("user_id", flat=True)) == {user.iin}
    assert message_log_verify().ok

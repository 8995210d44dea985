"""Consent: a registry refuses a category of data without the person's consent, releases it
with consent, refuses again after withdrawal or when the agreement's terms change; every answer
is a new, kept revision."""

from __future__ import annotations

import pytest
from django.test import Client

from qyzmet.core.problem import Problem
from qyzmet.registries.consent.models import AppendOnlyError, ConsentRecord
from qyzmet.registries.consent.selectors import consents_of_person
from qyzmet.registries.consent.services import (
    consent_agreement_publish,
    consent_give,
    consent_withdraw,
)
from tests.govstack.factories import CriminalRecordFactory
from tests.govstack.helpers import gateway_call
from tests.portal.factories import citizen

pytestmark = pytest.mark.django_db

EMPLOYER = "KZ/COM/990340020027/hr-check"
CODE = "criminal-record-employer-check"


def _publish(version_note: str = "") -> None:
    consent_agreement_publish(
        actor=None, code=CODE, registry="criminal_records", category="criminal_record_status",
        clients=[EMPLOYER], title={"en": "Employer check" + version_note},
        text={"en": "An employer may read my criminal record."},
    )  # fmt: skip


def _ask(iin: str, client_id: str = EMPLOYER):
    return gateway_call(
        "GET", f"/data/criminal_records/1.0/facts/criminal_record_status?subject={iin}",
        user=iin, client_id=client_id, purpose="hiring check",
    )  # fmt: skip


def test_refused_without_allowed_with_refused_after_withdrawal():
    person = citizen()
    CriminalRecordFactory(iin=person.iin)
    _publish()
    refused = _ask(person.iin)
    assert refused.status_code == 403
    assert refused.json()["code"] == "consent.required"
    assert refused.json()["agreements"] == [{"code": CODE, "version": 1}]
    assert _ask(person.iin, client_id="KZ/GOV/990340020019/police").status_code == 200

    consent_give(actor=person, subject_iin=person.iin, code=CODE)
    assert _ask(person.iin).status_code == 200
    consent_withdraw(actor=person, subject_iin=person.iin, code=CODE)
    assert _ask(person.iin).status_code == 403


def test_new_agreement_version_asks_again_and_history_is_kept():
    person = citizen()
    _publish()
    consent_give(actor=person, subject_iin=person.iin, code=CODE)
    assert _ask(person.iin).status_code == 200
    _publish(" (v2)")
    assert _ask(person.iin).status_code == 403
    [view] = consents_of_person(subject_iin=person.iin)
    assert view.state == "outdated" and view.agreement.version == 2
    consent_give(actor=person, subject_iin=person.iin, code=CODE)
    assert _ask(person.iin).status_code == 200
    records = ConsentRecord.objects.filter(subject_iin=person.iin).order_by("revision")
    assert [(r.revision, r.state, r.agreement.version) for r in records] == [
        (1, "given", 1), (2, "given", 2),
    ]  # fmt: skip
    with pytest.raises(AppendOnlyError):
        records[0].save()
    with pytest.raises(Problem):
        consent_withdraw(actor=person, subject_iin=citizen().iin, code=CODE)


def test_data_api_record_reads_are_enforced_too():
    person = citizen()
    record = CriminalRecordFactory(iin=person.iin)
    consent_agreement_publish(
        actor=None, code="records-any", registry="criminal_records", category="record",
        title={"en": "x"}, text={"en": "x"},
    )  # fmt: skip
    query = {"query": {"content": {"iin": person.iin}}}
    refused = gateway_call("POST", "/data/criminal_records/1.0/read", query, user=person.iin)
    assert refused.status_code == 403
    by_key = gateway_call("GET", f"/data/criminal_records/1.0/{record.record_number}/read-value/"
                          "article", user=person.iin)  # fmt: skip
    assert by_key.status_code == 403
    consent_give(actor=person, subject_iin=person.iin, code="records-any")
    allowed = gateway_call("POST", "/data/criminal_records/1.0/read", query, user=person.iin)
    assert allowed.status_code == 200


def test_consent_pages_give_and_withdraw():
    person = citizen()
    _publish()
    browser = Client()
    browser.force_login(person)
    page = browser.get("/my/consents/")
    assert page.status_code == 200 and "Employer check" in page.content.decode()
    assert browser.post(f"/my/consents/{CODE}/give/").status_code == 302
    assert _ask(person.iin).status_code == 200
    assert browser.post(f"/my/consents/{CODE}/withdraw/").status_code == 302
    assert _ask(person.iin).status_code == 403
    assert browser.post("/my/consents/no-such/give/").status_code == 404
    history = browser.get("/my/consents/").content.decode()
    assert history.count("<li><time") == 2


def test_agreements_in_force_are_cached_until_one_is_published(django_assert_num_queries):
    """Every consent-bound read asks for the agreements in force: after the first look-up it
    costs one primary-key read, and a publication (from any process: the marker is in the
    database) is seen at once — also when a rolled-back publication left its id to reuse."""
    from django.db import transaction

    from qyzmet.registries.consent.selectors import agreements_in_force

    _publish()
    assert [(a.code, a.version) for a in agreements_in_force()] == [(CODE, 1)]
    with django_assert_num_queries(1):
        assert [(a.code, a.version) for a in agreements_in_force()] == [(CODE, 1)]

    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        consent_agreement_publish(
            actor=None, code="abandoned", registry="vehicles", category="vehicles_of_person",
            title={"en": "never published"}, text={"en": "-"},
        )  # fmt: skip
        assert {a.code for a in agreements_in_force()} == {CODE, "abandoned"}
        raise Abandon
    assert [(a.code, a.version) for a in agreements_in_force()] == [(CODE, 1)]
    consent_agreement_publish(
        actor=None, code="other", registry="vehicles", category="vehicles_of_person",
        title={"en": "published"}, text={"en": "-"},
    )  # fmt: skip
    _publish(" v2")
    assert sorted((a.code, a.version) for a in agreements_in_force()) == [(CODE, 2), ("other", 1)]

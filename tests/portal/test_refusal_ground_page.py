"""The citizen's page of a refused application shows the ground and its legal basis in their
language; a refusal made before the service had grounds shows none."""

from __future__ import annotations

import pytest
from django.urls import reverse

from qyzmet.applications import services
from qyzmet.applications.models import Application
from qyzmet.catalog.selectors import service_versions
from tests.portal.factories import SERVICE, catalog_loaded, citizen, officer, submitted

pytestmark = pytest.mark.django_db


def _refused(applicant, *, ground: str, pin_first: bool = False):
    clerk = officer()
    case = submitted(applicant, key=f"r-{ground}-{pin_first}")
    if pin_first:
        Application.objects.filter(pk=case.pk).update(
            service_version_id=service_versions(code=SERVICE)[0].id)
    services.application_act(actor=clerk, application_id=case.pk, action="take")
    services.application_act(actor=clerk, application_id=case.pk, action="refuse",
                             reason="Адрес не найден.", ground=ground)
    return case


def test_the_ground_and_its_legal_basis_in_the_citizens_language(client):
    catalog_loaded()
    applicant = citizen()
    case = _refused(applicant, ground="no_registered_address")
    client.force_login(applicant)
    url = reverse("my-application", kwargs={"application_id": case.pk})
    for lang, label, basis in (
        ("ru", "У заявителя нет зарегистрированного места жительства", "Правовое основание: "),
        ("kk", "Өтінім берушінің халықтың мемлекеттік дерекқорында", "Құқықтық негіз: "),
        ("en", "The applicant has no registered address", "Legal basis: "),
    ):
        client.cookies["django_language"] = lang
        html = client.get(url).content.decode()
        assert label in html and basis in html and "19-1" in html, lang
        assert "Адрес не найден." in html
        assert "no_registered_address" not in html.replace('data-ground="no_registered_address"',
                                                           "")


def test_a_refusal_without_a_recorded_ground_shows_none(client):
    catalog_loaded()
    applicant = citizen()
    case = _refused(applicant, ground="", pin_first=True)
    client.force_login(applicant)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("my-application", kwargs={"application_id": case.pk})).content
    assert b"Ground for refusal" not in html and "Адрес не найден.".encode() in html

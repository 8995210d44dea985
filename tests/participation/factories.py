"""Test data for open legal acts: an agency with an officer and a head, another agency, citizens
and a business representative; drafts made through the real services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from qyzmet.identity.models import Organisation
from qyzmet.participation import services
from tests.identity.factories import MembershipFactory, OrganisationFactory, UserFactory

TITLE = {"kk": "Жол жүру ережелеріне өзгерістер", "ru": "Изменения в правила дорожного движения",
         "en": "Amendments to the traffic rules"}
TEXT = {
    "kk": "1. Жылдамдық қалада сағатына 50 шақырым.\n\n2. Айыппұл 10 АЕК.\n\n3. Күшіне енеді.",
    "ru": "1. Скорость в городе 50 километров в час.\n\n2. Штраф 10 МРП.\n\n3. Вступает в силу.",
}
NOTE = {"kk": "Түсіндірме жазба.", "ru": "Пояснительная записка."}


@dataclass
class World:
    org: str
    other_org: str
    business: str
    officer: Any
    head: Any
    other_officer: Any
    citizen: Any
    citizen_b: Any
    rep: Any


def world_make() -> World:
    org, other = OrganisationFactory(), OrganisationFactory()
    business = OrganisationFactory(kind=Organisation.Kind.BUSINESS, name_ru="ТОО «Дорстрой»",
                                   name_kk="«Дорстрой» ЖШС", name_en="Dorstroy LLP")

    def member(o, role):
        return MembershipFactory(organisation=o, role=role, user=UserFactory()).user

    return World(
        org=org.code, other_org=other.code, business=business.code,
        officer=member(org, "officer"), head=member(org, "head"),
        other_officer=member(other, "officer"), citizen=UserFactory(), citizen_b=UserFactory(),
        rep=member(business, "representative"),
    )


def draft(w: World, *, days: int = 10, text: dict | None = None):
    return services.legal_act_create(actor=w.officer, organisation_code=w.org, kind="order",
                                     comment_days=days, title=TITLE, text=text or TEXT, note=NOTE)


def published(w: World, *, days: int = 10, opened: dt.date | None = None):
    act = draft(w, days=days)
    return services.legal_act_publish(actor=w.head, act_id=act.pk,
                                      today=opened or timezone.localdate())

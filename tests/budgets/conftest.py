"""The three demo agencies as organisations, and people holding roles in them."""

from __future__ import annotations

import pytest

from qyzmet.identity.models import Organisation
from tests.identity.factories import MembershipFactory, OrganisationFactory, UserFactory

AGENCIES = {
    "kz-mvd": ("Ішкі істер министрлігі", "Министерство внутренних дел Республики Казахстан",
               "Ministry of Internal Affairs of the Republic of Kazakhstan"),
    "kz-health": ("Денсаулық сақтау министрлігі", "Министерство здравоохранения",
                  "Ministry of Health of the Republic of Kazakhstan"),
    "kz-edu": ("Оқу-ағарту министрлігі", "Министерство просвещения",
               "Ministry of Education of the Republic of Kazakhstan"),
}  # fmt: skip


@pytest.fixture
def agencies(db) -> dict[str, Organisation]:
    return {
        code: OrganisationFactory(code=code, name_kk=kk, name_ru=ru, name_en=en)
        for code, (kk, ru, en) in AGENCIES.items()
    }


def member(organisation: Organisation, role: str = "officer"):
    user = UserFactory()
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user

from __future__ import annotations

import pytest

from qyzmet.core.problem import Problem
from qyzmet.identity.models import Organisation
from qyzmet.identity.selectors import (
    organisation_get,
    organisation_names,
    user_agency_codes,
    user_get,
    user_roles,
)
from qyzmet.identity.services import membership_grant

from .factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_user_roles_in_one_query_and_cached(django_assert_num_queries):
    user = UserFactory()
    MembershipFactory(user=user, organisation__code="akimat", role="officer")
    MembershipFactory(user=user, organisation__code="akimat-2", role="head")
    business = OrganisationFactory(code="shop", kind=Organisation.Kind.BUSINESS)
    MembershipFactory(user=user, organisation=business, role="representative")
    MembershipFactory(organisation=business, role="representative")  # someone else
    with django_assert_num_queries(1):
        roles = user_roles(user=user)
        assert user_agency_codes(user=user) == {"akimat", "akimat-2"}
        assert user_roles(user=user) == roles
    assert roles == {"akimat": {"officer"}, "akimat-2": {"head"}, "shop": {"representative"}}


def test_membership_grant_clears_the_cache():
    user = UserFactory()
    org = OrganisationFactory(code="mvd")
    assert user_roles(user=user) == {}
    assert membership_grant(user=user, organisation_code=org.code, role="officer") is True
    assert membership_grant(user=user, organisation_code=org.code, role="officer") is False
    assert user_roles(user=user) == {"mvd": {"officer"}}


def test_organisation_lookup():
    org = OrganisationFactory(code="egov", name_kk="Цифрлық", name_ru="Цифровое", name_en="Digital")
    dto = organisation_get(code="egov")
    assert (dto.code, dto.bin, dto.names) == (
        "egov",
        org.bin,
        {"kk": "Цифрлық", "ru": "Цифровое", "en": "Digital"},
    )
    assert organisation_names(codes=["egov", "missing"]) == {"egov": dto.names}
    with pytest.raises(Problem) as exc:
        organisation_get(code="missing")
    assert exc.value.status == 404


def test_user_get():
    user = UserFactory()
    assert user_get(user_id=user.pk) == user
    with pytest.raises(Problem):
        user_get(user_id=user.pk + 1000)

"""The platform checks IINs and BINs through core with the rules the country pack registered."""

import datetime as dt

import pytest

from qyzmet.core import identifiers
from qyzmet.core.identifiers import InvalidIdentifier, bin_validate, iin_validate
from qyzmet.countries.kz import identifiers as kz


def test_the_kazakh_pack_registered_its_rules_at_startup():
    iin = kz.iin_make(dt.date(1990, 5, 17), "M", 1) or kz.iin_make(dt.date(1990, 5, 17), "M", 2)
    assert iin is not None
    assert iin_validate(f" {iin} ") == iin
    with pytest.raises(InvalidIdentifier, match="check digit"):
        iin_validate(iin[:11] + str((int(iin[11]) + 1) % 10))
    with pytest.raises(InvalidIdentifier, match="12 digits"):
        bin_validate("12345")
    # One exception class: callers catching the pack's name catch the platform's.
    assert kz.InvalidIdentifier is InvalidIdentifier


def test_without_a_country_pack_no_number_is_accepted(monkeypatch):
    monkeypatch.setattr(identifiers, "_rules", None)
    with pytest.raises(RuntimeError, match="country pack"):
        iin_validate("900517300012")


def test_demo_organisations_get_a_valid_number_stable_for_their_code():
    number = identifiers.demo_bin("appeal-org-0123456789")
    assert bin_validate(number) == number
    assert identifiers.demo_bin("appeal-org-0123456789") == number
    assert identifiers.demo_bin("appeal-org-other") != number


def test_the_apps_demo_data_acts_as_the_packs_demo_people():
    from qyzmet.core.demo_cast import demo_cast
    from qyzmet.countries.kz import demo as kz_demo

    cast = demo_cast()
    assert (cast.citizen_a_iin, cast.citizen_b_iin) == (
        kz_demo.DEMO_CITIZEN_A_IIN,
        kz_demo.DEMO_CITIZEN_B_IIN,
    )
    assert any(login.agency for login in cast.logins())

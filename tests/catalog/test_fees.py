"""Fees as data: a fixed amount or a number of MCI (the index per year from the country pack),
exemptions decided from the evidence, integer tiyn throughout, and the validator's pointers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from qyzmet.catalog.fees import FeeQuote, fee_quote, rule_holds
from qyzmet.catalog.package import fee_rule_parse, package_parse
from qyzmet.catalog.reference import DEFAULT_MCI_FILE, mci_load
from qyzmet.catalog.validation import package_file_load, packages_collect

from .factories import KZ_SERVICES, package_data, package_write

ON_2026 = dt.date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _the_real_index_table(settings):
    """These tests quote fees on fixed days from the real country pack table (the rest of the
    suite reads a copy that always has this year: tests/mci_table.py)."""
    settings.QYZMET_MCI_FILE = DEFAULT_MCI_FILE


def test_the_real_table_has_the_2026_index_and_the_tests_table_keeps_it_for_today(tmp_path):
    from tests.mci_table import mci_table_for_tests

    assert mci_load(DEFAULT_MCI_FILE).value(2026) == Decimal("4325")
    copy = mci_load(mci_table_for_tests(tmp_path, today=dt.date(2031, 1, 1)))
    assert (copy.value(2031), copy.value(2032), copy.value(2025)) == (4325, 4325, 3932)
PENSIONER = {
    "code": "pensioner",
    "label": {"kk": "Зейнеткер", "ru": "Пенсионер", "en": "Pensioner"},
    "when": {"evidence": "person", "field": "birth_date", "age_at_least": 63},
}


def _shipped(name: str):
    data, errors = package_file_load(KZ_SERVICES / name)
    assert data is not None and not errors
    return package_parse(data)


def _errors(tmp_path, data) -> set[tuple[str, str]]:
    package_write(tmp_path, data)
    return {(e.pointer, e.reason) for e in packages_collect(dirs=[tmp_path]).errors}


def _person(birth: str, sex: str = "M") -> dict:
    return {"person": {"iin": "000000000000", "birth_date": birth, "sex": sex}}


# --- amounts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "day", "tiyn"),
    [
        ("passport.v2.yaml", dt.date(2026, 1, 1), 4 * 4325 * 100),
        ("passport.v2.yaml", dt.date(2024, 12, 31), 4 * 3692 * 100),
        ("driving-licence.v2.yaml", ON_2026, 540625),  # 1.25 x 4 325 = 5 406.25 tenge
        ("vehicle-registration.v2.yaml", dt.date(2025, 3, 3), 98300),  # 0.25 x 3 932
        ("marriage-registration.v2.yaml", ON_2026, 216250),
        ("divorce-registration.v2.yaml", ON_2026, 865000),
        ("name-change.v2.yaml", ON_2026, 432500),
        ("property-registration.v2.yaml", ON_2026, 216250),
    ],
)
def test_an_mci_fee_is_the_years_index_times_the_multiple_in_tiyn(name, day, tiyn):
    fee = _shipped(name).fee
    assert fee.mci is not None and fee.fixed_amount is None
    amount = fee.amount_on(day)
    assert amount == tiyn and type(amount) is int


def test_the_v2_fees_equal_what_v1_wrote_in_tiyn_at_the_2026_index():
    for name in ("passport", "driving-licence", "vehicle-registration", "marriage-registration",
                 "name-change", "property-registration", "divorce-registration",
                 "civil-certificate-duplicate"):  # fmt: skip
        old = _shipped(f"{name}.v1.yaml").fee
        new = _shipped(f"{name}.v2.yaml").fee
        assert new.amount_on(ON_2026) == old.fixed_amount, name


def test_mci_is_read_exactly_never_as_a_float():
    assert _shipped("driving-licence.v2.yaml").fee.mci == Decimal("1.25")


def test_a_year_without_an_index_is_a_configuration_error_naming_the_file():
    fee = _shipped("passport.v2.yaml").fee
    missing = r"mci\.yaml: no monthly calculation index for 2031"
    with pytest.raises(ImproperlyConfigured, match=missing):
        fee.amount_on(dt.date(2031, 1, 1))


def test_a_fixed_fee_does_not_need_the_index():
    fee = package_parse(package_data(fee={"amount": 12345, "currency": "KZT"})).fee
    assert fee.amount_on(dt.date(2031, 1, 1)) == 12345
    assert not fee.is_free
    assert package_parse(package_data()).fee.is_free


def test_a_malformed_index_table_names_the_entry(tmp_path):
    path = tmp_path / "mci.yaml"
    path.write_text("values:\n  2026: 4325.125\n", encoding="utf-8")
    with pytest.raises(ImproperlyConfigured, match=r"/values/2026: a positive amount"):
        mci_load(path)


# --- exemptions ---------------------------------------------------------------------------------


def test_a_pensioner_by_age_pays_nothing_and_sees_the_full_fee():
    package = _shipped("passport.v2.yaml")
    quote = fee_quote(package=package, facts=_person("1960-05-31", "M"), on=ON_2026)
    assert quote == FeeQuote(
        amount=0,
        currency="KZT",
        amount_before_exemption=1730000,
        exemption={
            "code": "pensioner",
            "label": {
                "kk": "Жасы бойынша зейнеткер (ер адам 63 жастан, әйел адам 61 жастан)",
                "ru": "Пенсионер по возрасту (мужчины с 63 лет, женщины с 61 года)",
                "en": "Pensioner by age (men from 63, women from 61)",
            },
        },
    )
    assert quote.is_free and quote.exempted


@pytest.mark.parametrize(
    ("birth", "sex", "exempt"),
    [
        ("1963-06-01", "M", True),  # 63 on the day
        ("1963-06-02", "M", False),  # 63 tomorrow
        ("1965-06-01", "F", True),  # a woman at 61
        ("1965-06-01", "M", False),  # a man at 61
        ("not a date", "M", False),
    ],
)
def test_the_pension_age_is_counted_on_the_day_and_by_sex(birth, sex, exempt):
    quote = fee_quote(package=_shipped("passport.v2.yaml"), facts=_person(birth, sex), on=ON_2026)
    assert quote.exempted is exempt
    assert quote.amount == (0 if exempt else 1730000)


@pytest.mark.parametrize(("children", "exempt"), [(4, True), (3, False), (0, False)])
def test_a_large_family_is_four_children_on_record(children, exempt):
    facts = {
        **_person("1990-01-01"),
        "children": {"children": [{"iin": f"{i:012d}"} for i in range(children)]},
    }
    quote = fee_quote(package=_shipped("passport.v2.yaml"), facts=facts, on=ON_2026)
    assert quote.exempted is exempt
    if exempt:
        assert quote.exemption["code"] == "large_family"


def test_absent_evidence_never_exempts():
    package = _shipped("passport.v2.yaml")
    assert not fee_quote(package=package, facts={}, on=ON_2026).exempted


def test_of_several_exemptions_the_cheapest_applies():
    half = {**PENSIONER, "code": "half", "pays_percent": 50}
    data = package_data(fee={"amount": 10000, "currency": "KZT", "exemptions": [half, PENSIONER]})
    quote = fee_quote(package=package_parse(data), facts=_person("1950-01-01"), on=ON_2026)
    assert (quote.amount, quote.exemption["code"]) == (0, "pensioner")
    data["fee"]["exemptions"] = [half]
    quote = fee_quote(package=package_parse(data), facts=_person("1950-01-01"), on=ON_2026)
    assert (quote.amount, quote.amount_before_exemption) == (5000, 10000)


def test_rules_equals_all_any_and_count():
    facts = {"person": {"sex": "F", "address": {"region": "Almaty"}}, "kids": {"n": [1, 2]}}
    equals = fee_rule_parse({"evidence": "person", "field": "address.region", "equals": "Almaty"})
    assert rule_holds(equals, facts=facts, on=ON_2026)
    other = fee_rule_parse({"evidence": "person", "field": "sex", "equals": "M"})
    assert not rule_holds(other, facts=facts, on=ON_2026)
    assert rule_holds(fee_rule_parse({"any": [{"evidence": "person", "field": "sex",
                                                "equals": "M"},
                                               {"evidence": "kids", "field": "n",
                                                "count_at_least": 2}]}),
                      facts=facts, on=ON_2026)  # fmt: skip
    assert not rule_holds(fee_rule_parse({"all": [{"evidence": "person", "field": "sex",
                                                   "equals": "F"},
                                                  {"evidence": "kids", "field": "n",
                                                   "count_at_least": 3}]}),
                          facts=facts, on=ON_2026)  # fmt: skip


def test_a_free_service_quotes_zero():
    quote = fee_quote(package=package_parse(package_data()), facts={}, on=ON_2026)
    assert quote == FeeQuote(amount=0, currency="KZT", amount_before_exemption=0)


def test_the_quote_round_trips_through_json():
    quote = fee_quote(package=_shipped("passport.v2.yaml"), facts=_person("1950-01-01"), on=ON_2026)
    assert FeeQuote.from_dict(quote.as_dict()) == quote


# --- refund rule --------------------------------------------------------------------------------


def test_the_refund_rule_is_read_and_defaults_to_none():
    assert _shipped("passport.v2.yaml").fee.refund.refused == "full"
    assert _shipped("passport.v2.yaml").fee.refund.withdrawn_before_decision == "full"
    assert package_parse(package_data()).fee.refund.refused == "none"


# --- validation ---------------------------------------------------------------------------------


def test_the_shipped_fee_packages_are_valid():
    result = packages_collect(dirs=[KZ_SERVICES])
    assert [e for e in result.errors if "/fee" in e.pointer] == []


@pytest.mark.parametrize(
    ("fee", "error"),
    [
        (
            {"amount": 100, "mci": 1, "currency": "KZT"},
            ("/fee", "give either amount (in minor units) or mci, not both or neither"),
        ),
        (
            {"currency": "KZT"},
            ("/fee", "give either amount (in minor units) or mci, not both or neither"),
        ),
        ({"mci": 1.255, "currency": "KZT"}, ("/fee/mci", "1.255 has more than 2 decimals")),
        ({"mci": 1, "currency": "USD"}, ("/fee/currency", "a fee in MCI is in KZT")),
        (
            {"mci": 0, "currency": "KZT"},
            ("/fee/mci", "0 is less than or equal to the minimum of 0"),
        ),
        (
            {"amount": 0, "currency": "KZT", "exemptions": [PENSIONER]},
            ("/fee/exemptions", "a free service has nothing to exempt from"),
        ),
        (
            {"amount": 101, "currency": "KZT", "exemptions": [{**PENSIONER, "pays_percent": 50}]},
            ("/fee/exemptions/0/pays_percent", "50% of the fee is not a whole number of tiyn"),
        ),
        (
            {"mci": 1, "currency": "KZT", "exemptions": [PENSIONER, PENSIONER]},
            ("/fee/exemptions/1/code", "duplicate exemption code"),
        ),
        (
            {
                "mci": 1,
                "currency": "KZT",
                "exemptions": [
                    {
                        **PENSIONER,
                        "when": {"evidence": "children", "field": "children", "count_at_least": 4},
                    }
                ],
            },
            (
                "/fee/exemptions/0/when/evidence",
                "'children' is not an evidence item of this package",
            ),
        ),
        (
            {
                "mci": 1,
                "currency": "KZT",
                "exemptions": [
                    {
                        **PENSIONER,
                        "when": {"evidence": "person", "field": "disability", "equals": True},
                    }
                ],
            },
            ("/fee/exemptions/0/when/field", "evidence 'person' has no field 'disability'"),
        ),
        (
            {
                "mci": 1,
                "currency": "KZT",
                "exemptions": [
                    {
                        **PENSIONER,
                        "when": {
                            "evidence": "person",
                            "field": "birth_date",
                            "age_at_least": 63,
                            "equals": "x",
                        },
                    }
                ],
            },
            (
                "/fee/exemptions/0/when",
                "a test needs exactly one of age_at_least, count_at_least, equals",
            ),
        ),
        (
            {
                "mci": 1,
                "currency": "KZT",
                "exemptions": [
                    {**PENSIONER, "when": {"any": [{"evidence": "person", "age_at_least": 63}]}}
                ],
            },
            ("/fee/exemptions/0/when/any/0", "a test needs evidence and field"),
        ),
        (
            {
                "mci": 1,
                "currency": "KZT",
                "refund": {"refused": "half", "withdrawn_before_decision": "none"},
            },
            ("/fee/refund/refused", "'half' is not one of ['full', 'none']"),
        ),
    ],
)
def test_a_bad_fee_is_reported_with_its_pointer(tmp_path, fee, error):
    assert error in _errors(tmp_path, package_data(fee=fee))


def test_an_index_that_would_give_a_fraction_of_a_tiyn_is_refused(tmp_path, settings):
    table = tmp_path / "mci.yaml"
    table.write_text("values:\n  2026: 4325\n  2027: 4501.5\n", encoding="utf-8")
    settings.QYZMET_MCI_FILE = table
    errors = _errors(tmp_path / "p", package_data(fee={"mci": 0.25, "currency": "KZT"}))
    assert ("/fee/mci", "0.25 MCI x 4501.5 (2027) = 1125.375 is not a whole tiyn") in errors
    assert _errors(tmp_path / "q", package_data(fee={"mci": 0.5, "currency": "KZT"})) == set()

"""`kind: information` packages and `search_terms`: validated with pointers like the rest."""

from __future__ import annotations

import pytest

from qyzmet.catalog.package import package_parse
from qyzmet.catalog.validation import packages_collect

from .factories import package_data, package_write

T = {"kk": "мәтін", "ru": "текст", "en": "text"}


def information_data(**changes):
    """The reference package turned into an information service."""
    data = package_data()
    for key in ("form", "evidence", "workflow", "result", "notifications", "refusal_grounds"):
        del data[key]
    data["kind"] = "information"
    data["information"] = {
        "where": T,
        "steps": [T, T],
        "eligibility": T,
        "documents": [T],
        "time_limit": T,
        "fee_note": T,
        "link": {"url": "https://egov.kz/cms/ru", "label": T},
    }
    data.update(changes)
    return data


def _errors(tmp_path, data):
    package_write(tmp_path, data)
    return {(e.pointer, e.reason) for e in packages_collect(dirs=[tmp_path]).errors}


def test_an_information_package_is_valid_and_parses(tmp_path):
    data = information_data(search_terms={"kk": ["мекенжай"], "ru": ["прописка"], "en": []})
    assert _errors(tmp_path, data) == set()
    package = package_parse(data)
    assert package.kind == "information" and not package.is_online
    assert package.form is None and package.workflow is None
    assert len(package.information.steps) == 2
    assert package.information.link.url == "https://egov.kz/cms/ru"
    assert package.search_terms["ru"] == ("прописка",)


def test_online_is_the_default_kind(tmp_path):
    package = package_parse(package_data())
    assert package.kind == "online" and package.is_online and package.information is None
    assert _errors(tmp_path, package_data(kind="online")) == set()


def test_information_needs_its_section_and_no_online_parts(tmp_path):
    data = information_data()
    del data["information"]["time_limit"]
    data["information"]["steps"] = []
    data["form"] = package_data()["form"]
    assert _errors(tmp_path, data) == {
        ("/information/time_limit", "required"),
        ("/information/steps", "[] should be non-empty"),
        ("/form", "not allowed when kind is information"),
    }
    data = information_data()
    del data["information"]
    assert _errors(tmp_path, data) == {("/information", "required")}


def test_online_needs_a_form_and_no_information(tmp_path):
    data = package_data(information=information_data()["information"])
    del data["workflow"]
    assert _errors(tmp_path, data) == {
        ("/workflow", "required"),
        ("/information", "not allowed when kind is online"),
    }


@pytest.mark.parametrize(
    ("terms", "pointer"),
    [
        ({"kk": [], "ru": []}, "/search_terms/en"),
        ({"kk": [""], "ru": [], "en": []}, "/search_terms/kk/0"),
        ({"kk": [], "ru": ["!!"], "en": []}, "/search_terms/ru/0"),
        ({"kk": [], "ru": [], "en": [], "de": []}, "/search_terms/de"),
        ({"kk": [], "ru": [], "en": ["moved", "moved"]}, "/search_terms/en"),
    ],
)
def test_bad_search_terms(tmp_path, terms, pointer):
    assert {p for p, _ in _errors(tmp_path, package_data(search_terms=terms))} == {pointer}


def test_link_must_be_https(tmp_path):
    data = information_data()
    data["information"]["link"]["url"] = "http://example.org"
    assert {p for p, _ in _errors(tmp_path, data)} == {"/information/link/url"}

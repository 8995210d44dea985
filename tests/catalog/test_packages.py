"""Every shipped package is valid, and the typed model reads them."""

from __future__ import annotations

import copy
import pickle

import pytest

from qyzmet.catalog.package import Text, package_parse
from qyzmet.catalog.validation import packages_collect

from .factories import KZ_SERVICES

REQUIRED_SERVICES = {
    "kz.address-certificate",
    "kz.criminal-record-certificate",
    "kz.birth-registration",
    "kz.child-birth-benefit",
    "kz.ie-registration",
    "kz.kindergarten-queue",
}


def test_every_shipped_package_is_valid():
    result = packages_collect(dirs=[KZ_SERVICES])
    assert result.errors == []
    codes = {p.code for p in result.packages}
    assert codes >= REQUIRED_SERVICES
    assert ("kz.address-certificate", 2) in {(p.code, p.version) for p in result.packages}


@pytest.mark.parametrize("code", sorted(REQUIRED_SERVICES))
def test_shipped_packages_follow_the_engine_conventions(code):
    package = next(
        package_parse(p.data) for p in packages_collect(dirs=[KZ_SERVICES]).packages
        if p.code == code
    )
    wf = package.workflow
    for name in ("take", "request_info", "provide_info", "approve", "refuse"):
        assert wf.action(name) is not None, name
    assert wf.action("provide_info").roles == ("applicant",)
    assert wf.state(wf.action("request_info").to).clock_paused
    assert any(s.final and s.outcome == "approved" for s in wf.states.values())
    for lang in ("kk", "ru", "en"):
        assert package.title(lang)


def test_child_benefit_reads_the_child_from_the_form():
    data = next(
        p.data for p in packages_collect(dirs=[KZ_SERVICES]).packages
        if p.code == "kz.child-birth-benefit"
    )
    package = package_parse(data)
    child = package.evidence_named("child")
    assert child.registry == "population" and child.fact == "person"
    assert child.subject_pointer == "/child_iin"
    assert child.subject_id(applicant_id="1", form_data={"child_iin": "123"}) == "123"
    assert package.fee.is_free


def test_workflow_helpers_and_texts():
    data = next(
        p.data for p in packages_collect(dirs=[KZ_SERVICES]).packages
        if p.code == "kz.criminal-record-certificate"
    )
    wf = package_parse(data).workflow
    assert [a.name for a in wf.actions_from("head_review", role="head")] == [
        "send_back", "approve", "refuse"
    ]
    assert [a.name for a in wf.actions_from("in_review", role="officer")] == [
        "request_info", "propose", "refuse"
    ]
    assert wf.action("nope") is None and wf.state("nope") is None
    assert wf.is_final("approved") and not wf.is_final("in_review")

    text = Text.from_dict({"kk": "а", "ru": "б", "en": "c"})
    assert text.get("ru-RU") == "б"
    assert text.get("de") == "а"  # falls back to the default language
    assert text.get("de", "x") == "x"
    with pytest.raises(TypeError):
        text["kk"] = "changed"


def test_result_render_and_form_errors():
    data = next(
        p.data for p in packages_collect(dirs=[KZ_SERVICES]).packages
        if (p.code, p.version) == ("kz.address-certificate", 1)
    )
    package = package_parse(data)
    _, body = package.result.render(
        "en",
        {"person": {"full_name": "Aigerim", "birth_date": "1990-01-02",
                    "address": {"full": "Almaty"}}},
    )
    assert body == "Aigerim (born 1990-01-02) is registered at: Almaty."
    assert [e.pointer for e in package.form.errors({})] == ["/purpose"]
    assert [e.pointer for e in package.form.errors({"purpose": "moon"})] == ["/purpose"]
    assert package.form.errors({"purpose": "bank"}) == []
    assert package.notifications.render("refused", "ru", number="7", reason="нет") == (
        "По заявке №7 отказано: нет"
    )


def test_packages_survive_copy_and_pickle():
    data = packages_collect(dirs=[KZ_SERVICES]).packages[0].data
    package = package_parse(data)
    assert copy.deepcopy(package.titles) == package.titles
    assert pickle.loads(pickle.dumps(package)).titles == package.titles  # noqa: S301

"""Coded grounds for refusal: a package that refuses lists its grounds, each checked with a
pointer; the versions published before grounds existed still load; the shipped services refuse
on 3–6 grounds each."""

from __future__ import annotations

import copy

from qyzmet.catalog.package import package_parse
from qyzmet.catalog.validation import package_validate, packages_collect

from .factories import KZ_SERVICES, package_data, package_write

T = {"kk": "Негіз", "ru": "Основание", "en": "Ground"}


def _errors(tmp_path, data, name=None):
    package_write(tmp_path, data, name)
    return {(e.pointer, e.reason) for e in packages_collect(dirs=[tmp_path]).errors}


def test_a_refusing_package_without_grounds_is_refused(tmp_path):
    data = package_data()
    del data["refusal_grounds"]
    assert _errors(tmp_path, data) == {
        ("/refusal_grounds", "an action refuses: list at least one ground")
    }
    # An empty list is no better than none.
    assert _errors(tmp_path, package_data(refusal_grounds=[])) == {
        ("/refusal_grounds", "an action refuses: list at least one ground")
    }


def test_a_package_that_never_refuses_needs_no_grounds():
    data = package_data()
    del data["refusal_grounds"]
    data["workflow"]["actions"] = [
        a for a in data["workflow"]["actions"] if a["name"] != "refuse"
    ]
    del data["workflow"]["states"]["refused"]
    assert package_validate(data) == []


def test_ground_codes_are_unique_and_shaped(tmp_path):
    grounds = package_data()["refusal_grounds"]
    data = package_data(refusal_grounds=[grounds[0], copy.deepcopy(grounds[0])])
    assert _errors(tmp_path, data) == {("/refusal_grounds/1/code", "duplicate ground code")}
    bad = package_data(refusal_grounds=[{"code": "Not-A-Code", "label": T, "legal_basis": T}])
    assert {p for p, _ in _errors(tmp_path / "b", bad)} == {"/refusal_grounds/0/code"}
    no_basis = package_data(refusal_grounds=[{"code": "x", "label": T}])
    assert _errors(tmp_path / "c", no_basis) == {("/refusal_grounds/0/legal_basis", "required")}
    half = package_data(refusal_grounds=[{"code": "x", "label": T,
                                          "legal_basis": {"kk": "a", "ru": "b"}}])
    assert _errors(tmp_path / "d", half) == {("/refusal_grounds/0/legal_basis/en", "required")}


def test_an_action_names_known_grounds_and_only_a_refusal_has_them(tmp_path):
    data = package_data()
    actions = data["workflow"]["actions"]
    refuse = next(i for i, a in enumerate(actions) if a["name"] == "refuse")
    take = next(i for i, a in enumerate(actions) if a["name"] == "take")
    actions[refuse]["grounds"] = ["documents_false", "no_such_ground"]
    actions[take]["grounds"] = ["documents_false"]
    assert _errors(tmp_path, data) == {
        (f"/workflow/actions/{refuse}/grounds/1", "'no_such_ground' is not a code of "
                                                  "refusal_grounds"),
        (f"/workflow/actions/{take}/grounds",
         "only an action that refuses (requires_reason, to a state with outcome 'refused') has "
         "grounds"),
    }


def test_an_action_may_narrow_the_grounds():
    data = package_data()
    refuse = next(a for a in data["workflow"]["actions"] if a["name"] == "refuse")
    refuse["grounds"] = ["registry_contradicts"]
    assert package_validate(data) == []
    package = package_parse(data)
    assert [g.code for g in package.grounds_for("refuse")] == ["registry_contradicts"]
    assert package.grounds_for("approve") == () and package.grounds_for("nothing") == ()
    assert package.ground("documents_false").label.get("ru").startswith("Установлена")
    assert package.ground("nope") is None and package.ground("") is None


def test_grounds_are_not_for_information_services(tmp_path):
    data = package_data()
    for key in ("form", "evidence", "workflow", "result", "notifications"):
        del data[key]
    data["kind"] = "information"
    data["information"] = {"where": T, "steps": [T], "eligibility": T, "documents": [],
                           "time_limit": T}
    assert ("/refusal_grounds", "not allowed when kind is information") in _errors(tmp_path, data)


def test_an_older_version_without_grounds_still_loads(tmp_path):
    """Published versions are immutable: only a service's newest version must list grounds."""
    old = package_data()
    del old["refusal_grounds"]
    new = package_data(version=2)
    package_write(tmp_path, old)
    package_write(tmp_path, new)
    result = packages_collect(dirs=[tmp_path])
    assert result.errors == [] and len(result.packages) == 2
    (tmp_path / "address-certificate.v2.yaml").unlink()
    assert {e.pointer for e in packages_collect(dirs=[tmp_path]).errors} == {"/refusal_grounds"}


def test_every_current_online_service_refuses_on_three_to_six_grounds():
    collected = packages_collect(dirs=[KZ_SERVICES])
    assert collected.errors == []
    newest: dict[str, dict] = {}
    for loaded in collected.packages:
        if loaded.code not in newest or newest[loaded.code]["version"] < loaded.version:
            newest[loaded.code] = loaded.data
    checked = 0
    for code, data in newest.items():
        package = package_parse(data)
        if not package.is_online:
            continue
        refusing = [a for a in package.workflow.actions if package.workflow.refuses(a)]
        assert refusing, code
        for action in refusing:
            assert 3 <= len(package.grounds_for(action.name)) <= 6, code
        for ground in package.refusal_grounds:
            for lang in ("kk", "ru", "en"):
                assert ground.label.get(lang) and ground.legal_basis.get(lang), (code, ground)
            assert "19-1" in ground.legal_basis.get("ru"), (code, ground.code)
        checked += 1
    assert checked >= 11

"""Each class of package error is reported with a pointer to the offending node."""

from __future__ import annotations

import copy

import pytest

from qyzmet.catalog.validation import packages_collect

from .factories import package_data, package_write


def _errors(tmp_path, data, name=None):
    package_write(tmp_path, data, name)
    return {(e.pointer, e.reason) for e in packages_collect(dirs=[tmp_path]).errors}


def _pointers(tmp_path, data, name=None):
    return {pointer for pointer, _ in _errors(tmp_path, data, name)}


def test_the_reference_copy_is_valid(tmp_path):
    assert _errors(tmp_path, package_data()) == set()


def test_missing_language_points_at_the_language(tmp_path):
    data = package_data()
    del data["titles"]["en"]
    assert _pointers(tmp_path, data) == {"/titles/en"}


def test_missing_and_unknown_top_level_keys(tmp_path):
    data = package_data(colour="blue")
    del data["fee"]
    assert _errors(tmp_path, data) == {("/fee", "required"), ("/colour", "unknown key")}


def test_wrong_types(tmp_path):
    data = package_data(version="one")
    data["fee"]["amount"] = -5
    data["applicants"] = ["martian"]
    assert _pointers(tmp_path, data, "address-certificate.v1.yaml") == {
        "/version", "/fee/amount", "/applicants/0"
    }


def test_unknown_role_is_a_shape_error(tmp_path):
    data = package_data()
    data["workflow"]["actions"][0]["roles"] = ["janitor"]
    assert _pointers(tmp_path, data) == {"/workflow/actions/0/roles/0"}


def test_form_schema_must_itself_be_valid(tmp_path):
    data = package_data()
    data["form"]["schema"]["properties"]["comment"]["maxLength"] = "long"
    assert _pointers(tmp_path, data) == {"/form/schema/properties/comment/maxLength"}


def test_ui_order_and_labels_cover_exactly_the_properties(tmp_path):
    data = package_data()
    data["form"]["ui_order"] = ["purpose", "purpose", "ghost"]
    data["form"]["labels"]["ghost"] = {"kk": "а", "ru": "б", "en": "c"}
    del data["form"]["labels"]["comment"]
    assert _errors(tmp_path, data) == {
        ("/form/ui_order/1", "'purpose' is listed twice"),
        ("/form/ui_order/2", "'ghost' is not a form property"),
        ("/form/ui_order", "property 'comment' is missing"),
        ("/form/labels", "no label for property 'comment'"),
        ("/form/labels/ghost", "'ghost' is not a form property"),
    }


def test_enum_options_must_match_the_enum(tmp_path):
    data = package_data()
    del data["form"]["options"]["purpose"]["bank"]
    data["form"]["options"]["purpose"]["moon"] = {"kk": "а", "ru": "б", "en": "c"}
    assert _pointers(tmp_path, data) == {"/form/options/purpose", "/form/options/purpose/moon"}


def test_required_field_must_exist(tmp_path):
    data = package_data()
    data["form"]["schema"]["required"] = ["purpose", "ghost"]
    assert _pointers(tmp_path, data) == {"/form/schema/required/1"}


def test_workflow_initial_and_action_states_must_exist(tmp_path):
    data = package_data()
    wf = data["workflow"]
    wf["initial"] = "nowhere"
    wf["actions"][0]["from"] = ["limbo"]
    wf["actions"][1]["to"] = "void"
    pointers = _pointers(tmp_path, data)
    assert {"/workflow/initial", "/workflow/actions/0/from/0", "/workflow/actions/1/to"} <= pointers


def test_unreachable_and_stuck_states(tmp_path):
    data = package_data()
    data["workflow"]["states"]["forgotten"] = {}
    assert _errors(tmp_path, data) == {
        ("/workflow/states/forgotten", "not reachable from the initial state"),
        ("/workflow/states/forgotten", "no action leaves this state: a case would be stuck"),
    }


def test_at_least_one_final_approved_state(tmp_path):
    data = package_data()
    wf = data["workflow"]
    del wf["states"]["approved"]
    wf["actions"] = [a for a in wf["actions"] if a["name"] != "approve"]
    assert ("/workflow/states", "no final state with outcome 'approved'") in _errors(
        tmp_path, data
    )


def test_final_state_needs_outcome_and_cannot_be_left(tmp_path):
    data = package_data()
    wf = data["workflow"]
    del wf["states"]["refused"]["outcome"]
    wf["actions"].append({"name": "reopen", "from": ["approved"], "to": "in_review",
                          "roles": ["head"]})
    assert {"/workflow/states/refused", "/workflow/actions/5/from/0"} <= _pointers(tmp_path, data)


def test_request_info_must_pause_the_clock(tmp_path):
    data = package_data()
    del data["workflow"]["states"]["info_requested"]["clock"]
    assert _pointers(tmp_path, data) == {"/workflow/actions/1/to"}


def test_evidence_registry_fact_subject_and_fields(tmp_path):
    data = package_data()
    base = data["evidence"][0]
    data["evidence"] = [
        {**copy.deepcopy(base), "name": "a", "registry": "stars"},
        {**copy.deepcopy(base), "name": "b", "fact": "horoscope"},
        {**copy.deepcopy(base), "name": "c", "subject": "form:/child_iin"},
        {**copy.deepcopy(base), "name": "d", "show": ["full_name", "shoe_size"]},
        {**copy.deepcopy(base), "name": "person"},
        {**copy.deepcopy(base), "name": "person"},
    ]
    assert _pointers(tmp_path, data) == {
        "/evidence/0/registry", "/evidence/1/fact", "/evidence/2/subject",
        "/evidence/3/show/1", "/evidence/5/name",
    }


def test_result_placeholders_must_name_evidence_or_form(tmp_path):
    data = package_data()
    data["result"]["body"]["en"] = "{person.full_name} {passport.number} {form.ghost}"
    errors = _errors(tmp_path, data)
    assert {p for p, _ in errors} == {"/result/body/en"}
    reasons = {r for _, r in errors}
    assert "{passport.number}: neither an evidence name nor 'form'" in reasons
    assert "{form.ghost}: not a form property" in reasons
    assert "placeholders differ from the kk text" in reasons


def test_notification_placeholders_are_limited(tmp_path):
    data = package_data()
    data["notifications"]["approved"]["ru"] = "Заявка {number} одобрена, {name}"
    assert _pointers(tmp_path, data) == {"/notifications/approved/ru"}


def test_unknown_agency_and_life_event(tmp_path):
    data = package_data(agency="kz-ministry-of-magic", life_events=["moving-house", "wedding"])
    assert _pointers(tmp_path, data) == {"/agency", "/life_events/1"}


def test_file_name_must_match_code_and_version(tmp_path):
    errors = _errors(tmp_path, package_data(), "address.yaml")
    assert errors == {
        ("", "the file of kz.address-certificate v1 must be named address-certificate.v1.yaml")
    }


def test_duplicate_code_and_version_across_directories(tmp_path):
    package_write(tmp_path / "one", package_data())
    package_write(tmp_path / "two", package_data())
    errors = packages_collect(dirs=[tmp_path / "one", tmp_path / "two"]).errors
    assert [(e.file.split("/")[-2], e.pointer) for e in errors] == [("two", "/version")]


@pytest.mark.parametrize(
    ("content", "reason"),
    [("code: [unclosed", "not valid YAML"), ("- a list", "a package must be a YAML mapping")],
)
def test_unreadable_files(tmp_path, content, reason):
    (tmp_path / "broken.v1.yaml").write_text(content, encoding="utf-8")
    [error] = packages_collect(dirs=[tmp_path]).errors
    assert error.pointer == "" and error.reason.startswith(reason)
    assert str(error).startswith(f"{tmp_path / 'broken.v1.yaml'}::")

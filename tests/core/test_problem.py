from qyzmet.core.problem import FieldError, Problem, not_found, validation


def test_problem_renders_rfc9457_members():
    body = Problem(409, "action_not_allowed_in_state", "Conflict", "nope").as_dict("/x")
    assert body["status"] == 409
    assert body["title"] == "Conflict"
    assert body["detail"] == "nope"
    assert body["instance"] == "/x"
    assert body["type"].endswith("/action_not_allowed_in_state")


def test_validation_problem_lists_pointers():
    body = validation([FieldError("/a/0", "bad"), FieldError("/b", "missing")]).as_dict()
    assert body["status"] == 422
    assert [e["pointer"] for e in body["errors"]] == ["/a/0", "/b"]


def test_not_found_does_not_reveal_owner():
    body = not_found("application").as_dict()
    assert body["status"] == 404
    assert "another" not in body["detail"].lower()

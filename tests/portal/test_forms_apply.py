"""The form generator on a schema with every supported type (the reference package has only an
enum and a text): widgets, conversion of posted strings, translated validation messages."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from qyzmet.catalog.package import Form, Text
from qyzmet.ui.forms import (
    form_data_from_post,
    form_fields,
    form_validate,
    value_display,
)


def _t(en: str) -> Text:
    return Text(kk=f"kk:{en}", ru=f"ru:{en}", en=en)


FORM = Form(
    schema={
        "type": "object",
        "additionalProperties": False,
        "required": ["child_iin", "children", "consent", "move_date"],
        "properties": {
            "child_iin": {"type": "string", "pattern": "^[0-9]{12}$"},
            "children": {"type": "integer", "minimum": 1, "maximum": 10},
            "income": {"type": "number", "minimum": 0},
            "consent": {"type": "boolean", "const": True},
            "move_date": {"type": "string", "format": "date"},
            "school": {"type": "string", "enum": ["a", "b"]},
            "story": {"type": "string", "maxLength": 1000},
            "short": {"type": "string", "maxLength": 50},
        },
    },
    ui_order=("children", "child_iin", "consent", "move_date", "school", "story", "short",
              "income"),
    labels={name: _t(name.title()) for name in (
        "child_iin", "children", "income", "consent", "move_date", "school", "story", "short")},
    options={"school": {"a": _t("School A"), "b": _t("School B")}},
    hints={"child_iin": _t("12 digits")},
)


def test_widgets_follow_the_schema_in_ui_order():
    fields = form_fields(form=FORM, lang="en", values={}, errors={})
    assert [f.name for f in fields] == list(FORM.ui_order)
    widgets = {f.name: f.widget for f in fields}
    assert widgets == {
        "children": "number", "child_iin": "text", "consent": "checkbox", "move_date": "date",
        "school": "select", "story": "textarea", "short": "text", "income": "number",
    }
    by_name = {f.name: f for f in fields}
    assert by_name["child_iin"].inputmode == "numeric"
    assert by_name["short"].inputmode == ""
    assert by_name["children"].step == "1" and by_name["income"].step == "any"
    assert by_name["school"].options == [("a", "School A"), ("b", "School B")]
    ru = {f.name: f for f in form_fields(form=FORM, lang="ru", values={}, errors={})}
    assert ru["school"].options[0][1] == "ru:School A"
    assert ru["child_iin"].label == "ru:Child_Iin" and ru["child_iin"].hint == "ru:12 digits"


def test_posted_strings_become_the_schema_types():
    data, raw, errors = form_data_from_post(form=FORM, post={
        "children": " 3 ", "child_iin": "900517300123", "consent": "on",
        "move_date": "2026-02-01", "school": "", "story": "  ", "income": "1250,5",
    })
    assert data == {"children": 3, "child_iin": "900517300123", "consent": True,
                    "move_date": "2026-02-01", "income": 1250.5}
    assert errors == {}
    assert raw["school"] == "" and raw["children"] == "3"


def test_unconvertible_numbers_are_errors_and_the_typing_is_kept():
    data, raw, errors = form_data_from_post(form=FORM, post={"children": "three"})
    assert "children" not in data
    assert raw["children"] == "three"
    assert errors["children"]
    assert data["consent"] is False  # an unticked box is a "no", not a missing answer


def test_validation_messages_name_each_field_in_the_current_language():
    data, _, _ = form_data_from_post(form=FORM, post={
        "children": "11", "move_date": "2026-02-31", "story": "x" * 1001,
    })
    with translation.override("ru"):
        fields, general = form_validate(form=FORM, data=data)
    assert general == []
    assert set(fields) == {"children", "child_iin", "consent", "move_date", "story"}
    # What to do, naming the question (GOV.UK), not "This field is required".
    assert fields["child_iin"] == "Заполните поле «ru:Child_Iin»."
    assert fields["story"] == "Не более 1000 символов."
    assert "10" in fields["children"]
    with translation.override("kk"):
        fields, _ = form_validate(form=FORM, data=data)
    assert fields["move_date"] == "Нақты күнді енгізіңіз."
    assert fields["consent"] == "Жалғастыру үшін осы белгіні қойыңыз."


@pytest.mark.parametrize(("name", "value", "shown"), [
    ("school", "b", "School B"), ("consent", True, "Yes"), ("move_date", "2026-02-01",
                                                           "01.02.2026"),
    ("story", "", "—"), ("children", 2, "2"),
])
def test_values_are_shown_readably(name, value, shown):
    with translation.override("en"):
        assert value_display(form=FORM, name=name, value=value, lang="en") == shown


def test_controls_render_accessibly():
    fields = form_fields(form=FORM, lang="en", values={"children": "x", "consent": True},
                         errors={"children": "Enter a whole number."})
    with translation.override("en"):
        html = "".join(render_to_string("portal/apply/_field.html", {"f": f}) for f in fields)
    assert '<input id="field-child_iin" name="child_iin" value="" type="text" ' \
           'inputmode="numeric"' in html
    assert 'type="date"' in html and 'type="number" step="1" min="1" max="10"' in html
    assert 'id="field-consent" name="consent" value="on" checked' in html
    assert 'aria-describedby="field-children-error" aria-invalid="true"' in html
    assert 'aria-describedby="field-child_iin-hint"' in html
    assert '<label for="field-story">Story (optional)</label>' in html

"""The application form, generated from a service package's JSON Schema.

Django forms would need a class per service; the package already says everything (types,
labels, options, hints, order), so this module turns it into a list of `FieldView`s the template
renders, converts what the browser posted into the schema's types, and validates with the
package's own schema — giving each failure a translated message a person understands, instead of
jsonschema's English.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator

from qyzmet.catalog.package import Form, pointer_split
from qyzmet.core.clean_text import text_fault
from qyzmet.core.formats import format_checker
from qyzmet.identity.services import identifier_reason

TEXTAREA_FROM = 200
_NUMERIC_NAME = re.compile(r"(^|_)(iin|bin)($|_)")
_DIGITS_PATTERN = re.compile(r"^\^?(\\d|\[0-9\])(\{\d+(,\d*)?\}|\+|\*)?\$?$")


@dataclass
class FieldView:
    """One form control, ready for the template."""

    name: str
    label: str
    widget: str  # text | textarea | select | checkbox | number | date
    required: bool
    hint: str = ""
    value: str = ""
    checked: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""
    inputmode: str = ""
    maxlength: int | None = None
    step: str = ""
    minimum: Any = None
    maximum: Any = None

    @property
    def id(self) -> str:
        return f"field-{self.name}"

    @property
    def describedby(self) -> str:
        ids = []
        if self.hint:
            ids.append(f"{self.id}-hint")
        if self.error:
            ids.append(f"{self.id}-error")
        return " ".join(ids)


def _widget(spec: Mapping[str, Any]) -> str:
    kind = spec.get("type")
    if "enum" in spec:
        return "select"
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if kind == "string" and spec.get("format") == "date":
        return "date"
    if kind == "string" and int(spec.get("maxLength") or 0) > TEXTAREA_FROM:
        return "textarea"
    return "text"


def _numeric_text(name: str, spec: Mapping[str, Any]) -> bool:
    """IIN/BIN-like fields: digits typed as text (leading zeros matter, no spinner)."""
    return bool(_NUMERIC_NAME.search(name.lower())) or bool(
        _DIGITS_PATTERN.match(str(spec.get("pattern") or ""))
    )


def field_order(form: Form) -> list[str]:
    """`ui_order` first, then any property the order forgot (so nothing is silently hidden)."""
    names = [n for n in form.ui_order if n in form.properties]
    return names + [n for n in form.properties if n not in names]


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def form_fields(
    *, form: Form, lang: str, values: Mapping[str, Any], errors: Mapping[str, str]
) -> list[FieldView]:
    """The controls in `ui_order`, with labels in `lang`, the current values and the errors."""
    out: list[FieldView] = []
    for name in field_order(form):
        spec = form.properties[name]
        widget = _widget(spec)
        label = form.label(name, lang) if name in form.labels else name
        view = FieldView(
            name=name,
            label=label,
            widget=widget,
            required=name in form.required,
            hint=form.hint(name, lang),
            error=errors.get(name, ""),
        )
        raw = values.get(name)
        if widget == "checkbox":
            view.checked = raw is True or raw in ("on", "true", "1")
        else:
            view.value = _as_text(raw)
        if widget == "select":
            view.options = [
                (str(v), form.option_label(name, v, lang)) for v in spec.get("enum", [])
            ]
        if widget in ("text", "textarea") and spec.get("maxLength"):
            view.maxlength = int(spec["maxLength"])
        if widget == "text" and _numeric_text(name, spec):
            view.inputmode = "numeric"
        if widget == "number":
            view.step = "1" if spec.get("type") == "integer" else "any"
            view.minimum = spec.get("minimum")
            view.maximum = spec.get("maximum")
        out.append(view)
    return out


def form_data_from_post(*, form: Form, post: Mapping[str, Any]) -> tuple[dict, dict, dict]:
    """Convert posted strings to the schema's types.

    Returns (data, raw, errors): `data` holds the typed values (an empty field is absent, so
    "required" catches it), `raw` what the person typed (to show it back), `errors` the values
    that could not be converted at all (e.g. letters in a number field)."""
    data: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in field_order(form):
        spec = form.properties[name]
        kind = spec.get("type")
        if kind == "boolean":
            checked = post.get(name) in ("on", "true", "1")
            raw[name] = checked
            data[name] = checked
            continue
        text = str(post.get(name, "") or "").strip()
        if text_fault(text):
            # NUL or a lone surrogate: never stored, never shown back (the page must render).
            raw[name] = ""
            errors[name] = _("Remove the characters that cannot be used in text.")
            continue
        raw[name] = text
        if text == "":
            continue
        if kind == "integer":
            try:
                data[name] = int(text)
            except ValueError:
                errors[name] = _("Enter a whole number.")
        elif kind == "number":
            try:
                number = float(text.replace(",", "."))
                data[name] = int(number) if number.is_integer() and "." not in text else number
            except ValueError:
                errors[name] = _("Enter a number.")
        else:
            data[name] = text
    return data, raw, errors


def _message(error: Any) -> str:
    """A translated message for one jsonschema failure."""
    kind = error.validator
    value = error.validator_value
    if kind == "required":
        return _("This field is required.")
    if kind == "enum":
        return _("Choose one of the options.")
    if kind == "const":
        if value is True:
            return _("You must tick this box to continue.")
        return _("This value is not allowed.")
    if kind == "maxLength":
        return _("Use at most %(count)d characters.") % {"count": value}
    if kind == "minLength":
        if value == 1:
            return _("This field is required.")
        return _("Use at least %(count)d characters.") % {"count": value}
    if kind in ("minimum", "exclusiveMinimum"):
        return _("Enter a number of at least %(limit)s.") % {"limit": value}
    if kind in ("maximum", "exclusiveMaximum"):
        return _("Enter a number of at most %(limit)s.") % {"limit": value}
    if kind == "format" and value in ("iin", "bin"):
        # The identifier's own reason (wrong check digit, not 12 digits, ...), translated.
        reason = getattr(error.cause, "reason", "") or str(error.cause or "")
        return identifier_reason(reason) if reason else _("This number is not valid.")
    if kind == "format" and value == "date":
        return _("Enter a real date.")
    if kind == "format" and value == "email":
        return _("Enter an email address, like name@example.kz.")
    if kind == "type":
        if value == "integer":
            return _("Enter a whole number.")
        if value == "number":
            return _("Enter a number.")
    if kind == "pattern":
        return _("The format is not valid.")
    return _("This value is not valid.")


def _required_message(form: Form, name: str) -> str:
    """An empty required question, said the GOV.UK way: what to do, naming the question ("Choose
    “District” from the list"), not just "This field is required"."""
    if name not in form.labels:
        return _("This field is required.")
    label = form.label(name, get_language())
    widget = _widget(form.properties.get(name, {}))
    if widget == "select":
        return _("Choose “%(label)s” from the list.") % {"label": label}
    if widget == "date":
        return _("Enter “%(label)s” as a date, for example 15.03.1994.") % {"label": label}
    if widget == "number":
        return _("Enter “%(label)s” as a number.") % {"label": label}
    if widget == "checkbox":
        return _("You must tick this box to continue.")
    return _("Enter “%(label)s”.") % {"label": label}


def _field_of(path: list[Any], error: Any) -> str:
    if error.validator == "required":
        missing = [
            n for n in error.validator_value
            if isinstance(error.instance, Mapping) and n not in error.instance
        ]
        return str(missing[0]) if missing and not path else ""
    return str(path[0]) if path else ""


def form_validate(*, form: Form, data: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Validate typed data against the package schema: ({field: message}, [other messages]).

    The same check the service runs; doing it here first lets the page speak the citizen's
    language, and the service stays the authority (its 422 is shown too)."""
    validator = Draft202012Validator(dict(form.schema), format_checker=format_checker())
    fields: dict[str, str] = {}
    general: list[str] = []
    for error in sorted(validator.iter_errors(dict(data)), key=lambda e: list(e.path)):
        path = list(error.path)
        if error.validator == "required" and not path:
            for missing in error.validator_value:
                if missing not in data:
                    fields.setdefault(str(missing), _required_message(form, str(missing)))
            continue
        name = _field_of(path, error)
        if name and name in form.properties:
            fields.setdefault(name, _message(error))
        else:
            general.append(_message(error))
    return fields, general


def pointer_field(pointer: str) -> str:
    """The top-level field a JSON pointer names ('' for the whole form)."""
    try:
        parts = pointer_split(pointer)
    except ValueError:
        return ""
    return parts[0] if parts else ""


def value_display(*, form: Form, name: str, value: Any, lang: str) -> str:
    """How a submitted value reads on the page: option labels, Yes/No, dates as dd.mm.yyyy."""
    spec = form.properties.get(name, {})
    if value is None or value == "":
        return "—"
    if "enum" in spec:
        return form.option_label(name, value, lang)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if spec.get("format") == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).strftime("%d.%m.%Y")
        except ValueError:
            return value
    return _as_text(value)

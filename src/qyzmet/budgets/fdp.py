"""Reading and validating an agency's Fiscal Data Package.

A Fiscal Data Package (Frictionless Data, specs.frictionlessdata.io/fiscal-data-package) is a
Tabular Data Package whose `model` maps the columns of its CSV resources to the fiscal concepts:
`measures` (an amount column each, with its `currency`, `factor`, `direction` and `phase`) and
`dimensions` (the fiscal year as a `datetime` dimension, the `administrative` and `functional`
classifications, the programme and sub-programme as `activity` dimensions, each mapping its
`attributes` to columns with `source`). The profile we accept (docs/open-government.md):

- one or more CSV resources, each with an inline Table Schema; the package and every row are
  validated with the `frictionless` library first;
- measures: a `planned` one (`phase` "approved", or "planned") is required; `adjusted` and
  `executed` may follow; `currency` must be KZT; `direction` "expenditure"; `factor` a positive
  whole number (1, 1000 for thousands of tenge…); amounts are never negative;
- dimensions: `date` (attribute `year`), the administrative classification (attribute `code`,
  one value in the whole package), the functional classification (attribute `code`), the
  `programme` (attributes `code`, `label_kk`, `label_ru`, optional `label_en`) and optionally
  the `subprogramme` (the same attributes);
- one fiscal year per package, between FIRST_YEAR and this year + YEARS_AHEAD; programme and
  sub-programme codes of three digits; a programme keeps one name and one functional code; a
  (programme, sub-programme) pair appears once.

Every problem is a `PackageError` naming the file, row and column, worded for people in the
active language. Nothing is fetched from the network: resource paths must be plain names of the
uploaded files and schemas must be inline."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # one uploaded file, or the zip
MAX_UNPACKED_BYTES = 20 * 1024 * 1024  # all files of the package together, once unpacked
MAX_ZIP_RATIO = 100  # a member that unpacks to more than 100× its compressed size is a bomb
MAX_FILES = 10
MAX_ROWS = 10_000
FIRST_YEAR = 2000
YEARS_AHEAD = 3
DESCRIPTOR = "datapackage.json"
CURRENCY = "KZT"
PHASES = {"approved": "planned", "planned": "planned", "adjusted": "adjusted",
          "executed": "executed"}  # fmt: skip
CODE = re.compile(r"^[0-9]{3}$")
FUNCTIONAL = re.compile(r"^[0-9]{2}([0-9]{1,2})?$")
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")

# The people's words for each kind of problem. Placeholders: file, row, column, value, more.
MESSAGES = {
    "too_large": gettext_lazy("%(file)s is larger than the %(value)s MB allowed."),
    "too_many_files": gettext_lazy("The package has more than %(value)s files."),
    "empty": gettext_lazy(
        "No file was uploaded: choose datapackage.json with its CSV files, "
        "or one zip archive holding them."
    ),
    "bad_zip": gettext_lazy("%(file)s is not a readable zip archive."),
    "zip_bomb": gettext_lazy("%(file)s unpacks to far more data than allowed; it was not opened."),
    "zip_path": gettext_lazy(
        "%(file)s holds a file with a name that is not allowed "
        "(%(value)s): only plain file names, no folders."
    ),
    "file_name": gettext_lazy(
        "The file name %(value)s is not allowed: use letters, digits, "
        "dots, dashes and underscores only."
    ),
    "duplicate_file": gettext_lazy("The file %(value)s was given twice."),
    "unexpected_file": gettext_lazy(
        "%(file)s is not part of the package: only datapackage.json "
        "and the CSV files it names may be uploaded."
    ),
    "no_descriptor": gettext_lazy("The package has no datapackage.json file."),
    "not_json": gettext_lazy(
        "%(file)s is not valid JSON: the error is on line %(row)s, position %(value)s."
    ),
    "not_utf8": gettext_lazy("%(file)s is not UTF-8 text."),
    "descriptor_shape": gettext_lazy(
        '%(file)s must hold a JSON object with "resources" and "model".'
    ),
    "no_resources": gettext_lazy("%(file)s lists no data resources."),
    "resource_shape": gettext_lazy(
        "%(file)s: the resource %(value)s must have a name, a "
        '"path" to one of the uploaded CSV files and an inline '
        '"schema".'
    ),
    "missing_csv": gettext_lazy("%(file)s names the file %(value)s, which was not uploaded."),
    "schema_invalid": gettext_lazy("%(file)s: the Table Schema of %(value)s is not valid."),
    "package_invalid": gettext_lazy("%(file)s is not a valid Data Package."),
    "header_mismatch": gettext_lazy(
        "%(file)s: the column %(column)s does not match the schema "
        "(the header and the schema's fields must be the same, in "
        "the same order)."
    ),
    "missing_column": gettext_lazy(
        "%(file)s: the column %(column)s of the schema is missing from the header."
    ),
    "extra_column": gettext_lazy(
        "%(file)s: the header has a column the schema does not describe (%(value)s)."
    ),
    "type_error": gettext_lazy(
        "%(file)s, row %(row)s, column %(column)s: %(value)s is not a "
        "valid value of this column's type."
    ),
    "missing_cell": gettext_lazy("%(file)s, row %(row)s, column %(column)s: the cell is missing."),
    "extra_cell": gettext_lazy("%(file)s, row %(row)s: the row has more cells than the header."),
    "blank_row": gettext_lazy("%(file)s, row %(row)s: the row is empty."),
    "constraint": gettext_lazy(
        "%(file)s, row %(row)s, column %(column)s: %(value)s breaks "
        "the schema's constraint on this column."
    ),
    "encoding": gettext_lazy("%(file)s cannot be read as text in its encoding."),
    "table_invalid": gettext_lazy(
        "%(file)s, row %(row)s, column %(column)s: the value does not follow the schema."
    ),
    "too_many_rows": gettext_lazy("%(file)s has more than %(value)s rows."),
    "no_rows": gettext_lazy("The package holds no budget lines."),
    "no_model": gettext_lazy('%(file)s has no fiscal "model" (its measures and dimensions).'),
    "no_planned": gettext_lazy(
        "%(file)s: the fiscal model has no measure for the planned (approved) budget."
    ),
    "measure_shape": gettext_lazy(
        '%(file)s: the measure %(value)s must name its column in "source".'
    ),
    "unknown_phase": gettext_lazy(
        "%(file)s: the measure %(value)s has a phase that is not approved, adjusted or executed."
    ),
    "duplicate_phase": gettext_lazy("%(file)s: two measures have the same phase (%(value)s)."),
    "currency": gettext_lazy(
        "%(file)s: the measure %(value)s is not in tenge (currency must be KZT)."
    ),
    "direction": gettext_lazy(
        "%(file)s: the measure %(value)s is not an expenditure; only "
        "expenditure budgets are published here."
    ),
    "factor": gettext_lazy(
        "%(file)s: the factor of the measure %(value)s must be a positive whole number."
    ),
    "no_dimension": gettext_lazy("%(file)s: the fiscal model does not map the %(value)s."),
    "unknown_column": gettext_lazy(
        "%(file)s: the fiscal model maps %(value)s to the column "
        "%(column)s, which the data does not have."
    ),
    "amount_number": gettext_lazy(
        "%(file)s, row %(row)s, column %(column)s: the amount %(value)s is not a number."
    ),
    "amount_negative": gettext_lazy(
        "%(file)s, row %(row)s, column %(column)s: the amount "
        "%(value)s is negative; planned, adjusted and executed "
        "amounts cannot be."
    ),
    "amount_fraction": gettext_lazy(
        "%(file)s, row %(row)s, column %(column)s: the amount %(value)s has fractions of a tiyn."
    ),
    "amount_huge": gettext_lazy(
        "%(file)s, row %(row)s, column %(column)s: the amount %(value)s "
        "is too large to be a budget line."
    ),
    "planned_missing": gettext_lazy(
        "%(file)s, row %(row)s, column %(column)s: the planned amount is empty."
    ),
    "year": gettext_lazy(
        "%(file)s, row %(row)s, column %(column)s: %(value)s is not a fiscal year between %(more)s."
    ),
    "two_years": gettext_lazy(
        "%(file)s, row %(row)s, column %(column)s: the year %(value)s "
        "differs from the package's other rows (one fiscal year per "
        "package)."
    ),
    "two_administrators": gettext_lazy(
        "%(file)s, row %(row)s, column %(column)s: the "
        "administrator's code %(value)s differs from the other "
        "rows (one agency per package)."
    ),
    "administrator_changed": gettext_lazy(
        "%(file)s, row %(row)s, column %(column)s: the "
        "administrator's code %(value)s differs from the one "
        "this agency published before."
    ),
    "code": gettext_lazy(
        "%(file)s, row %(row)s, column %(column)s: %(value)s is not a code of three digits."
    ),
    "functional": gettext_lazy(
        "%(file)s, row %(row)s, column %(column)s: %(value)s is not a "
        "functional classification code (two to four digits)."
    ),
    "name_missing": gettext_lazy("%(file)s, row %(row)s, column %(column)s: the name is empty."),
    "name_differs": gettext_lazy(
        "%(file)s, row %(row)s, column %(column)s: the programme "
        "%(value)s has another name or functional code in an earlier "
        "row."
    ),
    "duplicate_line": gettext_lazy(
        "%(file)s, row %(row)s: the programme %(value)s appears twice with the same sub-programme."
    ),
    "mixed_levels": gettext_lazy(
        "%(file)s, row %(row)s: the programme %(value)s has both a "
        "line of its own and sub-programme lines; its amounts would be "
        "counted twice."
    ),
}


@dataclass(frozen=True)
class PackageError:
    """One problem with an uploaded package; `str()` words it in the active language."""

    code: str
    file: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""
    more: str = ""

    def __str__(self) -> str:
        value = self.value if len(self.value) <= 80 else self.value[:79] + "…"
        return str(MESSAGES[self.code]) % {
            "file": self.file or DESCRIPTOR,
            "row": self.row if self.row is not None else "—",
            "column": f"«{self.column}»" if self.column else "",
            "value": f"«{value}»" if self.code not in _BARE_VALUE else value,
            "more": self.more,
        }


_BARE_VALUE = {"too_large", "too_many_files", "too_many_rows", "not_json", "no_dimension"}


class PackageInvalid(Exception):
    def __init__(self, errors: Iterable[PackageError]):
        self.errors = list(errors)
        super().__init__("; ".join(e.code for e in self.errors))


@dataclass
class Line:
    programme_code: str
    programme_name_kk: str
    programme_name_ru: str
    programme_name_en: str
    subprogramme_code: str
    subprogramme_name_kk: str
    subprogramme_name_ru: str
    functional_code: str
    amounts: dict[str, int] = field(default_factory=dict)  # phase → tiyn


@dataclass
class Package:
    """A validated package: its files (to keep), its year, administrator code and lines."""

    files: dict[str, bytes]
    title: str
    fiscal_year: int
    administrative_code: str
    lines: list[Line]

    def zip_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(self.files):
                info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, self.files[name])
        return buffer.getvalue()


# --- unpacking ---------------------------------------------------------------------------------


def _unzip(name: str, data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise PackageInvalid([PackageError("bad_zip", name)]) from exc
    if len(members) > MAX_FILES:
        raise PackageInvalid([PackageError("too_many_files", name, value=str(MAX_FILES))])
    files: dict[str, bytes] = {}
    total = 0
    for member in members:
        member_name = member.filename
        if not FILE_NAME.match(member_name) or ".." in member_name:
            raise PackageInvalid([PackageError("zip_path", name, value=member_name)])
        if member.file_size > MAX_UNPACKED_BYTES or member.file_size > MAX_ZIP_RATIO * max(
            member.compress_size, 1
        ):
            raise PackageInvalid([PackageError("zip_bomb", name)])
        try:
            with archive.open(member) as stream:
                # Read no more than the limit whatever the header claims.
                content = stream.read(MAX_UNPACKED_BYTES - total + 1)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            raise PackageInvalid([PackageError("bad_zip", name)]) from exc
        total += len(content)
        if total > MAX_UNPACKED_BYTES or len(content) > MAX_ZIP_RATIO * max(
            member.compress_size, 1
        ):
            raise PackageInvalid([PackageError("zip_bomb", name)])
        if member_name in files:
            raise PackageInvalid([PackageError("duplicate_file", name, value=member_name)])
        files[member_name] = content
    return files


def files_collect(uploads: list[tuple[str, bytes]]) -> dict[str, bytes]:
    """The package's files from what was uploaded: one zip, or datapackage.json and CSVs."""
    if not uploads:
        raise PackageInvalid([PackageError("empty")])
    if len(uploads) > MAX_FILES:
        raise PackageInvalid([PackageError("too_many_files", value=str(MAX_FILES))])
    for name, data in uploads:
        if len(data) > MAX_UPLOAD_BYTES:
            raise PackageInvalid(
                [PackageError("too_large", name, value=str(MAX_UPLOAD_BYTES // (1024 * 1024)))]
            )
    if len(uploads) == 1 and uploads[0][1][:4] == b"PK\x03\x04":
        return _unzip(*uploads[0])
    files: dict[str, bytes] = {}
    for name, data in uploads:
        base = Path(name.replace("\\", "/")).name
        if not FILE_NAME.match(base):
            raise PackageInvalid([PackageError("file_name", value=base)])
        if base in files:
            raise PackageInvalid([PackageError("duplicate_file", value=base)])
        files[base] = data
    if sum(len(d) for d in files.values()) > MAX_UNPACKED_BYTES:
        raise PackageInvalid(
            [PackageError("too_large", value=str(MAX_UNPACKED_BYTES // (1024 * 1024)))]
        )
    return files


# --- the descriptor and the Table Schema (frictionless) ----------------------------------------


def _descriptor(files: dict[str, bytes]) -> dict[str, Any]:
    raw = files.get(DESCRIPTOR)
    if raw is None:
        raise PackageInvalid([PackageError("no_descriptor")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PackageInvalid([PackageError("not_utf8", DESCRIPTOR)]) from exc
    try:
        descriptor = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PackageInvalid(
            [PackageError("not_json", DESCRIPTOR, row=exc.lineno, value=str(exc.colno))]
        ) from exc
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        raise PackageInvalid([PackageError("descriptor_shape", DESCRIPTOR)])
    if not descriptor["resources"]:
        raise PackageInvalid([PackageError("no_resources", DESCRIPTOR)])
    return descriptor


def _safe_resources(descriptor: dict[str, Any], files: dict[str, bytes]) -> list[dict[str, Any]]:
    """Only what frictionless needs, and only local inline things: no URL, no remote schema,
    no path outside the upload, no inline data."""
    resources, errors = [], []
    for n, resource in enumerate(descriptor["resources"]):
        label = str(resource.get("name", n + 1)) if isinstance(resource, dict) else str(n + 1)
        if not (
            isinstance(resource, dict)
            and isinstance(resource.get("name"), str)
            and isinstance(resource.get("path"), str)
            and isinstance(resource.get("schema"), dict)
            and isinstance(resource["schema"].get("fields"), list)
            and FILE_NAME.match(resource["path"])
            and resource["path"].lower().endswith(".csv")
        ):
            errors.append(PackageError("resource_shape", DESCRIPTOR, value=label))
            continue
        if resource["path"] not in files:
            errors.append(PackageError("missing_csv", DESCRIPTOR, value=resource["path"]))
            continue
        clean: dict[str, Any] = {
            "name": resource["name"],
            "path": resource["path"],
            "format": "csv",
            "encoding": "utf-8",
            "schema": {
                k: v for k, v in resource["schema"].items() if k in ("fields", "missingValues")
            },
        }
        if isinstance(resource.get("dialect"), dict):
            clean["dialect"] = {
                k: v
                for k, v in resource["dialect"].items()
                if k in ("delimiter", "quoteChar", "header", "doubleQuote")
            }
        resources.append(clean)
    if errors:
        raise PackageInvalid(errors)
    named = {r["path"] for r in resources} | {DESCRIPTOR}
    extra = sorted(set(files) - named)
    if extra:
        raise PackageInvalid([PackageError("unexpected_file", name) for name in extra])
    return resources


_FRICTIONLESS_CODES = {
    "incorrect-label": "header_mismatch",
    "missing-label": "missing_column",
    "extra-label": "extra_column",
    "duplicate-label": "header_mismatch",
    "blank-label": "header_mismatch",
    "type-error": "type_error",
    "missing-cell": "missing_cell",
    "extra-cell": "extra_cell",
    "blank-row": "blank_row",
    "constraint-error": "constraint",
    "required-error": "missing_cell",
    "enum-error": "constraint",
    "minimum-error": "constraint",
    "maximum-error": "constraint",
    "pattern-error": "constraint",
    "encoding-error": "encoding",
}


def _frictionless_validate(resources: list[dict[str, Any]], workdir: Path) -> list[Any]:
    """Validate the Data Package and every row against its Table Schema with frictionless;
    returns the frictionless resources to read the rows from."""
    from frictionless import FrictionlessException
    from frictionless import Package as FrictionlessPackage

    errors: list[PackageError] = []
    try:
        package = FrictionlessPackage({"name": "budget", "resources": resources},
                                      basepath=str(workdir))  # fmt: skip
        report = package.validate(limit_errors=50)
    except FrictionlessException as exc:
        error_type = getattr(getattr(exc, "error", None), "type", "")
        code = "schema_invalid" if error_type in ("field-error", "schema-error") else (
            "package_invalid"
        )  # fmt: skip
        names = ", ".join(r["name"] for r in resources)
        raise PackageInvalid([PackageError(code, DESCRIPTOR, value=names)]) from exc
    for task in report.tasks:
        file_name = Path(str(task.place or task.name)).name
        for error in task.errors:
            mapped = _FRICTIONLESS_CODES.get(error.type)
            if mapped is not None:
                code = mapped
            else:
                code = "package_invalid" if error.type.endswith(("package-error",
                                                                 "resource-error")) else (
                    "schema_invalid" if "schema" in error.type or "field" in error.type
                    else "table_invalid"
                )  # fmt: skip
            errors.append(
                PackageError(
                    code,
                    file_name if code not in ("schema_invalid", "package_invalid") else DESCRIPTOR,
                    row=getattr(error, "row_number", None),
                    column=getattr(error, "field_name", "") or getattr(error, "label", "") or "",
                    value=str(
                        getattr(error, "cell", "") or getattr(error, "label", "") or task.name
                    ),
                )
            )
    if errors:
        raise PackageInvalid(errors)
    return list(package.resources)


# --- the fiscal model --------------------------------------------------------------------------


@dataclass
class _Model:
    measures: dict[str, tuple[str, int, str]]  # phase → (column, factor, measure name)
    year: str
    administrative: str
    functional: str
    programme: dict[str, str]  # code / label_kk / label_ru / label_en → column
    subprogramme: dict[str, str]


DIMENSION_WORDS = {
    "date": gettext_lazy('fiscal year (a datetime dimension with a "year" attribute)'),
    "administrative": gettext_lazy('administrative classification (its "code" attribute)'),
    "functional": gettext_lazy('functional classification (its "code" attribute)'),
    "programme": gettext_lazy('budget programme ("code", "label_kk" and "label_ru")'),
}


def _attributes(dimension: Any) -> dict[str, str]:
    attributes = dimension.get("attributes") if isinstance(dimension, dict) else None
    if not isinstance(attributes, dict):
        return {}
    return {
        name: attr["source"]
        for name, attr in attributes.items()
        if isinstance(attr, dict) and isinstance(attr.get("source"), str)
    }


def _model(descriptor: dict[str, Any], columns: set[str]) -> _Model:
    model = descriptor.get("model")
    if not isinstance(model, dict) or not isinstance(model.get("measures"), dict):
        raise PackageInvalid([PackageError("no_model", DESCRIPTOR)])
    errors: list[PackageError] = []
    measures: dict[str, tuple[str, int, str]] = {}
    for name, measure in model["measures"].items():
        if not isinstance(measure, dict) or not isinstance(measure.get("source"), str):
            errors.append(PackageError("measure_shape", DESCRIPTOR, value=str(name)))
            continue
        phase = PHASES.get(str(measure.get("phase", "")).lower())
        if phase is None:
            errors.append(PackageError("unknown_phase", DESCRIPTOR, value=str(name)))
        if str(measure.get("currency", "")).upper() != CURRENCY:
            errors.append(PackageError("currency", DESCRIPTOR, value=str(name)))
        if str(measure.get("direction", "expenditure")).lower() != "expenditure":
            errors.append(PackageError("direction", DESCRIPTOR, value=str(name)))
        factor = measure.get("factor", 1)
        if isinstance(factor, bool) or not isinstance(factor, int) or factor <= 0:
            errors.append(PackageError("factor", DESCRIPTOR, value=str(name)))
            factor = 1
        if measure["source"] not in columns:
            errors.append(PackageError("unknown_column", DESCRIPTOR, column=measure["source"],
                                       value=str(name)))  # fmt: skip
        if phase is not None:
            if phase in measures:
                errors.append(PackageError("duplicate_phase", DESCRIPTOR, value=phase))
            measures[phase] = (measure["source"], factor, str(name))
    raw_dimensions = model.get("dimensions")
    dimensions = raw_dimensions if isinstance(raw_dimensions, dict) else {}
    year = administrative = functional = ""
    programme: dict[str, str] = {}
    subprogramme: dict[str, str] = {}
    for name, dimension in dimensions.items():
        if not isinstance(dimension, dict):
            continue
        attributes = _attributes(dimension)
        kind = dimension.get("dimensionType")
        classification = dimension.get("classificationType")
        if kind == "datetime" and ("year" in attributes or "fiscalYear" in attributes):
            year = attributes.get("year") or attributes["fiscalYear"]
        elif classification == "administrative" and "code" in attributes:
            administrative = attributes["code"]
        elif classification == "functional" and "code" in attributes:
            functional = attributes["code"]
        elif name == "programme" and kind in ("activity", "classification"):
            programme = attributes
        elif name == "subprogramme" and kind in ("activity", "classification"):
            subprogramme = attributes
    if "planned" not in measures and not errors:
        errors.append(PackageError("no_planned", DESCRIPTOR))
    missing = [("date", year), ("administrative", administrative), ("functional", functional)]
    missing.append(("programme", "ok" if {"code", "label_kk", "label_ru"} <= set(programme)
                    else ""))  # fmt: skip
    for key, found in missing:
        if not found:
            errors.append(PackageError("no_dimension", DESCRIPTOR, value=str(DIMENSION_WORDS[key]),
                                       ))  # fmt: skip
    for attributes in (programme, subprogramme, {"year": year, "administrative": administrative,
                                                  "functional": functional}):  # fmt: skip
        for attribute, column in attributes.items():
            if column and column not in columns:
                errors.append(PackageError("unknown_column", DESCRIPTOR, column=column,
                                           value=attribute))  # fmt: skip
    if subprogramme and "code" not in subprogramme:
        errors.append(PackageError("no_dimension", DESCRIPTOR, value="subprogramme"))
    if errors:
        raise PackageInvalid(errors)
    return _Model(measures, year, administrative, functional, programme, subprogramme)


MAX_TIYN = 10**18  # a BIGINT holds 9.2 × 10^18


def _amount(value: Any, factor: int) -> tuple[int | None, str]:
    """(tiyn, problem code) for a cell; Decimal arithmetic only, never float."""
    if value is None or value == "":
        return None, ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None, "amount_number"
    if not number.is_finite():
        return None, "amount_number"
    if number < 0:
        return None, "amount_negative"
    tiyn = number * factor * 100
    if tiyn != tiyn.to_integral_value():
        return None, "amount_fraction"
    if tiyn >= MAX_TIYN:
        return None, "amount_huge"
    return int(tiyn), ""


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def package_read(
    uploads: list[tuple[str, bytes]],
    *,
    known_administrative_code: str = "",
    today: dt.date | None = None,
) -> Package:
    """Validate an upload completely; a `Package` when everything is right, else
    `PackageInvalid` with every problem found (up to a reasonable number)."""
    files = files_collect(uploads)
    descriptor = _descriptor(files)
    resources = _safe_resources(descriptor, files)
    with tempfile.TemporaryDirectory(prefix="qyzmet-fdp-") as workdir:
        for name, data in files.items():
            (Path(workdir) / name).write_bytes(data)
        checked = _frictionless_validate(resources, Path(workdir))
        columns = {f.name for r in checked for f in r.schema.fields}
        model = _model(descriptor, columns)
        this_year = (today or dt.date.today()).year
        years = f"{FIRST_YEAR}–{this_year + YEARS_AHEAD}"
        errors: list[PackageError] = []
        lines: dict[tuple[str, str], Line] = {}
        programme_seen: dict[str, tuple[str, str, str, int]] = {}
        fiscal_year: int | None = None
        administrative = ""
        count = 0
        for resource in checked:
            file_name = resource.path
            if model.year not in resource.schema.field_names:
                continue
            with resource:
                for row in resource.row_stream:
                    count += 1
                    if count > MAX_ROWS:
                        raise PackageInvalid(
                            [PackageError("too_many_rows", file_name, value=str(MAX_ROWS))]
                        )
                    at = {"file": file_name, "row": row.row_number}
                    cells = row.to_dict()
                    year_value = cells.get(model.year)
                    try:
                        year = int(str(year_value).strip())
                    except ValueError:
                        year = 0
                    if not FIRST_YEAR <= year <= this_year + YEARS_AHEAD:
                        errors.append(
                            PackageError(
                                "year", **at, column=model.year, value=_text(year_value), more=years
                            )
                        )
                    elif fiscal_year is None:
                        fiscal_year = year
                    elif year != fiscal_year:
                        errors.append(PackageError("two_years", **at, column=model.year,
                                                   value=str(year)))  # fmt: skip
                    admin = _text(cells.get(model.administrative))
                    if not CODE.match(admin):
                        errors.append(PackageError("code", **at, column=model.administrative,
                                                   value=admin))  # fmt: skip
                    elif not administrative:
                        administrative = admin
                        if known_administrative_code and admin != known_administrative_code:
                            errors.append(
                                PackageError(
                                    "administrator_changed",
                                    **at,
                                    column=model.administrative,
                                    value=admin,
                                )
                            )
                    elif admin != administrative:
                        errors.append(
                            PackageError(
                                "two_administrators", **at, column=model.administrative, value=admin
                            )
                        )
                    functional = _text(cells.get(model.functional))
                    if not FUNCTIONAL.match(functional):
                        errors.append(PackageError("functional", **at, column=model.functional,
                                                   value=functional))  # fmt: skip
                    p = model.programme
                    code = _text(cells.get(p["code"]))
                    if not CODE.match(code):
                        errors.append(PackageError("code", **at, column=p["code"], value=code))
                    names = {k: _text(cells.get(p[k])) if k in p else "" for k in
                             ("label_kk", "label_ru", "label_en")}  # fmt: skip
                    for key in ("label_kk", "label_ru"):
                        if not names[key]:
                            errors.append(PackageError("name_missing", **at, column=p[key]))
                    s = model.subprogramme
                    sub_code = _text(cells.get(s["code"])) if s else ""
                    sub_names = {k: _text(cells.get(s[k])) if k in s else "" for k in
                                 ("label_kk", "label_ru")}  # fmt: skip
                    if sub_code and not CODE.match(sub_code):
                        errors.append(PackageError("code", **at, column=s["code"],
                                                   value=sub_code))  # fmt: skip
                    if sub_code:
                        for key in ("label_kk", "label_ru"):
                            if not sub_names[key]:
                                errors.append(PackageError("name_missing", **at, column=s[key]))
                    identity = (names["label_kk"], names["label_ru"], functional)
                    seen = programme_seen.get(code)
                    if seen is None:
                        programme_seen[code] = (*identity, 1 if sub_code else 0)
                    else:
                        if seen[:3] != identity:
                            errors.append(PackageError("name_differs", **at, column=p["label_ru"],
                                                       value=code))  # fmt: skip
                        if (seen[3] == 1) != bool(sub_code):
                            errors.append(PackageError("mixed_levels", **at, value=code))
                    if (code, sub_code) in lines:
                        errors.append(PackageError("duplicate_line", **at, value=code))
                        continue
                    amounts: dict[str, int] = {}
                    for phase, (column, factor, _name) in model.measures.items():
                        raw = cells.get(column)
                        tiyn, problem = _amount(raw, factor)
                        if problem:
                            errors.append(PackageError(problem, **at, column=column,
                                                       value=_text(raw)))  # fmt: skip
                        elif tiyn is not None:
                            amounts[phase] = tiyn
                        elif phase == "planned":
                            errors.append(PackageError("planned_missing", **at, column=column))
                    lines[(code, sub_code)] = Line(
                        code, names["label_kk"], names["label_ru"], names["label_en"], sub_code,
                        sub_names["label_kk"], sub_names["label_ru"], functional, amounts,
                    )  # fmt: skip
                    if len(errors) >= 50:
                        raise PackageInvalid(errors)
    if errors:
        raise PackageInvalid(errors)
    if not lines or fiscal_year is None:
        raise PackageInvalid([PackageError("no_rows")])
    raw_title = descriptor.get("title")
    title = raw_title if isinstance(raw_title, str) else ""
    return Package(files, title[:300], fiscal_year, administrative, list(lines.values()))


def errors_in_words(errors: Iterable[PackageError]) -> list[str]:
    return [str(e) for e in errors]


def limits_in_words() -> str:
    return _(
        "Up to %(mb)d MB per file, %(files)d files and %(rows)d rows; amounts in tenge (KZT)."
    ) % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024), "files": MAX_FILES, "rows": MAX_ROWS}

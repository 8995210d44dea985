"""Publishing open datasets: a new version when the data changed, every old version kept.

* `dataset_publish` validates rows against their Frictionless Table Schema, writes the CSV
  (UTF-8, RFC 4180, header = field names) and the JSON (an array of objects typed per the
  schema), and stores a new `DatasetVersion` with its two `Resource`s — only when the schema or
  the bytes differ from the current version. Safe to run twice at once: the dataset row is locked
  and the database's unique constraints keep one current version and one number per version.
* `publish_all` runs every registered publisher (`qyzmet.core.open_datasets`); one failing does
  not stop the others. Beat runs it daily (`qyzmet.opendata.tasks.publish_all`).
* `dataset_upload` is an agency publishing its own CSV: only its officers and heads; UTF-8, at
  most `UPLOAD_MAX_BYTES`; never a file with personal identifiers (`privacy`); errors name the
  row and the column in the reader's language.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import hashlib
import io
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import frictionless
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from qyzmet.audit.models import AuditEntry
from qyzmet.audit.services import audit_record
from qyzmet.core import open_datasets
from qyzmet.core.problem import FieldError, Problem
from qyzmet.identity.selectors import organisation_names, user_has_role

from . import privacy
from .models import Dataset, DatasetVersion, Resource

log = logging.getLogger(__name__)

LANGS = ("kk", "ru", "en")
UPLOAD_MAX_BYTES = 5 * 1024 * 1024
UPLOAD_ROLES = {"officer", "head"}
ERRORS_SHOWN = 50  # a broken file reports its first 50 problems, not thousands
# The platform's own datasets are published by its operator (organisation "").
OPERATOR_NAME = {
    "kk": "«Qyzmet» платформасының операторы",
    "ru": "Оператор платформы «Qyzmet»",
    "en": "Qyzmet platform operator",
}
FACETS_CACHE_KEY = "opendata:facets"
MEDIA_TYPES: dict[str, str] = {
    Resource.Format.CSV: "text/csv", Resource.Format.JSON: "application/json"
}
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$")


# --- validation --------------------------------------------------------------------------------


def _type_words() -> dict[str, str]:
    return {
        "integer": _("a whole number"),
        "number": _("a number"),
        "date": _("a date written as YYYY-MM-DD"),
        "datetime": _("a date and time"),
        "year": _("a year"),
        "yearmonth": _("a month written as YYYY-MM"),
        "boolean": _("true or false"),
    }


def _error_text(error: Mapping[str, Any], types: Mapping[str, str]) -> str:
    """One Frictionless error in the reader's words."""
    row, column, value = error["row"], error["field"] or "", error["cell"]
    kind = error["type"]
    where = {"row": row, "column": column, "value": str(value)[:60] if value is not None else ""}
    if kind == "type-error":
        wanted = _type_words().get(types.get(column, ""), _("a valid value"))
        return _("Row %(row)d, column “%(column)s”: “%(value)s” is not %(wanted)s.") % {
            **where, "wanted": wanted,
        }
    if kind == "constraint-error" and '"required"' in error["note"]:
        return _("Row %(row)d, column “%(column)s”: a value is required.") % where
    if kind == "constraint-error":
        return _("Row %(row)d, column “%(column)s”: “%(value)s” is not an allowed value.") % where
    if kind == "missing-cell":
        return _("Row %(row)d, column “%(column)s”: the cell is missing.") % where
    if kind == "extra-cell":
        return _("Row %(row)d has more cells than the header has columns.") % where
    if kind == "blank-row":
        return _("Row %(row)d is empty.") % where
    if kind in ("primary-key", "unique-error"):
        return _("Row %(row)d repeats a value that must be unique.") % where
    return _("Row %(row)d: this row cannot be read.") % where


def _invalid(errors: list[FieldError]) -> Problem:
    return Problem(
        422,
        "dataset_invalid",
        _("The data does not match its schema"),
        _("Correct the rows listed and try again."),
        errors,
    )


def _schema_object(schema: Mapping[str, Any]) -> frictionless.Schema:
    try:
        return frictionless.Schema.from_descriptor(dict(schema))
    except frictionless.FrictionlessException as exc:
        detail = _("The schema is not a valid Table Schema.")
        raise Problem(
            422, "schema_invalid", _("Invalid schema"), detail, [FieldError("/schema", detail)]
        ) from exc


def _header_errors(schema: Mapping[str, Any], header: Sequence[str]) -> list[FieldError]:
    names = [f["name"] for f in schema.get("fields", [])]
    errors = []
    if len(set(header)) != len(header):
        detail = _("The header repeats a column name.")
        errors.append(FieldError("/rows/1", detail))
    for name in names:
        if name not in header:
            detail = _("The column “%(column)s” is missing from the header.") % {"column": name}
            errors.append(FieldError(f"/rows/1/{name}", detail))
    for name in header:
        if name not in names:
            detail = _("The column “%(column)s” is not in the schema.") % {"column": name}
            errors.append(FieldError(f"/rows/1/{name}", detail))
    return errors


def rows_typed(
    schema: Mapping[str, Any], rows: Iterable[Mapping[str, Any] | Sequence[Any]]
) -> list[dict[str, Any]]:
    """The rows validated and cast per `schema` (dicts, or lists in the schema's field order);
    raises a 422 Problem whose errors say row (as in the CSV file: the header is row 1) and
    column, in the active language."""
    schema_obj = _schema_object(schema)
    names = [f.name for f in schema_obj.fields]
    table: list[list[Any]] = [names]
    for row in rows:
        table.append(
            [row.get(n) for n in names] if isinstance(row, Mapping) else list(row)
        )
    resource = frictionless.Resource(data=table, schema=schema_obj)
    report = resource.validate()
    if not report.valid:
        types = {f.name: f.type for f in schema_obj.fields}
        errors = []
        for row_number, field_name, kind, note, cell in report.flatten(
            ["rowNumber", "fieldName", "type", "note", "cell"]
        ):
            error = {"row": row_number or 1, "field": field_name, "type": kind, "note": note or "",
                     "cell": cell}
            pointer = f"/rows/{error['row']}" + (f"/{field_name}" if field_name else "")
            errors.append(FieldError(pointer, _error_text(error, types)))
            if len(errors) >= ERRORS_SHOWN:
                break
        raise _invalid(errors)
    # What frictionless.Resource(data=rows) makes of a table, named so its row stream is typed.
    resource = frictionless.resources.TableResource(data=table, schema=_schema_object(schema))
    with resource:
        return [row.to_dict() for row in resource.row_stream]


# --- serialisation ---------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(_json_value(value))


def files_render(schema: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> dict[str, bytes]:
    """The CSV and JSON files of typed rows (see `rows_typed`)."""
    names = [f["name"] for f in schema.get("fields", [])]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_csv_value(row.get(n)) for n in names])
    objects = [{n: _json_value(row.get(n)) for n in names} for row in rows]
    return {
        Resource.Format.CSV: text.getvalue().encode("utf-8"),
        Resource.Format.JSON: (
            json.dumps(objects, ensure_ascii=False, separators=(",", ":")) + "\n"
        ).encode("utf-8"),
    }


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- publishing --------------------------------------------------------------------------------


def _text(value: Mapping[str, str] | str) -> dict[str, str]:
    if isinstance(value, str):
        return {lang: value for lang in LANGS}
    return {lang: str(value.get(lang) or "") for lang in LANGS if value.get(lang)}


def publisher_names(organisation: str) -> dict[str, str]:
    if not organisation:
        return dict(OPERATOR_NAME)
    return organisation_names(codes=[organisation]).get(organisation) or {}


def _search_text(title, description, tags, publisher) -> str:
    parts = [*title.values(), *description.values(), *tags, *publisher.values()]
    return "\n".join(p.lower() for p in parts if p)


def _dataset_locked(*, name: str, organisation: str, origin: str) -> Dataset:
    try:
        with transaction.atomic():
            Dataset.objects.get_or_create(
                name=name,
                defaults={"organisation": organisation, "origin": origin,
                          "modified": timezone.now()},
            )
    except IntegrityError:  # created at the same moment by another process
        pass
    return Dataset.objects.select_for_update().get(name=name)


def _facets_forget() -> None:
    transaction.on_commit(lambda: cache.delete(FACETS_CACHE_KEY))


def dataset_publish(
    *,
    name: str,
    organisation: str,
    origin: str,
    title: Mapping[str, str],
    description: Mapping[str, str],
    schema: Mapping[str, Any],
    rows: Iterable[Mapping[str, Any] | Sequence[Any]],
    tags: Iterable[str] = (),
    frequency: str = "daily",
    theme: str = "GOVE",
    note: str = "",
    actor: str = "",
) -> DatasetVersion | None:
    """Store a new version of dataset `name` if its schema or data changed; else None.
    Titles, description and tags are updated either way."""
    if not NAME_PATTERN.match(name):
        raise Problem(422, "name_invalid", "Invalid dataset name",
                      "Lowercase letters, digits and '-', 3 to 100 characters.")
    schema = json.loads(json.dumps(schema))  # plain JSON (tuples → lists) as the database keeps it
    typed = rows_typed(schema, rows)
    if origin == Dataset.Origin.PLATFORM:
        found = privacy.violations(schema, typed, counts=True)
        if found:
            row, column, kind = found[0]
            raise Problem(422, "dataset_personal", "Personal data in a dataset",
                          f"{name}: row {row}, column {column}: {kind}")
    files = files_render(schema, typed)
    digests = {fmt: _sha256(content) for fmt, content in files.items()}
    title, description = _text(title), _text(description)
    tags = sorted({str(t).strip() for t in tags if str(t).strip()})
    publisher = publisher_names(organisation)
    with transaction.atomic():
        dataset = _dataset_locked(name=name, organisation=organisation, origin=origin)
        if dataset.organisation != organisation or dataset.origin != origin:
            raise Problem(409, "dataset_taken", "Name taken",
                          f"The dataset {name} is published by someone else.")
        meta = {
            "title": title, "description": description, "tags": tags, "frequency": frequency,
            "theme": theme, "publisher_name": publisher, "tag_text": _tag_text(tags),
            "search_text": _search_text(title, description, tags, publisher),
        }
        changed_meta = [k for k, v in meta.items() if getattr(dataset, k) != v]
        for key in changed_meta:
            setattr(dataset, key, meta[key])
        current = dataset.versions.filter(current=True).first()
        if current is not None and current.schema == schema:
            stored = dict(current.resources.values_list("format", "sha256"))
            if stored == digests:
                if changed_meta:
                    dataset.save(update_fields=changed_meta)
                    _facets_forget()
                return None
        number = (dataset.versions.aggregate(m=Max("number"))["m"] or 0) + 1
        if current is not None:
            DatasetVersion.objects.filter(pk=current.pk).update(current=False)
        version = DatasetVersion.objects.create(
            dataset=dataset, number=number, current=True, schema=schema,
            row_count=len(typed), note=note[:2000], published_by=actor[:64],
        )
        Resource.objects.bulk_create([
            Resource(version=version, format=fmt, media_type=MEDIA_TYPES[fmt], content=content,
                     size=len(content), sha256=digests[fmt])
            for fmt, content in files.items()
        ])
        dataset.modified = timezone.now()
        dataset.formats = " ".join(sorted(files))
        dataset.save(update_fields=[*changed_meta, "modified", "formats"])
        _facets_forget()
    return version


def _tag_text(tags: Iterable[str]) -> str:
    tags = list(tags)
    return "|" + "|".join(t.lower() for t in tags) + "|" if tags else ""


def publish_all() -> dict[str, Any]:
    """Run every registered publisher; returns counts and the names that failed."""
    published: list[str] = []
    unchanged: list[str] = []
    failed: list[str] = []
    for publisher in open_datasets.publishers():
        try:
            version = dataset_publish(
                name=publisher.name,
                organisation=publisher.organisation,
                origin=Dataset.Origin.PLATFORM,
                title=publisher.title,
                description=publisher.description,
                schema=publisher.schema,
                rows=list(publisher.rows()),
                tags=publisher.tags,
                frequency=publisher.frequency,
                theme=publisher.theme,
            )
        except Exception:  # one broken publisher must not stop the others
            log.exception("open dataset %s was not published", publisher.name)
            failed.append(publisher.name)
            continue
        (published if version is not None else unchanged).append(publisher.name)
    return {
        "published": len(published),
        "unchanged": len(unchanged),
        "failed": len(failed),
        "failed_names": failed,
    }


# --- agencies' own datasets -------------------------------------------------------------------


@dataclass(frozen=True)
class UploadResult:
    version: DatasetVersion
    created: bool  # False: the file was the same as the current version


def _upload_error(code: str, pointer: str, detail: str, status: int = 422) -> Problem:
    return Problem(status, code, _("The file cannot be published"), detail,
                   [FieldError(pointer, detail)])


def _csv_table(csv_bytes: bytes) -> tuple[list[str], list[list[str]]]:
    if len(csv_bytes) > UPLOAD_MAX_BYTES:
        raise _upload_error("file_too_large", "/file", _(
            "The file is larger than %(size)d MB.") % {"size": UPLOAD_MAX_BYTES // 1024 // 1024},
            413)
    try:
        text = csv_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _upload_error("file_encoding", "/file", _(
            "The file must be saved as CSV in UTF-8 encoding.")) from exc
    if "\x00" in text:
        raise _upload_error("file_encoding", "/file", _("This is not a CSV text file."))
    try:
        table = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    except csv.Error as exc:
        raise _upload_error("file_csv", "/file", _(
            "The file is not a valid CSV file (check its quotes).")) from exc
    if len(table) < 2:
        raise _upload_error("file_empty", "/file", _(
            "The file needs a header row and at least one row of data."))
    header = [h.strip() for h in table[0]]
    if any(not h for h in header):
        raise _upload_error("file_header", "/file", _("Every column needs a name in the header."))
    return header, table[1:]


def _personal_refused(header: list[str], rows: list[list[str]]) -> None:
    for name in header:
        if privacy.personal_column(name):
            raise _upload_error("file_personal", f"/rows/1/{name}", _(
                "Column “%(column)s”: open data may not hold people's identifiers, names or "
                "contacts. Remove the column.") % {"column": name})
    for number, row in enumerate(rows, start=2):
        for index, cell in enumerate(row):
            if privacy.iins_in(cell):
                column = header[index] if index < len(header) else str(index + 1)
                raise _upload_error("file_personal", f"/rows/{number}/{column}", _(
                    "Row %(row)d, column “%(column)s”: this looks like a personal identification "
                    "number (IIN). Open data may not hold it.") % {"row": number,
                                                                    "column": column})


def schema_infer(header: list[str], rows: list[list[str]]) -> dict[str, Any]:
    """A Table Schema guessed from the data (Frictionless), each field titled by its name."""
    resource = frictionless.Resource(data=[header, *rows])
    resource.infer()
    return resource.schema.to_descriptor()


def _schema_parse(schema: str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if schema is None or (isinstance(schema, str) and not schema.strip()):
        return None
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError as exc:
            raise _upload_error("schema_invalid", "/schema", _(
                "The schema is not valid JSON.")) from exc
    if not isinstance(schema, Mapping) or not isinstance(schema.get("fields"), list):
        raise _upload_error("schema_invalid", "/schema", _(
            "The schema is not a valid Table Schema."))
    return dict(schema)


def dataset_name_for(*, organisation: str, title: Mapping[str, str]) -> str:
    base = slugify(title.get("en") or "") or "dataset"
    return f"{slugify(organisation)}-{base}"[:90].strip("-")


@transaction.atomic
def dataset_upload(
    *,
    actor: Any,
    organisation: str,
    title: Mapping[str, str],
    description: Mapping[str, str],
    tags: Iterable[str],
    csv_bytes: bytes,
    name: str | None = None,
    dataset: str | None = None,
    schema: str | Mapping[str, Any] | None = None,
    frequency: str = "irregular",
    note: str = "",
) -> UploadResult:
    """An agency's officer or head publishes a CSV as a new dataset (`name`, derived from the
    English title when absent) or as a new version of its `dataset`."""
    if not user_has_role(user=actor, organisation_code=organisation, roles=UPLOAD_ROLES):
        raise Problem(403, "forbidden", _("Access denied"),
                      _("Only the organisation's officers may publish its datasets."))
    title = _text(title)
    if not title.get("kk") or not title.get("ru"):
        lang = "kk" if not title.get("kk") else "ru"
        detail = _("Give the title in Kazakh and in Russian.")
        raise _upload_error("title_missing", f"/title/{lang}", detail)
    if dataset:
        existing = Dataset.objects.filter(
            name=dataset, organisation=organisation, origin=Dataset.Origin.AGENCY
        ).first()
        if existing is None:
            raise Problem(404, "not_found", _("Not found"), _("No such dataset."))
        name = existing.name
    else:
        name = name or dataset_name_for(organisation=organisation, title=title)
        if not NAME_PATTERN.match(name):
            raise _upload_error("name_invalid", "/name", _(
                "The address name may hold lowercase Latin letters, digits and hyphens."))
        if Dataset.objects.filter(name=name).exists():
            raise _upload_error("name_taken", "/name", _(
                "A dataset with this address name exists already. Choose another name, or "
                "upload a new version of that dataset."))
    header, rows = _csv_table(csv_bytes)
    _personal_refused(header, rows)
    parsed = _schema_parse(schema)
    if parsed is None:
        parsed = schema_infer(header, rows)
    header_errors = _header_errors(parsed, header)
    if header_errors:
        raise _invalid(header_errors)
    order = [header.index(f["name"]) for f in parsed["fields"]]
    reordered = [[row[i] if i < len(row) else None for i in order] for row in rows]
    for number, row in enumerate(rows, start=2):
        if len(row) > len(header):
            raise _invalid([FieldError(f"/rows/{number}", _(
                "Row %(row)d has more cells than the header has columns.") % {"row": number})])
    version = dataset_publish(
        name=name,
        organisation=organisation,
        origin=Dataset.Origin.AGENCY,
        title=title,
        description=_text(description),
        schema=parsed,
        rows=reordered,
        tags=tags,
        frequency=frequency,
        note=note,
        actor=f"user:{actor.pk}",
    )
    created = version is not None
    if version is None:
        version = DatasetVersion.objects.get(dataset__name=name, current=True)
    audit_record(
        actor=actor,
        kind=AuditEntry.Kind.CHANGE,
        action="opendata.dataset_upload",
        object_type="dataset",
        object_id=name,
        data={"organisation": organisation, "version": version.number, "created": created,
              "rows": version.row_count, "bytes": len(csv_bytes)},
    )
    return UploadResult(version=version, created=created)

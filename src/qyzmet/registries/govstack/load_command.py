"""`qyzmet govstack_registry_load --schema FILE [--records FILE] [--name N] [--registry-version V]
[--replace]`: create or update a schema-described registry and its records, idempotently.

`--schema` is a registry description (see `schema_registries`), or a file holding both:
`{"registry": {description}, "records": [...]}`. `--records` is a JSON list of records,
`{"records": [...]}`, or the GovStack test suite's test-data.json shape
(`{"registries": {"registryname", "versionnumber", "databaseID", "records": [...]}}`), whose
name, version and database ID fill in what the description leaves out. `--name`/`--registry-version`
override both (one description, several registries: the suite's `registryempty`, loaded with
`--name registryempty --database-id ''`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from .schema_registries import DescriptionInvalid
from .services import RecordsInvalid, schema_registry_load


def _read(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"{path}: {exc}") from exc


def _records_of(data: Any) -> tuple[list[Any], dict[str, str]]:
    """The records of a records file, and the registry identity it names (if any)."""
    if isinstance(data, list):
        return data, {}
    if isinstance(data, dict) and isinstance(data.get("registries"), dict):
        block = data["registries"]
        named = {"name": block.get("registryname"), "version": block.get("versionnumber"),
                 "database_id": block.get("databaseID")}  # fmt: skip
        return list(block.get("records") or []), {k: str(v) for k, v in named.items() if v}
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        return data["records"], {}
    raise CommandError("the records file holds no records (a list, or an object with records)")


class Command(BaseCommand):
    help = "Create or update a schema-described GovStack registry and load its records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", required=True, help="registry description (JSON)")
        parser.add_argument("--records", help="records (JSON list, {records}, or test-data.json)")
        parser.add_argument("--name", help="registry name (overrides the files)")
        parser.add_argument(
            "--registry-version",
            dest="registry_version",
            help="registry version (overrides the files)",
        )
        parser.add_argument(
            "--database-id",
            dest="database_id",
            help="GovStack DatabaseID (overrides the files; '' for none)",
        )
        parser.add_argument("--replace", action="store_true",
                            help="also remove the records the file does not list")  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        schema_file = _read(options["schema"])
        records: list[Any] = []
        named: dict[str, str] = {}
        if isinstance(schema_file, dict) and isinstance(schema_file.get("registry"), dict):
            description = dict(schema_file["registry"])
            records, named = _records_of(schema_file) if "records" in schema_file else ([], {})
        else:
            description = dict(schema_file) if isinstance(schema_file, dict) else schema_file
        if options.get("records"):
            records, named = _records_of(_read(options["records"]))
        if not isinstance(description, dict):
            raise CommandError("the description must be a JSON object")
        for field, value in named.items():
            description.setdefault(field, value)
        if options.get("name"):
            description["name"] = options["name"]
        if options.get("registry_version"):
            description["version"] = options["registry_version"]
        if options.get("database_id") is not None:
            description["database_id"] = options["database_id"]
            if not options["database_id"]:
                del description["database_id"]
        try:
            result = schema_registry_load(
                description=description, records=records, replace=options["replace"]
            )
        except (DescriptionInvalid, RecordsInvalid) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{result.registry} {result.version}: "
            f"{'created' if result.registry_created else 'updated'}; records "
            f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
            f"{result.removed} removed"
        )

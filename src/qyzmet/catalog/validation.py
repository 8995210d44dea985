"""Static validation of service packages.

A package is checked before it can reach the database, the server refuses to start with an
invalid one, and `qyzmet check_services` prints every problem as `FILE:POINTER: reason` with an
RFC 6901 JSON pointer to the offending node — so a service designer can fix a package without
reading Python. Two passes: the shape (a JSON Schema for the format, `package.schema.json`), then,
only when the shape is right, the cross-references no schema can express (workflow graph, form
fields named by labels and evidence, placeholders, agencies, life events).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from qyzmet.core.templating import placeholders
from qyzmet.exchange.registry_descriptor import ANY, registry_descriptors

from .package import FEE_TESTS, LANGS, NOTIFICATION_PLACEHOLDERS, pointer_join, pointer_split
from .reference import agency_codes, life_event_codes, mci_table
from .search import search_normalise

SCHEMA_FILE = Path(__file__).resolve().parent / "package.schema.json"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def registry_facts_known() -> dict[str, dict[str, dict[str, Any]]]:
    """The registry facts evidence may name, and the fields each returns: {registry: {fact:
    fields}}. A dict goes one level deeper, None is a leaf, ANY is a structure whose inside the
    catalog does not police (lists of people etc.). Derived from the registered descriptors
    (`qyzmet.exchange.registry_descriptor`), so a registry added as a plugin is valid evidence
    at once."""
    return {
        code: {spec.name: spec.fields for spec in descriptor.facts()}
        for code, descriptor in registry_descriptors().items()
    }


# The top-level parts only one kind of package has (the schema's if/then/else requires them;
# the other kind must not carry them, which a schema cannot report with a useful pointer).
KIND_PARTS: dict[str, tuple[str, ...]] = {
    "online": ("form", "evidence", "workflow", "result", "notifications", "refusal_grounds"),
    "information": ("information",),
}


@dataclass(frozen=True)
class PackageError:
    file: str
    pointer: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.pointer}: {self.reason}"


@dataclass(frozen=True)
class LoadedPackage:
    """One package file that passed validation, with the canonical checksum of its content."""

    path: Path
    data: dict[str, Any]
    checksum: str

    @property
    def code(self) -> str:
        return str(self.data["code"])

    @property
    def version(self) -> int:
        return int(self.data["version"])


@dataclass
class CollectResult:
    packages: list[LoadedPackage] = field(default_factory=list)
    errors: list[PackageError] = field(default_factory=list)


# --- loading ------------------------------------------------------------------------------------


class _PackageLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: a date in a package stays the string it looks like, so
    what is validated is exactly what is stored as JSON."""


_PackageLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def package_checksum(data: Any) -> str:
    """sha256 of the canonical JSON: formatting and key order in the YAML do not count."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def package_file_load(path: Path) -> tuple[dict[str, Any] | None, list[PackageError]]:
    """Read one YAML file into JSON-compatible data, or say why it cannot be read."""
    name = str(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_PackageLoader)  # noqa: S506
    except (OSError, UnicodeDecodeError) as exc:
        return None, [PackageError(name, "", f"cannot read the file: {exc}")]
    except yaml.YAMLError as exc:
        return None, [PackageError(name, "", f"not valid YAML: {exc}")]
    if not isinstance(raw, dict):
        return None, [PackageError(name, "", "a package must be a YAML mapping")]
    try:
        data = json.loads(json.dumps(raw))
    except (TypeError, ValueError) as exc:
        return None, [PackageError(name, "", f"not representable as JSON: {exc}")]
    return data, []


# --- the shape ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _format_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _shape_errors(data: Any, file: str) -> list[PackageError]:
    errors: list[PackageError] = []
    for error in _format_validator().iter_errors(data):
        path = [str(p) for p in error.absolute_path]
        instance = error.instance
        if error.validator == "required" and isinstance(instance, Mapping):
            for name in error.validator_value:
                if name not in instance and f"{name!r} is a required" in error.message:
                    errors.append(PackageError(file, pointer_join([*path, name]), "required"))
            continue
        if error.validator == "additionalProperties" and isinstance(instance, Mapping):
            known = error.schema.get("properties", {})
            for name in instance:
                if name not in known:
                    errors.append(PackageError(file, pointer_join([*path, name]), "unknown key"))
            continue
        errors.append(PackageError(file, pointer_join(path), error.message))
    if isinstance(data, Mapping):
        kind = data.get("kind", "online")
        for other, parts in KIND_PARTS.items():
            if other != kind and kind in KIND_PARTS:
                for part in parts:
                    if part in data:
                        errors.append(
                            PackageError(file, f"/{part}", f"not allowed when kind is {kind}")
                        )
    return sorted(set(errors), key=lambda e: (pointer_split(e.pointer), e.reason))


# --- cross-references ---------------------------------------------------------------------------


def _path_known(fields: Any, segments: list[str]) -> bool:
    if not segments:
        return True
    if fields == ANY:
        return True
    if not isinstance(fields, dict) or segments[0] not in fields:
        return False
    return _path_known(fields[segments[0]], segments[1:])


class _Checker:
    def __init__(
        self, data: dict[str, Any], file: str, agencies: Iterable[str], events: Iterable[str],
        require_grounds: bool = True,
    ) -> None:
        self.data = data
        self.file = file
        self.agencies = frozenset(agencies)
        self.events = frozenset(events)
        self.require_grounds = require_grounds
        self.errors: list[PackageError] = []
        form = data.get("form") or {"schema": {}}
        self.properties: dict[str, Any] = dict(form["schema"].get("properties", {}))

    def err(self, parts: Iterable[Any], reason: str) -> None:
        self.errors.append(PackageError(self.file, pointer_join([str(p) for p in parts]), reason))

    def run(self) -> list[PackageError]:
        self.check_references()
        self.check_search_terms()
        self.check_fee()
        if self.data.get("kind", "online") == "information":
            # No form, workflow, result or notifications: the shape already made sure of that.
            return self.errors
        self.check_form()
        self.check_workflow()
        self.check_grounds()
        self.check_evidence()
        self.check_result()
        self.check_notifications()
        return self.errors

    def check_references(self) -> None:
        if self.data["agency"] not in self.agencies:
            self.err(["agency"], f"unknown agency {self.data['agency']!r}")
        for i, code in enumerate(self.data["life_events"]):
            if code not in self.events:
                self.err(["life_events", i], f"unknown life event {code!r}")

    def check_search_terms(self) -> None:
        """A term that normalises to nothing (punctuation only) could never match a query."""
        for lang, terms in (self.data.get("search_terms") or {}).items():
            for i, term in enumerate(terms):
                if not search_normalise(term):
                    self.err(["search_terms", lang, i], "has no letters or digits")

    def check_fee(self) -> None:
        """A fee is a fixed amount or a number of MCI (KZT, at most 2 decimals) whose amount is
        a whole number of tiyn in every year of the country pack's index table, also after each
        exemption's share; exemption codes are unique and their rules test evidence the package
        reads (see `_check_fee_rule`)."""
        fee = self.data["fee"]
        has_amount, has_mci = "amount" in fee, "mci" in fee
        if has_amount == has_mci:
            self.err(["fee"], "give either amount (in minor units) or mci, not both or neither")
            return
        amounts: dict[int, Decimal] = {}
        if has_mci:
            mci = Decimal(str(fee["mci"]))
            if mci.as_tuple().exponent < -2:  # type: ignore[operator]
                self.err(["fee", "mci"], f"{fee['mci']} has more than 2 decimals")
                return
            if fee["currency"] != "KZT":
                self.err(["fee", "currency"], "a fee in MCI is in KZT")
                return
            try:
                table = mci_table()
            except ImproperlyConfigured as exc:
                self.err(["fee", "mci"], f"the index table cannot be read: {exc}")
                return
            for year, value in sorted(table.values.items()):
                exact = mci * value * 100
                if exact != exact.to_integral_value():
                    self.err(
                        ["fee", "mci"],
                        f"{mci} MCI x {value} ({year}) = {exact / 100} is not a whole tiyn",
                    )
                amounts[year] = exact
        else:
            amounts[0] = Decimal(fee["amount"])
        exemptions = fee.get("exemptions") or []
        if exemptions and not (has_mci or fee["amount"]):
            self.err(["fee", "exemptions"], "a free service has nothing to exempt from")
        codes: set[str] = set()
        evidence = {} if self.data.get("kind") == "information" else self._evidence_fields()
        for i, exemption in enumerate(exemptions):
            if exemption["code"] in codes:
                self.err(["fee", "exemptions", i, "code"], "duplicate exemption code")
            codes.add(exemption["code"])
            share = exemption.get("pays_percent", 0)
            for year, amount in amounts.items():
                part = amount * share / 100
                if part != part.to_integral_value():
                    when = f" in {year}" if year else ""
                    self.err(
                        ["fee", "exemptions", i, "pays_percent"],
                        f"{share}% of the fee{when} is not a whole number of tiyn",
                    )
                    break
            self._check_fee_rule(exemption["when"], ["fee", "exemptions", i, "when"], evidence)

    def _check_fee_rule(self, rule: Mapping[str, Any], at: list[Any], evidence: dict) -> None:
        """`all`/`any` alone, or `evidence` + `field` + exactly one test; the evidence is one
        the package reads and the field one its fact has."""
        combinators = [k for k in ("all", "any") if k in rule]
        tests = [k for k in FEE_TESTS if k in rule]
        leaf = [k for k in ("evidence", "field") if k in rule]
        if combinators:
            if len(combinators) > 1 or leaf or tests:
                self.err(at, "a rule is either all, any, or one test of an evidence field")
                return
            for j, inner in enumerate(rule[combinators[0]]):
                self._check_fee_rule(inner, [*at, combinators[0], j], evidence)
            return
        if len(leaf) < 2:
            self.err(at, "a test needs evidence and field")
            return
        if len(tests) != 1:
            self.err(at, f"a test needs exactly one of {', '.join(FEE_TESTS)}")
            return
        name = rule["evidence"]
        if name not in evidence:
            self.err([*at, "evidence"], f"{name!r} is not an evidence item of this package")
        elif not _path_known(evidence[name], rule["field"].split(".")):
            self.err([*at, "field"], f"evidence {name!r} has no field {rule['field']!r}")

    def check_form(self) -> None:
        form = self.data["form"]
        schema = form["schema"]
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            self.err(
                ["form", "schema", *exc.absolute_path], f"not a valid JSON Schema: {exc.message}"
            )
        if "$schema" in schema and schema["$schema"] != DRAFT_2020_12:
            self.err(["form", "schema", "$schema"], f"must be {DRAFT_2020_12}")
        for i, name in enumerate(schema.get("required", []) or []):
            if name not in self.properties:
                self.err(["form", "schema", "required", i], f"{name!r} is not a form property")

        seen: set[str] = set()
        for i, name in enumerate(form["ui_order"]):
            if name not in self.properties:
                self.err(["form", "ui_order", i], f"{name!r} is not a form property")
            elif name in seen:
                self.err(["form", "ui_order", i], f"{name!r} is listed twice")
            seen.add(name)
        for name in self.properties:
            if name not in seen:
                self.err(["form", "ui_order"], f"property {name!r} is missing")

        labels = form["labels"]
        for name in self.properties:
            if name not in labels:
                self.err(["form", "labels"], f"no label for property {name!r}")
        for name in labels:
            if name not in self.properties:
                self.err(["form", "labels", name], f"{name!r} is not a form property")

        options = form.get("options") or {}
        for name, spec in self.properties.items():
            enum = spec.get("enum") if isinstance(spec, Mapping) else None
            if enum is None:
                continue
            if name not in options:
                self.err(["form", "options"], f"no option labels for the enum field {name!r}")
                continue
            values = {str(v) for v in enum}
            for value in enum:
                if str(value) not in options[name]:
                    self.err(["form", "options", name], f"no label for the value {value!r}")
            for value in options[name]:
                if value not in values:
                    self.err(["form", "options", name, value], f"{value!r} is not an enum value")
        for name in options:
            spec = self.properties.get(name)
            if not isinstance(spec, Mapping) or "enum" not in spec:
                self.err(["form", "options", name], f"{name!r} is not an enum form property")
        for name in form.get("hints") or {}:
            if name not in self.properties:
                self.err(["form", "hints", name], f"{name!r} is not a form property")

    def check_workflow(self) -> None:
        wf = self.data["workflow"]
        states: dict[str, dict[str, Any]] = wf["states"]
        initial = wf["initial"]
        if initial not in states:
            self.err(["workflow", "initial"], f"unknown state {initial!r}")
        elif states[initial].get("final"):
            self.err(["workflow", "initial"], "the initial state cannot be final")

        for name, spec in states.items():
            if spec.get("final") and "outcome" not in spec:
                self.err(["workflow", "states", name], "a final state needs an outcome")
            if "outcome" in spec and not spec.get("final"):
                self.err(["workflow", "states", name], "only a final state has an outcome")
        if not any(s.get("final") and s.get("outcome") == "approved" for s in states.values()):
            self.err(["workflow", "states"], "no final state with outcome 'approved'")

        edges: dict[str, set[str]] = {name: set() for name in states}
        seen_names: set[str] = set()
        for i, action in enumerate(wf["actions"]):
            if action["name"] in seen_names:
                self.err(["workflow", "actions", i, "name"], "duplicate action name")
            seen_names.add(action["name"])
            target_ok = action["to"] in states
            if not target_ok:
                self.err(["workflow", "actions", i, "to"], f"unknown state {action['to']!r}")
            for j, source in enumerate(action["from"]):
                if source not in states:
                    self.err(["workflow", "actions", i, "from", j], f"unknown state {source!r}")
                    continue
                if states[source].get("final"):
                    self.err(
                        ["workflow", "actions", i, "from", j],
                        f"{source!r} is final: no action may leave it",
                    )
                if target_ok:
                    edges[source].add(action["to"])
            if (
                action["name"] == "request_info"
                and target_ok
                and states[action["to"]].get("clock") != "paused"
            ):
                self.err(
                    ["workflow", "actions", i, "to"],
                    "request_info must lead to a state whose clock is paused",
                )
            if action["name"] == "provide_info" and "applicant" not in action["roles"]:
                self.err(["workflow", "actions", i, "roles"], "provide_info is the applicant's")

        reachable: set[str] = set()
        if initial in states:
            queue = deque([initial])
            while queue:
                current = queue.popleft()
                if current in reachable:
                    continue
                reachable.add(current)
                queue.extend(edges[current] - reachable)
        for name, spec in states.items():
            if initial in states and name not in reachable:
                self.err(["workflow", "states", name], "not reachable from the initial state")
            if not spec.get("final") and not edges[name]:
                self.err(
                    ["workflow", "states", name],
                    "no action leaves this state: a case would be stuck",
                )

    def check_grounds(self) -> None:
        """Refusals are coded: an action that refuses (asks for a reason and leads to a final
        state with outcome `refused`) needs grounds to choose from, the codes are unique, an
        action's `grounds` name the package's and only a refusing action has them."""
        grounds = self.data.get("refusal_grounds") or []
        codes: set[str] = set()
        for i, ground in enumerate(grounds):
            if ground["code"] in codes:
                self.err(["refusal_grounds", i, "code"], "duplicate ground code")
            codes.add(ground["code"])
        states: dict[str, dict[str, Any]] = self.data["workflow"]["states"]
        refusing = False
        for i, action in enumerate(self.data["workflow"]["actions"]):
            target = states.get(action["to"]) or {}
            refuses = bool(action.get("requires_reason")) and target.get("outcome") == "refused"
            refusing = refusing or refuses
            if "grounds" not in action:
                continue
            if not refuses:
                self.err(["workflow", "actions", i, "grounds"],
                         "only an action that refuses (requires_reason, to a state with "
                         "outcome 'refused') has grounds")  # fmt: skip
            for j, code in enumerate(action["grounds"]):
                if code not in codes:
                    self.err(["workflow", "actions", i, "grounds", j],
                             f"{code!r} is not a code of refusal_grounds")  # fmt: skip
        if refusing and not grounds and self.require_grounds:
            self.err(["refusal_grounds"], "an action refuses: list at least one ground")

    def check_evidence(self) -> None:
        names: set[str] = set()
        known = registry_facts_known()
        for i, ev in enumerate(self.data["evidence"]):
            if ev["name"] == "form":
                self.err(["evidence", i, "name"], "'form' is reserved for the form data")
            elif ev["name"] in names:
                self.err(["evidence", i, "name"], "duplicate evidence name")
            names.add(ev["name"])
            facts = known.get(ev["registry"])
            if facts is None:
                self.err(["evidence", i, "registry"], f"unknown registry {ev['registry']!r}")
                continue
            fields = facts.get(ev["fact"])
            if fields is None:
                self.err(["evidence", i, "fact"], f"{ev['registry']} has no fact {ev['fact']!r}")
                continue
            if ev["subject"].startswith("form:"):
                pointer = ev["subject"][len("form:") :]
                parts = pointer_split(pointer)
                if not parts or parts[0] not in self.properties:
                    self.err(["evidence", i, "subject"], f"{pointer!r} is not a form property")
            for j, path in enumerate(ev["show"]):
                if not _path_known(fields, path.split(".")):
                    self.err(["evidence", i, "show", j], f"{ev['fact']} has no field {path!r}")

    def _evidence_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        known = registry_facts_known()
        for ev in self.data["evidence"]:
            facts = known.get(ev["registry"], {})
            fields[ev["name"]] = facts.get(ev["fact"], ANY)
        return fields

    def check_result(self) -> None:
        evidence = self._evidence_fields()
        for part in ("title", "body"):
            texts = self.data["result"][part]
            reference = sorted(set(placeholders(texts["kk"])))
            for lang in LANGS:
                found = placeholders(texts[lang])
                for name in found:
                    head, *rest = name.split(".")
                    if head == "form":
                        if not rest or rest[0] not in self.properties:
                            self.err(
                                ["result", part, lang],
                                f"{{{name}}}: not a form property",
                            )
                    elif head in evidence:
                        if not _path_known(evidence[head], rest):
                            self.err(["result", part, lang], f"{{{name}}}: no such field")
                    else:
                        self.err(
                            ["result", part, lang],
                            f"{{{name}}}: neither an evidence name nor 'form'",
                        )
                if lang != "kk" and sorted(set(found)) != reference:
                    self.err(["result", part, lang], "placeholders differ from the kk text")

    def check_notifications(self) -> None:
        for kind, texts in self.data["notifications"].items():
            for lang in LANGS:
                for name in placeholders(texts[lang]):
                    if name not in NOTIFICATION_PLACEHOLDERS:
                        allowed = ", ".join(sorted(NOTIFICATION_PLACEHOLDERS))
                        self.err(
                            ["notifications", kind, lang],
                            f"unknown placeholder {{{name}}} (allowed: {allowed})",
                        )


def package_validate(
    data: Any,
    *,
    file: str = "<package>",
    agencies: Iterable[str] | None = None,
    life_events: Iterable[str] | None = None,
    require_grounds: bool = True,
) -> list[PackageError]:
    """Every problem of one package's content (the file name and duplicates are checked by
    `packages_collect`). `agencies`/`life_events` default to the country pack's files.

    `require_grounds=False` lets a refusing action go without `refusal_grounds`: only for the
    versions published before grounds existed, which are immutable (`packages_collect` asks it
    for every version but the newest of a service)."""
    errors = _shape_errors(data, file)
    if errors:
        return errors
    checker = _Checker(
        data,
        file,
        agency_codes() if agencies is None else agencies,
        life_event_codes() if life_events is None else life_events,
        require_grounds=require_grounds,
    )
    return checker.run()


def package_file_name(code: str, version: int) -> str:
    """`kz.address-certificate` v1 lives in `address-certificate.v1.yaml`."""
    return f"{code.split('.', 1)[-1]}.v{version}.yaml"


def package_file_validate(
    path: Path, *, require_grounds: bool = True
) -> tuple[dict[str, Any] | None, list[PackageError]]:
    data, errors = package_file_load(path)
    if data is None:
        return None, errors
    errors = package_validate(data, file=str(path), require_grounds=require_grounds)
    code, version = data.get("code"), data.get("version")
    if isinstance(code, str) and isinstance(version, int):
        expected = package_file_name(code, version)
        if path.name != expected:
            reason = f"the file of {code} v{version} must be named {expected}"
            errors.append(PackageError(str(path), "", reason))
    return data, errors


def package_dirs() -> list[Path]:
    return [Path(d) for d in settings.QYZMET_SERVICE_PACKAGE_DIRS]


_FILE_VERSION = re.compile(r"^(?P<name>.+)\.v(?P<version>[0-9]+)\.yaml$")


def _newest_files(directories: Iterable[Path]) -> set[Path]:
    """The file of each service's highest version, by file name (`<name>.v<n>.yaml`): the one
    new applications will use, which must meet today's rules in full (older versions are
    immutable; see `package_validate(require_grounds=…)`). A file named otherwise counts as
    newest, so it gets every check."""
    best: dict[str, tuple[int, Path]] = {}
    odd: set[Path] = set()
    for directory in directories:
        for path in directory.glob("*.yaml") if directory.is_dir() else ():
            match = _FILE_VERSION.match(path.name)
            if match is None:
                odd.add(path)
                continue
            version = int(match["version"])
            if match["name"] not in best or best[match["name"]][0] < version:
                best[match["name"]] = (version, path)
    return {path for _v, path in best.values()} | odd


def packages_collect(*, dirs: Iterable[Path | str] | None = None) -> CollectResult:
    """Load and validate every `*.yaml` package in `dirs` (default: the setting). Valid packages
    are returned even when others are broken; callers decide whether any error is fatal."""
    result = CollectResult()
    seen: dict[tuple[str, int], Path] = {}
    directories = package_dirs() if dirs is None else [Path(d) for d in dirs]
    newest = _newest_files(directories)
    for directory in directories:
        if not directory.is_dir():
            result.errors.append(PackageError(str(directory), "", "not a directory"))
            continue
        for path in sorted(directory.glob("*.yaml")):
            data, errors = package_file_validate(path, require_grounds=path in newest)
            if data is not None and not errors:
                key = (data["code"], data["version"])
                if key in seen:
                    errors.append(
                        PackageError(
                            str(path),
                            "/version",
                            f"{key[0]} v{key[1]} is already defined in {seen[key]}",
                        )
                    )
                else:
                    seen[key] = path
            result.errors.extend(errors)
            if data is not None and not errors:
                result.packages.append(LoadedPackage(path, data, package_checksum(data)))
    return result

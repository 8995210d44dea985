"""Nothing about a person leaves through open data.

`publish_all()` runs over a demo-sized world — a generated population of a few hundred people
(the demo's own generator), real submissions and appeals whose free text names people and holds
their IINs, and about a thousand applications and six hundred appeals over 14 months across three
agencies — and then EVERY registered publisher's published CSV and JSON are read back (the
registry is iterated, so datasets added later are covered without touching this file):

* no count-like cell (an integer field named `n_…`/`…count`, or marked `"personal": "count"`,
  unless marked `"personal": "none"`; see qyzmet.core.open_datasets) holds 1 to 4;
* no 12-digit string passes the IIN check;
* no person's name from the population registry (nor any account's name) appears.

The same checks are shown to fail when a publisher leaks (a bad publisher registered for the
test only)."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from qyzmet.appeals import services as appeal_services
from qyzmet.core import open_datasets
from qyzmet.core.open_datasets import K_ANONYMITY, Publisher
from qyzmet.countries.kz.demo import population_generate
from qyzmet.countries.kz.identifiers import iin_validate
from qyzmet.identity.models import User
from qyzmet.opendata.models import DatasetVersion
from qyzmet.opendata.services import files_render, publish_all, rows_typed
from qyzmet.registries.population.models import Person
from tests.identity.factories import UserFactory
from tests.opendata import performance_world
from tests.portal.factories import catalog_loaded, citizen, submitted

pytestmark = pytest.mark.django_db

TWELVE = re.compile(r"(?<!\d)\d{12}(?!\d)")


def _count_like(field: dict) -> bool:
    """The rule as documented (written again here, not imported, so the test checks it)."""
    if field.get("personal") == "count":
        return True
    if field.get("personal") == "none" or field.get("type") != "integer":
        return False
    name = field["name"].lower()
    return name.startswith("n_") or name.endswith("count")


def _is_iin(value: str) -> bool:
    try:
        iin_validate(value)
    except ValueError:
        return False
    return True


def _names() -> set[str]:
    names = set()
    for last, first, patronymic in Person.objects.values_list(
        "last_name", "first_name", "patronymic"
    ):
        names |= {f"{last} {first}", f"{first} {last}"}
        if patronymic:
            names.add(f"{last} {first} {patronymic}")
    names |= {n for n in User.objects.values_list("full_name", flat=True) if n}
    return {n.lower() for n in names}


def leaks_in_files(schema: dict, files: dict[str, bytes], names: set[str]) -> list[str]:
    """Every breach of the three rules in one dataset version's files."""
    found = []
    counted = [f["name"] for f in schema["fields"] if _count_like(f)]
    text_csv = files["CSV"].decode("utf-8")
    rows_csv = list(csv.DictReader(io.StringIO(text_csv, newline="")))
    rows_json = json.loads(files["JSON"])
    for rows in (rows_csv, rows_json):
        for number, row in enumerate(rows, start=2):
            for name in counted:
                value = row.get(name)
                if value not in (None, "") and 0 < int(value) < K_ANONYMITY:
                    found.append(f"row {number}: {name}={value}")
    for fmt, content in files.items():
        text = content.decode("utf-8")
        found += [f"{fmt}: IIN {m}" for m in TWELVE.findall(text) if _is_iin(m)]
        lowered = text.lower()
        found += [f"{fmt}: name {n!r}" for n in names if n in lowered]
    return found


def check_every_publisher() -> None:
    """publish_all(), then every registered publisher's current files are checked."""
    report = publish_all()
    assert report["failed_names"] == [], report
    names = _names()
    assert len(names) > 300
    problems = {}
    for publisher in open_datasets.publishers():
        version = DatasetVersion.objects.get(dataset__name=publisher.name, current=True)
        files = {r.format: bytes(r.content) for r in version.resources.all()}
        assert set(files) == {"CSV", "JSON"}, publisher.name
        leaks = leaks_in_files(version.schema, files, names)
        if leaks:
            problems[publisher.name] = leaks[:5]
    assert problems == {}


@pytest.fixture
def world(settings, tmp_path):
    population_generate(count=320, seed=15)
    catalog_loaded()
    people = list(Person.objects.order_by("iin")[:6])
    for person in people[:3]:  # real submissions by people of the registry, signed in
        user = User.objects.filter(iin=person.iin).first() or UserFactory(
            iin=person.iin, full_name=f"{person.last_name} {person.first_name}")
        submitted(user)
    author = citizen()
    for person in people:  # free text naming people and holding their IINs
        appeal_services.appeal_submit(
            actor=author, address="ул. Абая, 1", language="ru",
            text=f"Сосед {person.last_name} {person.first_name}, ИИН {person.iin}, шумит ночью")
    performance_world.build(seed=15, months=14, per_month=24)
    return people


def test_no_published_file_holds_a_small_count_an_iin_or_a_name(world):
    assert len(open_datasets.publishers()) >= 1
    check_every_publisher()


def _bad_publisher(leak: str, person: Person) -> Publisher:
    schema = {"fields": [{"name": "district", "type": "string"},
                         {"name": "n_appeals", "type": "integer"},
                         {"name": "note", "type": "string"}]}
    row = {"district": "Есиль", "n_appeals": 12, "note": ""}
    if leak == "small_count":
        row["n_appeals"] = 3
    elif leak == "iin":
        row["note"] = f"код {person.iin}"
    else:
        row["note"] = f"{person.last_name} {person.first_name}"
    return Publisher(name=f"leaky-{leak.replace('_', '-')}", organisation="",
                     title={"kk": "Ағып кету", "ru": "Утечка", "en": "Leak"},
                     description={"en": "A deliberately bad publisher"}, schema=schema,
                     rows=lambda: [row, {"district": "Алматы", "n_appeals": 40, "note": ""}])


@pytest.mark.parametrize("leak", ["small_count", "iin", "name"])
def test_a_leaking_publisher_fails_the_check(world, monkeypatch, leak):
    registry = dict(open_datasets._PUBLISHERS)
    monkeypatch.setattr(open_datasets, "_PUBLISHERS", registry)
    bad = open_datasets.register(_bad_publisher(leak, world[0]))
    with pytest.raises(AssertionError):
        check_every_publisher()
    # The file check alone catches it too, even if the publish-time guard were gone.
    rows = rows_typed(bad.schema, list(bad.rows()))
    leaks = leaks_in_files(dict(bad.schema), files_render(bad.schema, rows), _names())
    assert leaks, leak

"""The organisation chooser of triage and re-routing: which organisations answer appeals where.

Organisations carry no map of their own, so where each one works is learned from the appeals
it has been given: the districts they lay in and the pack's jurisdiction areas (St Petersburg of
the demo model, Kazakhstan) their points fell in — one GROUP BY, whatever the number of
organisations. The chooser then offers first the organisations that already answer appeals in
the appeal's district (or, without one, in its area), then every area's organisations, then the
rest; nothing is preselected, so a person must choose."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, CharField, Count, Q, Value, When
from django.utils.translation import gettext as _

from qyzmet.identity.selectors import organisation_list

from .config import appeals_pack
from .models import Appeal


@dataclass(frozen=True)
class Group:
    """One <optgroup>: its label and (code, name) options, names sorted for reading."""

    label: str
    options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Footprint:
    """Where organisations have answered appeals: appeals per (code, district) and per
    (code, area name)."""

    by_district: dict[tuple[str, str], int]
    by_area: dict[tuple[str, str], int]


def footprint() -> Footprint:
    """Appeals per organisation, district and jurisdiction area, in one query."""
    boxes = appeals_pack().jurisdiction
    area = Case(
        *[When(Q(lat__gte=b.south, lat__lte=b.north, lon__gte=b.west, lon__lte=b.east),
               then=Value(b.name)) for b in boxes],
        default=Value(""), output_field=CharField(),
    ) if boxes else Value("", output_field=CharField())
    rows = (Appeal.objects.filter(organisation_code__isnull=False)
            .annotate(area=area).values("organisation_code", "district", "area")
            .annotate(n=Count("id")).order_by())
    by_district: dict[tuple[str, str], int] = {}
    by_area: dict[tuple[str, str], int] = {}
    for row in rows:
        code = row["organisation_code"]
        if row["district"]:
            key = (code, row["district"])
            by_district[key] = by_district.get(key, 0) + row["n"]
        if row["area"]:
            key = (code, row["area"])
            by_area[key] = by_area.get(key, 0) + row["n"]
    return Footprint(by_district, by_area)


def appeal_area(appeal: Appeal, prints: Footprint) -> str | None:
    """The jurisdiction area of the appeal: of its point, else the area where appeals of its
    district were answered."""
    if appeal.lat is not None and appeal.lon is not None:
        for box in appeals_pack().jurisdiction:
            if box.contains(appeal.lat, appeal.lon):
                return box.name
    if appeal.district:
        codes = {code for code, district in prints.by_district if district == appeal.district}
        areas: dict[str, int] = {}
        for (code, name), n in prints.by_area.items():
            if code in codes:
                areas[name] = areas.get(name, 0) + n
        if areas:
            return max(areas.items(), key=lambda kv: kv[1])[0]
    return None


def organisations_for_appeals(*, lang: str) -> list[tuple[str, str]]:
    """Government organisations (not businesses) as (code, name in `lang`), by name."""
    return sorted(((o.code, o.name(lang)) for o in organisation_list(kind="agency")),
                  key=lambda item: item[1].casefold())


def route_groups(*, appeal: Appeal, organisations: list[tuple[str, str]], prints: Footprint,
                 lang: str) -> list[Group]:
    """The chooser's groups for one appeal: near this place, then per area, then the rest.
    Each organisation appears once."""
    names = dict(organisations)
    pack = appeals_pack()
    area = appeal_area(appeal, prints)
    if appeal.district:
        near_counts = {code: n for (code, d), n in prints.by_district.items()
                       if d == appeal.district and code in names}
    elif area:
        near_counts = {code: n for (code, a), n in prints.by_area.items()
                       if a == area and code in names}
    else:
        near_counts = {}
    near = sorted(near_counts, key=lambda code: (-near_counts[code], names[code].casefold()))
    groups = []
    if near:
        groups.append(Group(_("Near this place"), tuple((c, names[c]) for c in near)))
    placed = set(near)
    ordered_boxes = sorted(pack.jurisdiction, key=lambda b: b.name != area)
    for box in ordered_boxes:
        codes = [c for c, _n in organisations if c not in placed
                 and prints.by_area.get((c, box.name))]
        if codes:
            groups.append(Group(box.label(lang), tuple((c, names[c]) for c in codes)))
            placed.update(codes)
    rest = [(c, n) for c, n in organisations if c not in placed]
    if rest:
        groups.append(Group(_("Other organisations"), tuple(rest)))
    return groups

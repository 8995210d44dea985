"""The appeals maps: the base they are drawn on, the tile source, and finding a place by address.

The base is the country pack's district outlines (`countries/<cc>/appeals-districts.geojson`,
drawn from real appeal points by `scripts/appeals_district_outlines.py`: approximate, and said
to be so). It needs no internet, so a fresh install shows a usable map; a deployment that may
call a tile server sets `QYZMET_MAP_TILES_URL` and the outlines are drawn over its tiles. Map
pages then let that server's origin into the CSP's img-src, and no other page does.

Address search goes through the gazetteer (`appeals.gazetteer`): the houses and streets the
product learned from earlier appeals, and the pack's district names. Results carry a street,
a house number, a district and a point, never who wrote an appeal or how many did."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from qyzmet.core.middleware import CSP

from .config import DEFAULT_FILE, appeals_pack
from .gazetteer import address_parse, address_resolve, normalise
from .models import AddressPoint

SEARCH_LIMIT = 8  # results per query: a short list a person reads
QUERY_MAX = 200  # characters of a query that are looked at


def outlines_path() -> Path:
    """The outlines file beside the country's appeals pack."""
    pack_file = Path(getattr(settings, "QYZMET_APPEALS_FILE", DEFAULT_FILE))
    return pack_file.with_name("appeals-districts.geojson")


@lru_cache(maxsize=2)
def _outlines(path: str) -> dict[str, Any]:
    file = Path(path)
    if not file.exists():
        return {"type": "FeatureCollection", "features": []}
    return json.loads(file.read_text(encoding="utf-8"))


def outlines() -> dict[str, Any]:
    """The district outlines as a GeoJSON FeatureCollection (empty when the pack has none)."""
    return _outlines(str(outlines_path()))


def outlines_bytes() -> bytes:
    """The outlines as served to the browser: the file as it is (names in kk/ru/en inside)."""
    return json.dumps(outlines(), ensure_ascii=False, separators=(",", ":")).encode()


def _rings(feature: dict[str, Any]) -> list[list[list[list[float]]]]:
    """A feature's polygons, each [outer ring, holes...], Polygon or MultiPolygon alike."""
    geometry = feature.get("geometry") or {}
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def _ring_contains(ring: list[list[float]], lon: float, lat: float) -> bool:
    inside = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y0 > lat) != (y1 > lat) and lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def outline_district_at(lat: float, lon: float) -> str | None:
    """The district whose outline holds the point (approximate, as the outlines are)."""
    for feature in outlines().get("features", []):
        for polygon in _rings(feature):
            if _ring_contains(polygon[0], lon, lat) and not any(
                _ring_contains(hole, lon, lat) for hole in polygon[1:]
            ):
                return feature["properties"].get("district")
    return None


@lru_cache(maxsize=64)
def _district_centre(path: str, district: str) -> tuple[float, float] | None:
    """The centre of a district's largest outline (mean of its corners): where the map goes
    when a search names only the district."""
    for feature in _outlines(path).get("features", []):
        if feature["properties"].get("district") != district:
            continue
        polygons = sorted(_rings(feature), key=lambda p: len(p[0]), reverse=True)
        if polygons:
            ring = polygons[0][0]
            return (
                round(sum(p[1] for p in ring) / len(ring), 5),
                round(sum(p[0] for p in ring) / len(ring), 5),
            )
    return None


def outlines_extent() -> tuple[float, float, float, float] | None:
    """(west, east, south, north) of all outlines, or None when there are none."""
    lons, lats = [], []
    for feature in outlines().get("features", []):
        for polygon in _rings(feature):
            for lon, lat in polygon[0]:
                lons.append(lon)
                lats.append(lat)
    if not lons:
        return None
    return min(lons), max(lons), min(lats), max(lats)


def map_centre() -> tuple[float, float]:
    """Where a map with no point opens: the middle of the outlines, else of the first area
    the pack accepts appeals from (a country pack without outlines still opens on itself)."""
    extent = outlines_extent()
    if extent is not None:
        west, east, south, north = extent
        return round((south + north) / 2, 5), round((west + east) / 2, 5)
    box = appeals_pack().jurisdiction[0] if appeals_pack().jurisdiction else None
    if box is None:
        return 0.0, 0.0
    return round((box.south + box.north) / 2, 5), round((box.west + box.east) / 2, 5)


def map_context() -> dict[str, Any]:
    """What a page with a map passes to `appeals/_map.html`: tiles (or none) and the centre."""
    centre = map_centre()
    return {
        "map_tiles_url": tiles()["url"],
        "map_tiles_attribution": tiles()["attribution"],
        "map_centre_lat": centre[0],
        "map_centre_lon": centre[1],
    }


# --- tiles and the CSP --------------------------------------------------------------------------


def tiles() -> dict[str, str]:
    """The configured tile template and attribution ("" each when the outlines are the base)."""
    url = (getattr(settings, "QYZMET_MAP_TILES_URL", "") or "").strip()
    if url and urlsplit(url).scheme not in ("https", "http"):
        url = ""
    return {"url": url, "attribution": getattr(settings, "QYZMET_MAP_TILES_ATTRIBUTION", "")}


def _tile_origin(url: str) -> str:
    """The origin a tile template loads from; "{s}" sub-domains become a wildcard."""
    parts = urlsplit(url)
    host = parts.netloc.replace("{s}", "*")
    return f"{parts.scheme}://{host}"


def map_csp() -> str:
    """The site's CSP with the tile server let into img-src (unchanged when none is set)."""
    url = tiles()["url"]
    if not url:
        return CSP
    return CSP.replace("img-src 'self' data:", f"img-src 'self' data: {_tile_origin(url)}", 1)


def map_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For a view whose page shows a map: its CSP allows the configured tile server."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if tiles()["url"]:
            response.headers["Content-Security-Policy"] = map_csp()
        return response

    return wrapped


# --- address search -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceFound:
    """One search result: `label` is what the person reads; `kind` is "house", "street" or
    "district" (how precise the point is)."""

    label: str
    lat: float | None
    lon: float | None
    district: str | None
    district_label: str | None
    kind: str

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "lat": self.lat,
            "lon": self.lon,
            "district": self.district_label,
            "kind": self.kind,
        }


def _title(words: str) -> str:
    """A normalised street key as people write it ("мебельная" → "Мебельная")."""
    return " ".join(w[:1].upper() + w[1:] if not w[:1].isdigit() else w for w in words.split())


def _house_label(row: AddressPoint) -> str:
    parts = [f"{_title(row.street)}, {row.house}" if row.house else _title(row.street)]
    if row.locality:
        parts.append(row.locality)
    return ", ".join(parts)


def place_search(query: str, *, lang: str) -> list[PlaceFound]:
    """Places an address (or the start of one) may mean: the house the gazetteer knows for it,
    houses on streets starting so, then the district it names. Read-only, a few queries."""
    query = (query or "")[:QUERY_MAX]
    if len(normalise(query)) < 2:
        return []
    pack = appeals_pack()
    parsed = address_parse(query, pack=pack)
    found: list[PlaceFound] = []
    seen: set[tuple[float | None, float | None]] = set()

    def add(item: PlaceFound) -> None:
        key = (item.lat, item.lon) if item.lat is not None else (None, None)
        if item.lat is not None and key in seen:
            return
        seen.add(key)
        found.append(item)

    if parsed.street and parsed.house:
        place = address_resolve(query)
        if place.lat is not None and place.lon is not None:
            label = _title(parsed.street) + f", {parsed.house}"
            if parsed.locality:
                label += f", {parsed.locality}"
            add(PlaceFound(label, place.lat, place.lon, place.district,
                           pack.district_label(place.district, lang), "house"))  # fmt: skip
    if parsed.street:
        rows = AddressPoint.objects.filter(
            street__startswith=parsed.street, lat__isnull=False, lon__isnull=False
        ).exclude(house="")
        if parsed.house:
            rows = rows.filter(house__startswith=parsed.house)
        if parsed.locality:
            rows = rows.filter(locality__in=[parsed.locality, ""])
        for row in rows.order_by("-count", "street", "house")[: SEARCH_LIMIT * 2]:
            if len(found) >= SEARCH_LIMIT:
                break
            add(PlaceFound(_house_label(row), row.lat, row.lon, row.district,
                           pack.district_label(row.district, lang), "house"))  # fmt: skip
    if parsed.district and len(found) < SEARCH_LIMIT:
        centre = _district_centre(str(outlines_path()), parsed.district)
        add(PlaceFound(pack.district_label(parsed.district, lang) or parsed.district,
                       centre[0] if centre else None, centre[1] if centre else None,
                       parsed.district, pack.district_label(parsed.district, lang),
                       "district"))  # fmt: skip
    return found[:SEARCH_LIMIT]

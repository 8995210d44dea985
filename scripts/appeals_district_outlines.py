"""Approximate district outlines for the appeals map, derived from where real appeals were.

We have no official boundary files for the demo city, but we do have ~48,000 St Petersburg
appeals, each with a point and the district the city portal filed it under. This script draws
each district as the part of the city whose nearest appeals were mostly filed in that district:

1. a grid of cells (about 350 m) over the city; a cell counts only when an appeal lies within
   `REACH_M` of it (so water, forests and fields between the built-up areas stay empty);
2. each counted cell goes to the district most of its `K` nearest appeals belong to (a
   Voronoi-like partition by majority, so districts never overlap);
3. the cells of a district are traced into rings (outer rings counter-clockwise, holes
   clockwise), fragments smaller than `MIN_CELLS` are dropped, and each ring is simplified
   (Douglas–Peucker) to keep the file small.

The result is approximate on purpose (it says so in its properties): it is a base for the map
when no tile server is configured, not a legal boundary. Run once by a developer when the data
or the pack changes, and commit the output:

    .venv/bin/python scripts/appeals_district_outlines.py \
        --data ../shared/data/appeals-spb/appeals-train.jsonl.gz \
        --out src/qyzmet/countries/kz/appeals-districts.geojson

District names in kk/ru/en come from the country pack (`countries/kz/appeals.yaml`)."""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import math
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import yaml
from sklearn.neighbors import KDTree

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "src" / "qyzmet" / "countries" / "kz" / "appeals.yaml"
CELL_M = 350.0  # grid cell edge
REACH_M = 700.0  # a cell is part of the city when an appeal is this near its centre
K = 25  # neighbours that vote for a cell's district
MIN_CELLS = 6  # smaller fragments of a district are left out
SIMPLIFY_M = 260.0  # Douglas–Peucker tolerance
EARTH_M = 6_371_000.0
NOTE = {
    "en": "Approximate outline derived from the places of public appeals; not an official "
    "boundary.",
    "ru": "Приблизительная граница, построенная по местам обращений граждан; не официальная "
    "граница.",
    "kk": "Азаматтардың өтініштері берілген орындардан құрылған шамамен алынған шекара; "
    "ресми шекара емес.",
}


def load_points(path: Path) -> list[tuple[float, float, str]]:
    points = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            lat, lon, district = record.get("lat"), record.get("lon"), record.get("district")
            if lat is None or lon is None or not district:
                continue
            points.append((float(lat), float(lon), str(district)))
    return points


def _trace(cells: set[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Rings of grid corners around a set of cells: each cell side with no cell of the set
    beyond it is an edge, walked so the set is on the left (outer rings counter-clockwise)."""
    edges: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for i, j in cells:  # i: column (x), j: row (y)
        if (i, j - 1) not in cells:
            edges[(i, j)].append((i + 1, j))
        if (i + 1, j) not in cells:
            edges[(i + 1, j)].append((i + 1, j + 1))
        if (i, j + 1) not in cells:
            edges[(i + 1, j + 1)].append((i, j + 1))
        if (i - 1, j) not in cells:
            edges[(i, j + 1)].append((i, j))
    rings = []
    while edges:
        start = next(iter(edges))
        ring = [start]
        here = start
        while True:
            nexts = edges[here]
            there = nexts.pop()
            if not nexts:
                del edges[here]
            if there == start:
                break
            ring.append(there)
            here = there
        ring.append(start)
        rings.append(ring)
    return rings


def _area(ring: list[tuple[float, float]]) -> float:
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))


def _simplify(ring: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas–Peucker on a closed ring (split in two at its farthest point from the start)."""

    def dp(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        if len(points) < 3:
            return points
        (x0, y0), (x1, y1) = points[0], points[-1]
        dx, dy = x1 - x0, y1 - y0
        norm = math.hypot(dx, dy) or 1e-12
        best, at = -1.0, 0
        for k in range(1, len(points) - 1):
            x, y = points[k]
            d = abs(dy * (x - x0) - dx * (y - y0)) / norm
            if d > best:
                best, at = d, k
        if best <= tolerance:
            return [points[0], points[-1]]
        return dp(points[: at + 1])[:-1] + dp(points[at:])

    x0, y0 = ring[0]
    far = max(range(len(ring)), key=lambda k: math.hypot(ring[k][0] - x0, ring[k][1] - y0))
    out = dp(ring[: far + 1])[:-1] + dp(ring[far:])
    return out if len(out) >= 4 else ring


def _contains(ring: list[tuple[float, float]], x: float, y: float) -> bool:
    inside = False
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def outlines(points: list[tuple[float, float, str]]) -> dict[str, list[list[list[tuple]]]]:
    """{district: [polygon, ...]}, each polygon [outer ring, hole, ...] in projected metres."""
    lat0 = float(np.median([p[0] for p in points]))
    kx = math.cos(math.radians(lat0)) * math.pi / 180 * EARTH_M  # metres per degree of lon
    ky = math.pi / 180 * EARTH_M
    xy = np.array([(p[1] * kx, p[0] * ky) for p in points])
    labels = np.array([p[2] for p in points])
    tree = KDTree(xy)
    x_min, y_min = xy.min(axis=0) - REACH_M
    x_max, y_max = xy.max(axis=0) + REACH_M
    nx, ny = int((x_max - x_min) / CELL_M) + 1, int((y_max - y_min) / CELL_M) + 1
    ii, jj = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    centres = np.column_stack(
        [x_min + (ii.ravel() + 0.5) * CELL_M, y_min + (jj.ravel() + 0.5) * CELL_M]
    )
    near = tree.query_radius(centres, r=REACH_M, count_only=True) > 0
    centres, ii, jj = centres[near], ii.ravel()[near], jj.ravel()[near]
    _dist, idx = tree.query(centres, k=K)
    by_district: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for cell, neighbours in enumerate(idx):
        winner = Counter(labels[neighbours]).most_common(1)[0][0]
        by_district[str(winner)].add((int(ii[cell]), int(jj[cell])))

    def to_m(corner: tuple[int, int]) -> tuple[float, float]:
        return (x_min + corner[0] * CELL_M, y_min + corner[1] * CELL_M)

    result: dict[str, list[list[list[tuple]]]] = {}
    for district, cells in by_district.items():
        rings = [[to_m(c) for c in ring] for ring in _trace(cells)]
        outers = [r for r in rings if _area(r) > 0 and _area(r) >= MIN_CELLS * CELL_M**2]
        holes = [r for r in rings if _area(r) < 0 and -_area(r) >= MIN_CELLS * CELL_M**2]
        polygons = [[outer] for outer in sorted(outers, key=_area, reverse=True)]
        for hole in holes:
            for polygon in polygons:
                if _contains(polygon[0], *hole[0]):
                    polygon.append(hole)
                    break
        result[district] = [
            [[(x / kx, y / ky) for x, y in _simplify(ring, SIMPLIFY_M)] for ring in polygon]
            for polygon in polygons
        ]
    return result


def feature_collection(
    shapes: dict[str, list[list[list[tuple]]]], districts: list[dict], source: str
) -> dict:
    names = {d["name"]: d.get("names") or {} for d in districts}
    features = []
    for district in sorted(shapes):
        polygons = [
            [[[round(lon, 5), round(lat, 5)] for lon, lat in ring] for ring in polygon]
            for polygon in shapes[district]
        ]
        if not polygons:
            continue
        geometry = (
            {"type": "Polygon", "coordinates": polygons[0]}
            if len(polygons) == 1
            else {"type": "MultiPolygon", "coordinates": polygons}
        )
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "district": district,
                    "names": {
                        lang: names.get(district, {}).get(lang, district)
                        for lang in ("kk", "ru", "en")
                    },
                    "city": "Санкт-Петербург",
                    "approximate": True,
                },
                "geometry": geometry,
            }
        )
    return {
        "type": "FeatureCollection",
        "properties": {
            "approximate": True,
            "note": NOTE,
            "source": source,
            "generator": "scripts/appeals_district_outlines.py",
        },
        "features": features,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=ROOT.parent / "shared/data/appeals-spb/appeals-train.jsonl.gz"
    )
    parser.add_argument("--out", type=Path, default=PACK.parent / "appeals-districts.geojson")
    args = parser.parse_args()
    points = load_points(args.data)
    districts = yaml.safe_load(PACK.read_text(encoding="utf-8"))["districts"]
    collection = feature_collection(
        outlines(points),
        districts,
        source="Places of public St Petersburg appeals (Наш Санкт-Петербург, 2020–21), "
        f"{len(points)} points",
    )
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"{args.out}: {len(collection['features'])} districts, {len(text) // 1024} KB")


if __name__ == "__main__":
    main()

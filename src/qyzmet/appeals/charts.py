"""The analytics pictures (server-side matplotlib PNGs, cached for a few minutes): appeals per
week, per category, district and organisation, and the hot-spot map (hexbin of lat/lon)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.cache import cache

from qyzmet.ai.charts import _pyplot, png_bytes

CACHE_SECONDS = 300


def _cached(name: str, data: Any, draw) -> bytes:
    digest = hashlib.sha256(json.dumps(data, default=str).encode()).hexdigest()[:16]
    key = f"appeals:chart:{name}:{digest}"
    png = cache.get(key)
    if png is None:
        png = draw()
        cache.set(key, png, CACHE_SECONDS)
    return png


def bar_png(name: str, rows: list[tuple[str, int]], title: str) -> bytes:
    rows = rows[:20]

    def draw() -> bytes:
        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(8, max(2.5, 0.35 * len(rows) + 1)))
        labels = [str(label)[:40] for label, _ in rows][::-1]
        ax.barh(labels, [n for _, n in rows][::-1], color="#1d70b8")
        ax.set_title(title)
        ax.set_xlabel("appeals")
        return png_bytes(fig)

    return _cached(name, rows, draw)


def weekly_png(rows: list[tuple[Any, int]], title: str) -> bytes:
    def draw() -> bytes:
        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(8, 3))
        ax.plot([str(d) for d, _ in rows], [n for _, n in rows], marker="o", color="#1d70b8")
        ax.set_title(title)
        ax.set_ylabel("appeals per week")
        ax.tick_params(axis="x", rotation=45, labelsize=7)
        return png_bytes(fig)

    return _cached("weekly", rows, draw)


def hotspots_png(points: list[tuple[float, float]], title: str) -> bytes:
    def draw() -> bytes:
        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(7, 6))
        if points:
            lats = [p[0] for p in points]
            lons = [p[1] for p in points]
            if len(points) >= 30:
                hb = ax.hexbin(lons, lats, gridsize=30, cmap="YlOrRd", mincnt=1)
                fig.colorbar(hb, ax=ax, label="appeals")
            else:
                ax.scatter(lons, lats, s=18, color="#d4351c", alpha=0.7)
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
        ax.set_title(title)
        return png_bytes(fig)

    return _cached("hotspots", points, draw)


def hotspots_alt(points: list[tuple[float, float]]) -> str:
    """Words for people who cannot see the map: where most appeals are."""
    if not points:
        return "No appeals with coordinates yet."
    cells: dict[tuple[float, float], int] = {}
    for lat, lon in points:
        key = (round(lat, 2), round(lon, 2))
        cells[key] = cells.get(key, 0) + 1
    top = sorted(cells.items(), key=lambda kv: -kv[1])[:3]
    spots = "; ".join(f"{n} near {lat:.2f}, {lon:.2f}" for (lat, lon), n in top)
    return f"Map of {len(points)} appeals by place. Busiest spots: {spots}."

"""The analytics pictures.

Over time (`over_time_charts`): appeals per week for the largest categories, districts and
organisations (each chart its top values and one line for the rest) and the weekly deadline
compliance, drawn as inline SVG on the server: `role="img"` with a `<title>` and a `<desc>` that
says what the chart shows and its largest value, lines told apart by dash pattern as well as
colour (Okabe–Ito palette), and the same numbers as a table beside each picture.

Totals (server-side matplotlib PNGs, cached for a few minutes): per week, per category, district
and organisation, and the hot-spot map (hexbin of lat/lon) with words for its alt text."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from qyzmet.ai.charts import _pyplot, png_bytes

from .selectors import OTHER

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
        ax.set_xlabel(xlabel)
        return png_bytes(fig)

    xlabel = _("Appeals")
    return _cached(name, [title, xlabel, rows], draw)


def weekly_png(rows: list[tuple[Any, int]], title: str) -> bytes:
    def draw() -> bytes:
        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(8, 3))
        ax.plot([str(d) for d, _ in rows], [n for _, n in rows], marker="o", color="#1d70b8")
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.tick_params(axis="x", rotation=45, labelsize=7)
        return png_bytes(fig)

    ylabel = _("Appeals per week")
    return _cached("weekly", [title, ylabel, rows], draw)


# The share of points at each edge the map may leave out: one appeal from another city must not
# shrink the city where the appeals are to a single cell. The alt text still counts them all.
HOTSPOTS_TRIM = 0.01


def hotspots_extent(points: Sequence[tuple[float, float]]) -> tuple[float, float, float, float]:
    """(west, east, south, north) of the map: from the 1st to the 99th percentile of longitude
    and latitude (every point while there are fewer than 100), with a small margin."""
    lats = sorted(p[0] for p in points)
    lons = sorted(p[1] for p in points)
    k = int(len(points) * HOTSPOTS_TRIM)
    south, north, west, east = lats[k], lats[-1 - k], lons[k], lons[-1 - k]
    dlat = max((north - south) * 0.05, 0.005)
    dlon = max((east - west) * 0.05, 0.005)
    return west - dlon, east + dlon, south - dlat, north + dlat


def _outline_rings() -> list[list[tuple[float, float]]]:
    """Every ring of the district outlines (the maps' base), as (lon, lat) lists."""
    from .maps import outlines  # late: maps imports the gazetteer, charts is imported early

    rings = []
    for feature in outlines().get("features", []):
        geometry = feature.get("geometry") or {}
        polygons = (
            [geometry.get("coordinates", [])]
            if geometry.get("type") == "Polygon"
            else geometry.get("coordinates", [])
        )
        for polygon in polygons:
            rings.extend([[(float(x), float(y)) for x, y in ring] for ring in polygon])
    return rings


def hotspots_png(points: list[tuple[float, float]], title: str) -> bytes:
    """The hexbin of appeal points drawn over the district outlines (the same base as the
    appeals maps), with axis and scale labels in the active language. Degrees are drawn at
    the city's true proportions (a degree of longitude is shorter than one of latitude)."""
    labels = [_("Longitude"), _("Latitude"), _("Appeals")]

    def draw() -> bytes:
        from matplotlib.patches import Polygon as PolygonPatch

        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(7, 6))
        if points:
            west, east, south, north = hotspots_extent(points)
            for ring in _outline_rings():
                xs = [x for x, _y in ring]
                ys = [y for _x, y in ring]
                if max(xs) < west or min(xs) > east or max(ys) < south or min(ys) > north:
                    continue
                ax.add_patch(
                    PolygonPatch(
                        ring, closed=True, facecolor="#f3f2f1", edgecolor="#505a5f",
                        linewidth=0.6, zorder=1,
                    )
                )  # fmt: skip
            shown = [
                (lat, lon) for lat, lon in points if south <= lat <= north and west <= lon <= east
            ]
            lats = [p[0] for p in shown]
            lons = [p[1] for p in shown]
            if len(shown) >= 30:
                hb = ax.hexbin(
                    lons,
                    lats,
                    gridsize=30,
                    cmap="YlOrRd",
                    mincnt=1,
                    extent=(west, east, south, north),
                    alpha=0.85,
                    zorder=2,
                )
                fig.colorbar(hb, ax=ax, label=labels[2])
            else:
                ax.scatter(lons, lats, s=18, color="#d4351c", alpha=0.7, zorder=2)
            ax.set_xlim(west, east)
            ax.set_ylim(south, north)
            ax.set_aspect(1 / max(math.cos(math.radians((south + north) / 2)), 0.1))
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
        ax.set_title(title)
        return png_bytes(fig)

    return _cached("hotspots", [title, labels, points], draw)


def hotspots_alt(points: list[tuple[float, float]]) -> str:
    """Words for people who cannot see the map: where most appeals are."""
    if not points:
        return _("No appeals with coordinates in this period.")
    cells: dict[tuple[float, float], int] = {}
    for lat, lon in points:
        key = (round(lat, 2), round(lon, 2))
        cells[key] = cells.get(key, 0) + 1
    top = sorted(cells.items(), key=lambda kv: -kv[1])[:3]
    spots = "; ".join(
        _("%(n)d near %(lat).2f, %(lon).2f") % {"n": n, "lat": lat, "lon": lon}
        for (lat, lon), n in top
    )
    return _("Map of %(count)d appeals by place. Busiest spots: %(spots)s.") % {
        "count": len(points),
        "spots": spots,
    }


# --- over time: inline SVG ---------------------------------------------------------------------

# Okabe–Ito: told apart by people with the common colour-vision deficiencies; "other" is grey.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
OTHER_COLOUR = "#6F777B"
DASHES = ("", "8 4", "2 3", "10 3 2 3", "4 4", "12 4 2 4 2 4", "1 2")
WIDTH, PLOT_HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 12, 36
LEGEND_ROW, LEGEND_COLUMN = 22, 232
MARKERS_UP_TO_WEEKS = 30


@dataclass(frozen=True)
class Line:
    label: str
    values: list[float | None]
    other: bool = False


@dataclass(frozen=True)
class SeriesChart:
    """A chart for the template: the SVG, and the same numbers as a table."""

    id: str
    title: str
    svg: SafeString
    columns: list[str]
    rows: list[tuple[str, list[str]]]


def _nice_max(value: float) -> tuple[float, float]:
    """(axis maximum, tick step) with steps of 1, 2 or 5 × 10^k and about four ticks."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(step, 1.0)
    return step * math.ceil(value / step), step


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def line_chart_svg(
    *,
    chart_id: str,
    title: str,
    desc: str,
    weeks: Sequence[dt.date],
    lines: Sequence[Line],
    percent: bool = False,
    empty: str = "",
) -> SafeString:
    """A line per series over the weeks, built with ElementTree (every text escaped)."""
    legend_rows = math.ceil(len(lines) / max(1, (WIDTH - LEFT) // LEGEND_COLUMN)) if lines else 0
    height = TOP + PLOT_HEIGHT + BOTTOM + legend_rows * LEGEND_ROW + 4
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {WIDTH} {height}",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "class": "chart",
            "width": "100%",
            "preserveAspectRatio": "xMinYMin meet",
            "font-family": "sans-serif",
            "font-size": "11",
        },
    )
    ET.SubElement(svg, "title", {"id": f"{chart_id}-title"}).text = title
    ET.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = desc
    plot_w = WIDTH - LEFT - RIGHT
    bottom = TOP + PLOT_HEIGHT
    known = [v for line in lines for v in line.values if v is not None]
    if not weeks or not known:
        ET.SubElement(
            svg, "text", {"x": str(LEFT), "y": str(TOP + PLOT_HEIGHT // 2), "fill": "#0b0c0c"}
        ).text = empty
        return mark_safe(ET.tostring(svg, encoding="unicode"))  # noqa: S308 (ElementTree escapes)
    y_max, step = (100.0, 25.0) if percent else _nice_max(max(known))
    axes = ET.SubElement(svg, "g", {"aria-hidden": "true"})
    tick = 0.0
    while tick <= y_max + 1e-9:
        y = bottom - tick / y_max * PLOT_HEIGHT
        ET.SubElement(
            axes,
            "line",
            {
                "x1": str(LEFT),
                "x2": str(WIDTH - RIGHT),
                "y1": f"{y:.1f}",
                "y2": f"{y:.1f}",
                "stroke": "#dddddd" if tick else "#0b0c0c",
            },
        )
        ET.SubElement(
            axes,
            "text",
            {"x": str(LEFT - 6), "y": f"{y + 4:.1f}", "text-anchor": "end", "fill": "#0b0c0c"},
        ).text = f"{_number(tick)}%" if percent else _number(tick)
        tick += step

    def x_at(i: int) -> float:
        return LEFT + (plot_w / 2 if len(weeks) == 1 else i * plot_w / (len(weeks) - 1))

    every = max(1, math.ceil(len(weeks) / 8))
    for i, week in enumerate(weeks):
        if i % every == 0 or (i == len(weeks) - 1 and len(weeks) <= 8):
            ET.SubElement(
                axes,
                "text",
                {
                    "x": f"{x_at(i):.1f}",
                    "y": str(bottom + 16),
                    "text-anchor": "middle",
                    "fill": "#0b0c0c",
                },
            ).text = week.strftime("%d.%m.%y")
    for n, line in enumerate(lines):
        colour = OTHER_COLOUR if line.other else PALETTE[n % len(PALETTE)]
        dash = "1 3" if line.other else DASHES[n % len(DASHES)]
        group = ET.SubElement(svg, "g", {"stroke": colour, "fill": "none"})
        ET.SubElement(group, "title").text = line.label
        segment: list[str] = []
        segments = [segment]
        for i, value in enumerate(line.values):
            if value is None:
                segment = []
                segments.append(segment)
                continue
            segment.append(f"{x_at(i):.1f},{bottom - value / y_max * PLOT_HEIGHT:.1f}")
        for points in segments:
            if len(points) > 1:
                attrs = {"points": " ".join(points), "stroke-width": "2"}
                if dash:
                    attrs["stroke-dasharray"] = dash
                ET.SubElement(group, "polyline", attrs)
        if len(weeks) <= MARKERS_UP_TO_WEEKS or any(len(p) == 1 for p in segments):
            for i, value in enumerate(line.values):
                if value is None:
                    continue
                dot = ET.SubElement(
                    group,
                    "circle",
                    {
                        "cx": f"{x_at(i):.1f}",
                        "cy": f"{bottom - value / y_max * PLOT_HEIGHT:.1f}",
                        "r": "2.5",
                        "fill": colour,
                    },
                )
                ET.SubElement(dot, "title").text = f"{line.label}, {weeks[i]:%d.%m.%Y}: " + (
                    f"{_number(value)}%" if percent else _number(value)
                )
    per_row = max(1, (WIDTH - LEFT) // LEGEND_COLUMN)
    legend = ET.SubElement(svg, "g", {"aria-hidden": "true"})
    for n, line in enumerate(lines):
        colour = OTHER_COLOUR if line.other else PALETTE[n % len(PALETTE)]
        dash = "1 3" if line.other else DASHES[n % len(DASHES)]
        x = LEFT + (n % per_row) * LEGEND_COLUMN
        y = bottom + BOTTOM + (n // per_row) * LEGEND_ROW
        attrs = {
            "x1": str(x),
            "x2": str(x + 28),
            "y1": str(y),
            "y2": str(y),
            "stroke": colour,
            "stroke-width": "3",
        }
        if dash:
            attrs["stroke-dasharray"] = dash
        ET.SubElement(legend, "line", attrs)
        label = line.label if len(line.label) <= 32 else line.label[:31] + "…"
        ET.SubElement(
            legend, "text", {"x": str(x + 34), "y": str(y + 4), "fill": "#0b0c0c"}
        ).text = label
    return mark_safe(ET.tostring(svg, encoding="unicode"))  # noqa: S308 (ElementTree escapes)


def _table(
    weeks: Sequence[dt.date], lines: Sequence[Line], percent: bool
) -> tuple[list[str], list[tuple[str, list[str]]]]:
    columns = [line.label for line in lines]
    rows = []
    for i, week in enumerate(weeks):
        cells = []
        for line in lines:
            value = line.values[i]
            cells.append(
                "—" if value is None else (f"{_number(value)}%" if percent else _number(value))
            )
        rows.append((week.strftime("%d.%m.%Y"), cells))
    return columns, rows


def _span(weeks: Sequence[dt.date]) -> dict[str, str]:
    return {
        "first": weeks[0].strftime("%d.%m.%Y") if weeks else "",
        "last": weeks[-1].strftime("%d.%m.%Y") if weeks else "",
    }


def over_time_charts(
    data: dict[str, Any], *, label: Callable[[str, Any], str]
) -> list[SeriesChart]:
    """The four over-time charts of the analytics page from `selectors.analytics` output.
    `label(dimension, key)` names a category, district or organisation for people."""
    weeks: list[dt.date] = data["weeks"]
    titles = {
        "category": _("Appeals per week by category"),
        "district": _("Appeals per week by district"),
        "organisation": _("Appeals per week by organisation"),
    }
    openings = {
        "category": _(
            "Line chart of the number of appeals per week from %(first)s to %(last)s, "
            "a line for each of the %(n)d largest categories."
        ),
        "district": _(
            "Line chart of the number of appeals per week from %(first)s to %(last)s, "
            "a line for each of the %(n)d largest districts."
        ),
        "organisation": _(
            "Line chart of the number of appeals per week from %(first)s to "
            "%(last)s, a line for each of the %(n)d largest organisations."
        ),
    }
    charts = []
    for dimension, title in titles.items():
        series = data["series"][dimension]
        lines = []
        for key in series["keys"]:
            other = key == OTHER
            name = _("All others") if other else (label(dimension, key) if key else _("Not set"))
            lines.append(Line(name, [float(v) for v in series["values"][key]], other))
        has_other = series["keys"][-1:] == [OTHER]
        sentences = [
            openings[dimension] % {**_span(weeks), "n": len(lines) - (1 if has_other else 0)}
        ]
        if has_other:
            sentences.append(_("One more line sums up all the others."))
        if series["totals"]:
            key, count = series["totals"][0]
            sentences.append(
                _("The largest is %(name)s with %(count)d appeals in the period.")
                % {"name": label(dimension, key) if key else _("Not set"), "count": count}
            )
        sentences.append(_("The numbers are in the table after the chart."))
        desc = " ".join(sentences)
        chart_id = f"chart-{dimension}"
        columns, rows = _table(weeks, lines, percent=False)
        charts.append(
            SeriesChart(
                chart_id,
                title,
                line_chart_svg(
                    chart_id=chart_id,
                    title=title,
                    desc=desc,
                    weeks=weeks,
                    lines=lines,
                    empty=_("No appeals in this period."),
                ),
                columns,
                rows,
            )
        )
    answered = [n for _w, n, _o in data["compliance_weekly"]]
    shares = [None if n == 0 else round(100 * o / n, 1) for _w, n, o in data["compliance_weekly"]]
    title = _("Deadline compliance per week")
    overall = data["compliance"]
    desc = _(
        "Line chart of the share of appeals answered on time, by the week of the answer, "
        "from %(first)s to %(last)s; weeks without answers are gaps."
    ) % _span(weeks)
    if overall is not None:
        desc += " " + _("Over the whole period %(pct)d%% of %(n)d answers were on time.") % {
            "pct": round(100 * overall),
            "n": data["answered"],
        }
    line = Line(_("Answered on time"), shares)
    columns, rows = _table(weeks, [line], percent=True)
    columns.append(_("Answered"))
    rows = [(week, [*cells, str(answered[i])]) for i, (week, cells) in enumerate(rows)]
    charts.append(
        SeriesChart(
            "chart-compliance",
            title,
            line_chart_svg(
                chart_id="chart-compliance",
                title=title,
                desc=desc,
                weeks=weeks,
                lines=[line],
                percent=True,
                empty=_("No appeals were answered in this period."),
            ),
            columns,
            rows,
        )
    )
    return charts

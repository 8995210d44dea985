"""Budget pictures drawn on the server with matplotlib (no JavaScript), cached a few minutes by
what they show and the reader's language: the programmes of one agency-year as grouped bars
(planned, adjusted, executed), and one programme over the years. The table on each page is the
picture's text alternative. Bars are told apart by hatching as well as colour."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from django.core.cache import cache
from django.utils.translation import gettext as _

from qyzmet.ai.charts import _pyplot, png_bytes

from . import labels
from .selectors import ProgrammeHistory, Totals, YearDetail

CACHE_SECONDS = 300
COLOURS = {"planned": "#0072B2", "adjusted": "#E69F00", "executed": "#009E73"}
HATCHES = {"planned": "", "adjusted": "//", "executed": ".."}


def _cached(name: str, data: object, draw) -> bytes:
    digest = hashlib.sha256(json.dumps(data, default=str).encode()).hexdigest()[:20]
    key = f"budgets:chart:{name}:{labels.lang()}:{digest}"
    png = cache.get(key)
    if png is None:
        png = draw()
        cache.set(key, png, CACHE_SECONDS)
    return png


def _millions(tiyn: int | None) -> float:
    # Only for drawing bar lengths; every number a person reads comes from labels.millions.
    return float(Decimal(tiyn or 0) / labels.TIYN_PER_MILLION)


def _grouped_bars(title: str, groups: list[tuple[str, Totals]], name: str, key: object) -> bytes:
    series = [("planned", _("Planned")), ("adjusted", _("Adjusted")), ("executed", _("Executed"))]
    xlabel = _("Million tenge")

    def draw() -> bytes:
        plt = _pyplot()
        from matplotlib.ticker import FuncFormatter

        height = max(2.8, 0.75 * len(groups) + 1.4)
        fig, ax = plt.subplots(figsize=(8.5, height))
        bar = 0.26
        for i, (phase, label) in enumerate(series):
            values = [_millions(getattr(t, phase)) for _g, t in groups]
            positions = [n + (i - 1) * bar for n in range(len(groups))]  # planned on top
            ax.barh(positions, values, height=bar, label=label, color=COLOURS[phase],
                    hatch=HATCHES[phase], edgecolor="#0b0c0c", linewidth=0.3)  # fmt: skip
        ax.set_yticks(range(len(groups)))
        ax.set_yticklabels([g if len(g) <= 48 else g[:47] + "…" for g, _t in groups], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.set_title(title, fontsize=10)
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda x, _pos: f"{x:,.0f}".replace(",", "\u00a0"))
        )
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8)
        ax.grid(axis="x", color="#dddddd")
        ax.set_axisbelow(True)
        return png_bytes(fig)

    return _cached(name, [title, xlabel, key, [(g, vars(t)) for g, t in groups]], draw)


def year_png(detail: YearDetail) -> bytes:
    groups = [(labels.name(p.names), p.totals) for p in detail.programmes]
    title = _("Budget programmes in %(year)s, million tenge") % {"year": detail.fiscal_year}
    return _grouped_bars(title, groups, "year", detail.version.id)


def programme_png(history: ProgrammeHistory) -> bytes:
    groups = [(str(year), totals) for year, _v, totals in history.years]
    title = labels.name(history.names)
    return _grouped_bars(title, groups, "programme", [v.id for _y, v, _t in history.years])

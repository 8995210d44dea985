"""Revenue pictures for the finance desk, drawn on the server with matplotlib (no JavaScript):
net fees received per month, one line per agency or service (the largest six, the rest as one
"others" line). Cached a few minutes by the figures and the language. The page shows the same
figures as a table (the picture's text alternative); lines differ by marker and dash as well as
colour."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from django.core.cache import cache
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from qyzmet.ai.charts import _pyplot, png_bytes
from qyzmet.payments.finance import Revenue
from qyzmet.ui.titles import current_lang

CACHE_SECONDS = 300
TOP = 6
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#0b0c0c")
MARKERS = ("o", "s", "^", "D", "v", "P", "x")
DASHES = ("-", "--", "-.", ":", "-", "--", ":")


def month_label(month) -> str:
    return date_format(month, "M Y")


def top_series(revenue: Revenue, names: dict[str, str]) -> list[tuple[str, tuple[int, ...]]]:
    """(label, values) of the largest `TOP` series and one line of the rest."""
    keys = list(revenue.series)
    shown = [(names.get(k) or k, revenue.series[k]) for k in keys[:TOP]]
    rest = keys[TOP:]
    if rest:
        summed = tuple(sum(revenue.series[k][i] for k in rest) for i in range(len(revenue.months)))
        shown.append((_("All others"), summed))
    return shown


def _thousands(tiyn: int) -> float:
    # Only the line's height; every number a person reads is in the table, exact in tiyn.
    return float(Decimal(tiyn) / Decimal(100_000))


def revenue_png(revenue: Revenue, names: dict[str, str], *, title: str) -> bytes:
    series = top_series(revenue, names)
    labels = [month_label(m) for m in revenue.months]
    ylabel = _("Thousand tenge")
    data = [title, ylabel, labels, series, current_lang()]
    digest = hashlib.sha256(json.dumps(data, default=str).encode()).hexdigest()[:24]
    key = f"payments:revenue:png:{digest}"
    png = cache.get(key)
    if png is not None:
        return png
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 3.8))
    xs = list(range(len(labels)))
    for i, (label, values) in enumerate(series):
        short = label if len(label) <= 40 else label[:39] + "…"
        ax.plot(xs, [_thousands(v) for v in values], label=short, color=COLOURS[i % 7],
                marker=MARKERS[i % 7], linestyle=DASHES[i % 7], linewidth=1.6)  # fmt: skip
    ax.set_xticks(xs, labels, rotation=45, fontsize=7, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", color="#dddddd")
    if series:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=2, fontsize=7)
    png = png_bytes(fig)
    cache.set(key, png, CACHE_SECONDS)
    return png

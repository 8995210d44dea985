"""The performance page's pictures: one agency's figures over months as server-side matplotlib
PNGs (no JavaScript), cached by the data version, so a picture is drawn once per published
version, period, agency, language and kind. Each picture has the same numbers as a table beside
it on the page; the PNG's alt text says what it shows and its largest value."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.cache import cache

from qyzmet.ai.charts import _pyplot, png_bytes

TTL = 24 * 3600
BLUE = "#1d70b8"


def line_png(
    key: str, labels: Sequence[str], values: Sequence[float | None], *, title: str, ylabel: str,
    bars: bool = False, ymax: float | None = None,
) -> bytes:
    """A bar or line chart of `values` per label (None: no point), cached under `key`."""
    cache_key = f"opendata:performance:png:{key}"
    png = cache.get(cache_key)
    if png is not None:
        return png
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3))
    xs = list(range(len(labels)))
    if bars:
        ax.bar(xs, [v or 0 for v in values], color=BLUE)
    else:
        points = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
        ax.plot([x for x, _v in points], [v for _x, v in points], marker="o", color=BLUE)
    ax.set_xticks(xs, list(labels), rotation=45, fontsize=7)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0, top=ymax)
    ax.grid(axis="y", color="#ddd")
    png = png_bytes(fig)
    cache.set(cache_key, png, TTL)
    return png

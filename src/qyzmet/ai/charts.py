"""Pictures of a model's quality, drawn on the server with matplotlib (no JavaScript), cached
by model version (and language) because a version never changes."""

from __future__ import annotations

import io
from typing import Any

from django.core.cache import cache
from django.utils.translation import get_language, gettext


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def png_bytes(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    _pyplot().close(fig)
    return buffer.getvalue()


def confusion_matrix_of(metadata: dict[str, Any]) -> tuple[list[str], list[list[float]]] | None:
    """(labels, rows) from model metadata, whichever of the usual shapes it uses: a dict with
    `labels` and `matrix` (or `rows`), or a dict of dicts {true: {predicted: count}}."""
    raw = metadata.get("confusion_matrix")
    if raw is None:
        raw = (metadata.get("metrics") or {}).get("confusion_matrix")
    if isinstance(raw, dict) and ("matrix" in raw or "rows" in raw):
        labels = [str(x) for x in raw.get("labels") or []]
        matrix = [[float(v) for v in row] for row in raw.get("matrix") or raw.get("rows") or []]
        if labels and len(labels) == len(matrix):
            return labels, matrix
        return None
    if isinstance(raw, dict) and raw and all(isinstance(v, dict) for v in raw.values()):
        labels = sorted(set(raw) | {p for row in raw.values() for p in row})
        return labels, [[float(raw.get(t, {}).get(p, 0)) for p in labels] for t in labels]
    return None


def confusion_matrix_png(*, version_id: int, metadata: dict[str, Any]) -> bytes | None:
    """A heat map of true (rows) against predicted (columns) categories, each row as shares."""
    # Drawn in the page's language (the axis titles), so cached per language.
    key = f"ai:cm:{version_id}:{get_language() or 'kk'}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    found = confusion_matrix_of(metadata)
    if found is None:
        return None
    labels, matrix = found
    plt = _pyplot()
    shares = []
    for row in matrix:
        total = sum(row) or 1.0
        shares.append([v / total for v in row])
    size = max(5.0, 0.45 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    short = [label if len(label) <= 28 else label[:26] + "…" for label in labels]
    ax.set_xticks(range(len(labels)), short, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), short, fontsize=8)
    ax.set_xlabel(gettext("predicted category"))
    ax.set_ylabel(gettext("true category"))
    for i, row in enumerate(shares):
        for j, value in enumerate(row):
            if value >= 0.01:
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=6,
                        color="white" if value > 0.5 else "black")
    fig.colorbar(image, ax=ax, fraction=0.04, label=gettext("share of the true category"))
    png = png_bytes(fig)
    cache.set(key, png, 24 * 3600)
    return png

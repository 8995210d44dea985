"""Is a new appeal about a problem someone already reported? Same place (within a distance),
recent (within a window of days) and similar words (cosine of character-trigram counts, which
copes with typos and Russian/Kazakh word endings better than whole words do)."""

from __future__ import annotations

import math
import re
from collections import Counter

EARTH_RADIUS_M = 6_371_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _trigrams(text: str) -> Counter:
    words = re.findall(r"\w+", text.lower())
    grams: Counter = Counter()
    for word in words:
        padded = f" {word} "
        grams.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(a: str, b: str) -> float:
    """Cosine similarity of character-trigram counts, 0..1."""
    ga, gb = _trigrams(a), _trigrams(b)
    if not ga or not gb:
        return 0.0
    dot = sum(count * gb[g] for g, count in ga.items() if g in gb)
    norm = math.sqrt(sum(v * v for v in ga.values())) * math.sqrt(sum(v * v for v in gb.values()))
    return dot / norm if norm else 0.0


def degrees_box(lat: float, metres: float) -> tuple[float, float]:
    """Half-sizes (dlat, dlon) in degrees of a square of `metres` around a latitude, to narrow
    the database query before the exact distance."""
    dlat = metres / 111_320.0
    dlon = metres / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
    return dlat, dlon

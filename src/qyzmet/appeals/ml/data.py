"""Reading appeal records and reducing them to the fields a prediction may use."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

FEATURE_FIELDS = ("text", "created", "district", "lat", "lon", "address")
LABEL_FIELDS = ("category", "reason", "responsible_org")


def read_jsonl(path: Path) -> Iterator[dict]:
    """One dict per non-empty line of a `.jsonl` or `.jsonl.gz` file."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                yield json.loads(line)


def features_only(record: dict) -> dict:
    """The record with everything but FEATURE_FIELDS removed: the model never sees labels."""
    return {key: record.get(key) for key in FEATURE_FIELDS}


def fingerprint(records: Iterable[dict]) -> str:
    """sha256 over the canonical JSON of the records, in order: names the training data."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def as_float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None

"""A ~3,000-appeal sample of the real St Petersburg file and one model trained on it, shared by
the module's tests so the suite stays fast. Skipped when the shared data is not beside the repo."""

from __future__ import annotations

import gzip
import json
import os
import random
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = Path(
    os.environ.get("QYZMET_APPEALS_DATA")
    or REPO.parent / "shared" / "data" / "appeals-spb" / "appeals-train.jsonl.gz"
)

needs_data = pytest.mark.skipif(not DATA.is_file(), reason=f"{DATA} is not present")


@pytest.fixture(scope="session")
def sample() -> list[dict]:
    from qyzmet.appeals.ml import read_jsonl

    rows = list(read_jsonl(DATA))
    return random.Random(7).sample(rows, 3000)


@pytest.fixture(scope="session")
def trained(sample, tmp_path_factory) -> tuple[Path, dict, list[dict]]:
    """(model dir, metadata, unseen test rows): trained on 2,600 rows, 400 kept apart."""
    from qyzmet.appeals.ml import train

    out = tmp_path_factory.mktemp("model") / "m"
    metadata = train(sample[:2600], out_dir=out, seed=0)
    return out, metadata, sample[2600:]


@pytest.fixture
def sample_file(sample, tmp_path) -> Path:
    path = tmp_path / "sample.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for row in sample[2600:2800]:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path

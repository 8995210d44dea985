"""The performance datasets and the evaluation method: rows per group with small cells
suppressed, no personal data, the figures defined over the published rows."""

from __future__ import annotations

import time

import pytest

from qyzmet.core import open_datasets
from qyzmet.opendata import performance
from qyzmet.opendata import performance_datasets as pd
from qyzmet.opendata.services import dataset_publish
from tests.opendata import performance_world

pytestmark = pytest.mark.django_db


def publish_performance() -> dict[str, list[dict]]:
    """Publish the evaluation's datasets through the real service; returns the rows given."""
    rows_by = {}
    for publisher in open_datasets.publishers():
        if publisher.name not in pd.DATASETS:
            continue
        rows = list(publisher.rows())
        dataset_publish(name=publisher.name, organisation=publisher.organisation,
                        origin="platform", title=publisher.title,
                        description=publisher.description, schema=publisher.schema, rows=rows,
                        tags=publisher.tags)  # fmt: skip
        rows_by[publisher.name] = rows
    return rows_by


def test_smoke_publish_and_evaluate():
    world = performance_world.build()
    t = time.monotonic()
    rows = publish_performance()
    print("publish", time.monotonic() - t, {k: len(v) for k, v in rows.items()})
    months = performance.last_months(world["today"])
    live = performance.evaluate(rows, months)
    published = performance.evaluate(performance.published_rows(), months)
    assert live.keys() == published.keys() == set(world["codes"])
    for code in live:
        assert live[code].total == published[code].total, code
    print(live["perf-justice"].total)

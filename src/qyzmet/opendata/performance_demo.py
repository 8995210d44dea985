"""The demo's agency performance: publish the evaluation's datasets from whatever the demo
holds (its cases and its past appeals). Idempotent: an unchanged dataset gets no new version."""

from __future__ import annotations

from qyzmet.core import open_datasets

from .models import Dataset
from .performance_datasets import DATASETS
from .services import dataset_publish


def performance_demo_ensure() -> int:
    """Publish every performance dataset; returns how many got a new version."""
    published = 0
    for publisher in open_datasets.publishers():
        if publisher.name not in DATASETS:
            continue
        version = dataset_publish(
            name=publisher.name, organisation=publisher.organisation,
            origin=Dataset.Origin.PLATFORM, title=publisher.title,
            description=publisher.description, schema=publisher.schema,
            rows=list(publisher.rows()), tags=publisher.tags, frequency=publisher.frequency,
            theme=publisher.theme,
        )  # fmt: skip
        published += version is not None
    return published

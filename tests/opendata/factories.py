"""Open datasets for tests, published through the real service (`dataset_publish`), so every
test sees what the platform stores: files, hashes, versions and the denormalised search fields."""

from __future__ import annotations

from typing import Any

from qyzmet.opendata.services import dataset_publish

SCHEMA = {
    "fields": [
        {"name": "region", "type": "string"},
        {"name": "year", "type": "integer"},
        {"name": "applications", "type": "integer"},
    ],
    "primaryKey": ["region", "year"],
}


def dataset_make(
    name: str = "service-applications",
    *,
    organisation: str = "",
    origin: str = "platform",
    title: dict[str, str] | None = None,
    description: dict[str, str] | None = None,
    tags: tuple[str, ...] = ("applications",),
    rows: list[dict[str, Any]] | None = None,
    schema: dict[str, Any] | None = None,
    theme: str = "GOVE",
    frequency: str = "daily",
):
    """Publish a dataset (a new version if it exists and the rows differ); returns the version."""
    return dataset_publish(
        name=name,
        organisation=organisation,
        origin=origin,
        title=title or {
            "kk": "Қызметке өтінімдер",
            "ru": "Заявления на услуги",
            "en": "Service applications",
        },
        description=description or {
            "kk": "Өңірлер бойынша өтінімдер саны",
            "ru": "Число заявлений по регионам",
            "en": "Number of applications by region",
        },
        schema=schema or SCHEMA,
        rows=rows if rows is not None else [
            {"region": "Astana", "year": 2025, "applications": 120},
            {"region": "Almaty", "year": 2025, "applications": 240},
        ],
        tags=tags,
        theme=theme,
        frequency=frequency,
    )

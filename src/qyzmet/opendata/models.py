"""Datasets and their versions.

* `Dataset` — one dataset of the catalogue (CKAN "package"): generated from the platform's own
  records (`origin = platform`, written by a registered `Publisher`) or uploaded by an agency
  (`origin = agency`). Titles and descriptions in kk/ru/en.
* `DatasetVersion` — every published state of a dataset's data, kept: the Table Schema it was
  validated against, its row count and a note. Only the newest is `current`.
* `Resource` — one downloadable file of a version (CKAN "resource"): CSV or JSON, with its
  SHA-256 and size. The bytes are kept in the database so a dataset needs no file storage; the
  files are aggregates (kilobytes to a few megabytes).
"""

from __future__ import annotations

import uuid

from django.db import models


class Dataset(models.Model):
    class Origin(models.TextChoices):
        PLATFORM = "platform"
        AGENCY = "agency"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(max_length=100, unique=True)  # CKAN `name`, permanent
    organisation = models.CharField(max_length=64, blank=True, db_index=True)  # "" = operator
    origin = models.CharField(max_length=16, choices=Origin.choices)
    title = models.JSONField(default=dict)  # {"kk": …, "ru": …, "en": …}
    description = models.JSONField(default=dict)
    # Not a column: the current version's number, set by selectors.organisation_datasets.
    current_number: int | None
    tags = models.JSONField(default=list)
    theme = models.CharField(max_length=16, default="GOVE")
    frequency = models.CharField(max_length=32, default="daily")
    license_id = models.CharField(max_length=64, default="CC-BY-4.0")
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(db_index=True)  # when its data last changed
    # Lowercased titles, descriptions and tags in every language: what search matches.
    search_text = models.TextField(blank=True, default="")
    # Denormalised for the catalogue page (one query per page of datasets), rewritten on publish:
    # the publisher's names in kk/ru/en, the current version's formats ("CSV JSON") and the tags
    # as "|tag|tag|" so a tag filter is a plain `contains` on every database.
    publisher_name = models.JSONField(default=dict)
    formats = models.CharField(max_length=64, blank=True, default="")
    tag_text = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["-modified", "id"], name="dataset_recent")]

    def __str__(self) -> str:
        return self.name


class DatasetVersion(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    current = models.BooleanField(default=True)
    schema = models.JSONField(default=dict)  # Frictionless Table Schema
    row_count = models.PositiveIntegerField(default=0)
    note = models.TextField(blank=True, default="")
    published_by = models.CharField(max_length=64, blank=True, default="")  # "" = the platform
    created = models.DateTimeField(auto_now_add=True)
    # Not a column: {format: size in bytes} of the files, set by selectors.dataset_versions.
    files: dict[str, int]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="dataset_version_once"),
            models.UniqueConstraint(
                fields=["dataset"], condition=models.Q(current=True), name="dataset_one_current"
            ),
        ]


class Resource(models.Model):
    class Format(models.TextChoices):
        CSV = "CSV"
        JSON = "JSON"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="resources")
    format = models.CharField(max_length=8, choices=Format.choices)
    media_type = models.CharField(max_length=64)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "format"], name="resource_format_once")
        ]

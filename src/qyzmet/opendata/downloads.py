"""Reads behind the open-data files: a version's stored bytes and its Frictionless Data Package
descriptor (https://specs.frictionlessdata.io/data-package/). Anonymous and public: only
published versions exist here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from qyzmet.core.problem import Problem, not_found

from .models import Dataset, DatasetVersion, Resource

FORMATS = {"csv": Resource.Format.CSV, "json": Resource.Format.JSON}
MEDIA_TYPES = {"CSV": "text/csv", "JSON": "application/json"}

LICENSES = {
    "CC-BY-4.0": {
        "name": "CC-BY-4.0",
        "title": "Creative Commons Attribution 4.0",
        "path": "https://creativecommons.org/licenses/by/4.0/",
    },
    "CC0-1.0": {
        "name": "CC0-1.0",
        "title": "Creative Commons Zero v1.0 Universal",
        "path": "https://creativecommons.org/publicdomain/zero/1.0/",
    },
    "ODC-BY-1.0": {
        "name": "ODC-BY-1.0",
        "title": "Open Data Commons Attribution License v1.0",
        "path": "https://opendatacommons.org/licenses/by/1-0/",
    },
}


def license_info(license_id: str) -> dict[str, str]:
    return LICENSES.get(license_id, {"name": license_id, "title": license_id, "path": ""})


@dataclass(frozen=True)
class ResourceFile:
    content: bytes
    content_type: str
    size: int
    sha256: str
    filename: str


def _version(*, name: str, number: int) -> DatasetVersion:
    version = (
        DatasetVersion.objects.select_related("dataset")
        .filter(dataset__name=name, number=number)
        .first()
    )
    if version is None:
        raise not_found("dataset version")
    return version


def current_version_number(*, name: str) -> int:
    number = (
        DatasetVersion.objects.filter(dataset__name=name, current=True)
        .values_list("number", flat=True)
        .first()
    )
    if number is None:
        raise not_found("dataset")
    return number


def resource_file(*, name: str, number: int, fmt: str) -> ResourceFile:
    if fmt not in FORMATS:
        raise Problem(404, "not_found", "Not found", "The files are data.csv and data.json.")
    resource = (
        Resource.objects.filter(
            version__dataset__name=name, version__number=number, format=FORMATS[fmt]
        )
        .only("content", "media_type", "size", "sha256")
        .first()
    )
    if resource is None:
        raise not_found("file")
    media_type = resource.media_type or MEDIA_TYPES[FORMATS[fmt]]
    charset = "; charset=utf-8" if "charset" not in media_type else ""
    return ResourceFile(
        content=bytes(resource.content),
        content_type=media_type + charset,
        size=resource.size,
        sha256=resource.sha256,
        filename=f"{name}-v{number}.{fmt}",
    )


def resource_path(*, name: str, number: int, fmt: str) -> str:
    return reverse("opendata-download", kwargs={"name": name, "number": number, "fmt": fmt})


def datapackage_descriptor(*, name: str, number: int, base_url: str) -> dict[str, Any]:
    """The Data Package of one version: absolute URLs of its files, the Table Schema each file
    follows, their hashes and sizes. `base_url` is the site root ending in '/'."""
    version = _version(name=name, number=number)
    dataset: Dataset = version.dataset
    root = base_url.rstrip("/")
    resources = []
    for res in version.resources.order_by("format").only(
        "id", "format", "media_type", "size", "sha256"
    ):
        fmt = res.format.lower()
        resources.append(
            {
                "name": f"{name}-{fmt}",
                "path": root + resource_path(name=name, number=number, fmt=fmt),
                "profile": "tabular-data-resource",
                "format": fmt,
                "mediatype": res.media_type.split(";")[0] or MEDIA_TYPES[res.format],
                "encoding": "utf-8",
                "bytes": res.size,
                "hash": f"sha256:{res.sha256}",
                "schema": version.schema,
                **({"dialect": {"delimiter": ","}} if fmt == "csv" else {}),
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": name,
        "id": str(dataset.id),
        "title": dataset.title.get("en") or next(iter(dataset.title.values()), name),
        "description": dataset.description.get("en", ""),
        "version": f"{number}.0.0",
        "created": version.created.isoformat(),
        "keywords": list(dataset.tags),
        "licenses": [license_info(dataset.license_id)],
        "homepage": root + reverse("opendata-datapackage-latest", kwargs={"name": name}),
        "resources": resources,
    }

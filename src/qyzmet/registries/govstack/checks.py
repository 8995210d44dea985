"""The system check that the GovStack Data API's wire mappings match the registry descriptors.

Why a check: a registry added as a plugin with `data_api = True` but no wire mapping would answer
404 on its Data API routes while the exchange publishes a `data` service for it; the server
should refuse to start instead (qyzmet.E009 names the registry)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register


@register(Tags.compatibility)
def data_api_mappings_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from .registries import data_api_mismatches

    return [
        Error(problem, hint="See docs/registries.md, 'The GovStack Data API'.", id="qyzmet.E009")
        for problem in data_api_mismatches()
    ]

"""Governance settings: per-category thresholds, Open311 API keys, organisation aliases."""

from __future__ import annotations

import secrets

from django.db import transaction

from qyzmet.ai import selectors as ai_selectors
from qyzmet.audit.services import audit_record
from qyzmet.core.actor import Actor
from qyzmet.core.problem import FieldError, Problem, forbidden

from ..models import CategoryThreshold, Open311ApiKey, OrganisationAlias
from ..selectors import api_key_hash
from ..validation import category_validate


@transaction.atomic
def threshold_set(*, actor: Actor, category: str, threshold: float | None) -> None:
    """Override the auto-routing threshold of one category (None removes the override)."""
    if not ai_selectors.user_is_ai_admin(user=actor):
        raise forbidden("Only an AI administrator may change routing thresholds.")
    category_validate(category)
    if threshold is None:
        CategoryThreshold.objects.filter(category=category).delete()
    else:
        if not 0 <= float(threshold) <= 1:
            raise Problem(
                422,
                "threshold_invalid",
                "Invalid threshold",
                "A threshold is between 0 and 1.",
                [FieldError("/threshold", "Between 0 and 1.")],
            )
        CategoryThreshold.objects.update_or_create(
            category=category, defaults={"threshold": float(threshold), "set_by": actor}
        )
    audit_record(
        actor=actor,
        kind="change",
        action="appeal.threshold_set",
        object_type="category",
        object_id=category,
        data={"threshold": threshold},
    )


@transaction.atomic
def open311_key_issue(*, actor: Actor | None = None, name: str, raw: str | None = None) -> str:
    """A new Open311 key; returned once, stored hashed. `raw` lets the demo use a fixed key."""
    raw = raw or secrets.token_urlsafe(24)
    key, created = Open311ApiKey.objects.get_or_create(
        key_hash=api_key_hash(raw), defaults={"name": name, "prefix": raw[:8]}
    )
    if created:
        audit_record(
            actor=actor,
            kind="security",
            action="open311.key_issued",
            object_type="open311_key",
            object_id=key.pk,
            data={"name": name},
        )
    return raw


@transaction.atomic
def organisation_alias_set(*, label: str, organisation_code: str) -> None:
    OrganisationAlias.objects.update_or_create(
        label=label, defaults={"organisation_code": organisation_code}
    )

"""Appeal categories by their names in the page's language, for back-office templates that hold
the pack's category objects or only their codes (the AI thresholds, the overrides)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from qyzmet.appeals.config import appeals_pack

register = template.Library()


@register.filter
def category_name(category: Any) -> str:
    """The category's name in kk/ru/en; a code the pack no longer knows reads as words."""
    lang = (get_language() or "kk")[:2]
    if isinstance(category, str):
        category = appeals_pack().categories.get(category) or category
    if isinstance(category, str):
        return category.replace("-", " ").replace("_", " ").capitalize()
    return category.name(lang)

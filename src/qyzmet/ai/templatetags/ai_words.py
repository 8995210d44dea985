"""Template filters for the routing model's words (see qyzmet.ai.wording)."""

from __future__ import annotations

from django import template

from qyzmet.ai import wording

register = template.Library()

register.filter("metric_rows", wording.metric_rows)
register.filter("run_status", wording.run_status)
register.filter("activation_action", wording.activation_action)
register.filter("suggestion_error", wording.suggestion_error)


@register.filter
def percent(fraction: float | None) -> str:
    if fraction is None:
        return "—"
    return f"{wording.number(float(fraction) * 100, 0)}\u00a0%"

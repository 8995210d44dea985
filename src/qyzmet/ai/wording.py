"""Words a person reads for the routing model's machine names: its measurements, the status of a
training run, what happened to a model version. Shared by the public algorithm register and the
AI administrators' back office, so both say the same thing in kk/ru/en.

A measurement this list does not know yet (a future trainer may add one) is shown with its
underscores turned into spaces: readable, never a snake_case code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

METRIC_LABELS = {
    "n": _("Appeals measured"),
    "n_train": _("Appeals learnt from"),
    "n_with_org": _("Of them with a known organisation"),
    "category_macro_f1": _("Category: F1 score, averaged over the categories"),
    "category_accuracy": _("Category: share predicted right"),
    "reason_accuracy": _("Sub-category: share predicted right"),
    "org_accuracy": _("Organisation: share predicted right"),
}

RUN_STATUS_LABELS = {
    "queued": pgettext_lazy("training run", "Waiting to start"),
    "running": pgettext_lazy("training run", "Running"),
    "succeeded": pgettext_lazy("training run", "Finished"),
    "failed": pgettext_lazy("training run", "Failed"),
}

ACTIVATION_LABELS = {
    "activate": pgettext_lazy("model version", "Activated"),
    "rollback": pgettext_lazy("model version", "Rolled back"),
}


def _plain(code: str) -> str:
    return code.replace("_", " ").replace("-", " ").strip().capitalize()


def metric_label(key: str) -> str:
    return str(METRIC_LABELS.get(key) or _plain(key))


def number(value: float, digits: int = 1) -> str:
    """A decimal as the page's language writes it: a comma in Kazakh and Russian."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if (get_language() or "kk")[:2] in ("kk", "ru") else text


def metric_value(key: str, value: Any) -> str:
    """Counts as whole numbers; shares and scores (0–1) as percentages, which a person reads
    without knowing what an F1 score is on a 0–1 scale."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return str(value)
    try:
        number_value = float(value)
    except ValueError:
        return str(value)
    if key == "n" or key.startswith("n_"):
        return f"{int(number_value):,}".replace(",", "\u00a0")
    if 0 <= number_value <= 1:
        return f"{number(number_value * 100)}\u00a0%"
    return number(number_value, 3)


def metric_rows(metrics: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> list[tuple]:
    """(label, value) of each numeric measurement, for a table a person reads."""
    items = metrics.items() if isinstance(metrics, Mapping) else (metrics or [])
    rows = []
    for key, value in items:
        if value is None or isinstance(value, dict | list):
            continue
        rows.append((metric_label(str(key)), metric_value(str(key), value)))
    return rows


def run_status(status: str) -> str:
    return str(RUN_STATUS_LABELS.get(status) or _plain(status))


def activation_action(action: str) -> str:
    return str(ACTIVATION_LABELS.get(action) or _plain(action))


SUGGESTION_ERRORS = {
    "No routing model is active.": _("no model was active"),
}


def suggestion_error(error: str) -> str:
    """Why the model gave no suggestion, in words; the exception text itself is for the logs."""
    return str(SUGGESTION_ERRORS.get((error or "").strip()) or _("it could not be loaded"))

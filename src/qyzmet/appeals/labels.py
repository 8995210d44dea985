"""Words people read for appeal statuses and history actions (translated)."""

from django.utils.translation import gettext_lazy as _

STATUS_LABELS = {
    "registered": _("Registered"),
    "routed": _("Sent to the organisation"),
    "in_work": _("In work"),
    "answered": _("Answered"),
    "closed": _("Closed"),
    "reopened": _("Reopened"),
}


def decorate(appeals, category_names: dict[str, str]):
    """Attach `status_label` and `category_name` for templates (which cannot index dicts)."""
    for a in appeals:
        a.status_label = STATUS_LABELS.get(a.status, a.status)
        a.category_name = category_names.get(a.category or "", a.category or "—")
    return appeals

"""The routing model's suggestions in words for the back office: the category and the
organisation by their names in the officer's language, each confidence as a percent written as
that language writes it, the model's reason, and what people finally decided — never our codes."""

from __future__ import annotations

from django.utils.translation import gettext as _

from qyzmet.identity.selectors import organisation_names

from .config import appeals_pack
from .labels import percent


def _org_names(codes: set[str], lang: str) -> dict[str, str]:
    return {code: n.get(lang) or n.get("en") or ""
            for code, n in organisation_names(codes=codes - {""}).items()}


def suggestions_in_words(*, suggestions, lang: str, org_names: dict[str, str] | None = None):
    """Attach `view` (the suggestion in words, None when the model failed) and `decided` (what
    people chose, in words, or "") to each suggestion; organisation names in one query."""
    pack = appeals_pack()
    names = dict(org_names or {})
    missing = {c for s in suggestions for c in (s.organisation_code, s.final_organisation_code)
               if c and c not in names}
    if missing:
        names.update(_org_names(missing, lang))

    def category(code: str, label: str = "") -> str:
        cat = pack.categories.get(code or "")
        return cat.name(lang) if cat else (label or _("No category"))

    for s in suggestions:
        if s.error:
            s.view = None
        else:
            s.view = {
                "category": category(s.category, s.category_label),
                "category_pct": percent(s.category_confidence, lang),
                "organisation": names.get(s.organisation_code) or s.responsible_org_label
                or _("Unknown organisation"),
                "organisation_pct": percent(s.responsible_org_confidence, lang),
                "reason": s.reason,
            }
        s.decided = ""
        if s.final_organisation_code:
            s.decided = f"{category(s.final_category)} → " + (
                names.get(s.final_organisation_code) or _("Unknown organisation"))
    return suggestions

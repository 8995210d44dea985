"""Commands that change appeals. Each is one transaction: the change, its history row, its
audit row and its outbox event commit together; routing, notifications and escalations follow
from the events after commit, so a slow or broken model never holds up accepting an appeal.

A package along the sections the single module had; every public name is re-exported here, so
callers keep writing `services.appeal_submit(...)`. Read-only helpers live in `..selectors` and
are re-exported for the callers that still look for them here, as is the appeals pack they
read their settings from."""

from ..config import appeals_pack
from ..selectors import (  # moved: reads
    DEFAULT_THRESHOLD,
    HANDLER_ROLES,
    TRIAGE_ROLE,
    api_key_hash,
    handler_organisations,
    media_pending_ids,
    open311_key_check,
    organisation_for_label,
    threshold_for,
    user_can_triage,
    user_handles,
)
from .common import LANGUAGES
from .deadlines import deadlines_flag
from .governance import open311_key_issue, organisation_alias_set, threshold_set
from .handling import (
    PLACE_REASON_MAX,
    appeal_answer,
    appeal_extend,
    appeal_place_set,
    appeal_rate,
    appeal_reopen,
    appeal_take,
)
from .media_fetch import appeal_media_fetch
from .merging import duplicate_merge, duplicate_split
from .past_appeals import (
    IMPORT_KEY,
    SUBMITTED_SOURCES,
    PastAppeal,
    past_appeals_import,
    past_appeals_remove,
)
from .route import appeal_route, appeal_route_auto
from .submit import appeal_submit

__all__ = [
    "DEFAULT_THRESHOLD",
    "HANDLER_ROLES",
    "IMPORT_KEY",
    "LANGUAGES",
    "PLACE_REASON_MAX",
    "SUBMITTED_SOURCES",
    "TRIAGE_ROLE",
    "PastAppeal",
    "api_key_hash",
    "appeal_answer",
    "appeal_extend",
    "appeal_media_fetch",
    "appeal_place_set",
    "appeal_rate",
    "appeal_reopen",
    "appeal_route",
    "appeal_route_auto",
    "appeal_submit",
    "appeal_take",
    "appeals_pack",
    "deadlines_flag",
    "duplicate_merge",
    "duplicate_split",
    "handler_organisations",
    "media_pending_ids",
    "open311_key_check",
    "open311_key_issue",
    "organisation_alias_set",
    "organisation_for_label",
    "past_appeals_import",
    "past_appeals_remove",
    "threshold_for",
    "threshold_set",
    "user_can_triage",
    "user_handles",
]

"""What a person reads for the codes this app keeps: kinds of act, statuses, the moderation
policy's grounds, the answer positions and the pre-check's flags."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

KIND_LABELS = {
    "law": _("Law"),
    "code": pgettext_lazy("type of legal act", "Code"),
    "decree": _("Government decree"),
    "order": _("Minister's order"),
    "resolution": _("Akimat resolution"),
}

STATUS_LABELS = {
    "draft": _("Not yet published"),
    "open": _("Open for comment"),
    "summary_due": _("Comment period closed"),
    "concluded": _("Summary published"),
}

# The moderation policy: each ground for refusal with what it means (the public policy page and
# the moderator's choice show the same words).
REASON_LABELS = {
    "insult": _("Insults or obscene language"),
    "personal_data": _("Personal data"),
    "off_topic": _("Off topic"),
    "advertising": _("Advertising"),
    "duplicate": _("Duplicate"),
}
REASON_TEXTS = {
    "insult": _(
        "Insults, threats or obscene words addressed to anyone: people, officials or groups."
    ),
    "personal_data": _(
        "Someone's personal data: an IIN, an address, a phone number, health or family details "
        "— your own included, because every accepted comment is public."
    ),
    "off_topic": _(
        "Text that is not about this draft: other laws, personal complaints (use an appeal "
        "for those) or questions to the agency about a particular case."
    ),
    "advertising": _("Advertising of goods, services, companies, parties or websites."),
    "duplicate": _(
        "The same comment sent again, by the same person or copied from another comment."
    ),
}

POSITION_LABELS = {
    "accepted": _("Taken into account"),
    "partly": _("Partly taken into account"),
    "not_accepted": _("Not taken into account"),
}

FLAG_LABELS = {
    "profanity": _("May contain obscene words"),
    "iin": _("Contains a number like an IIN"),
    "link": _("Contains a link"),
}

COMMENT_STATUS_LABELS = {
    "pending": _("Awaiting moderation"),
    "accepted": _("Published"),
    "rejected": _("Refused"),
}

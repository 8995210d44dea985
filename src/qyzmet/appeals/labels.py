"""Words people read for appeal statuses, places, media fetches and history actions
(translated)."""

from django.utils.translation import gettext_lazy as _

STATUS_LABELS = {
    "registered": _("Registered"),
    "routed": _("Sent to the organisation"),
    "in_work": _("In work"),
    "answered": _("Answered"),
    "closed": _("Closed"),
    "reopened": _("Reopened"),
}


PLACE_LABELS = {
    "point": _("Coordinates given by the citizen"),
    "street": _("Approximate point, found from the address"),
    "district": _("District found from the address; no point"),
    "unresolved": _("Place not resolved"),
}

MEDIA_LABELS = {
    "pending": _("Being fetched"),
    "fetched": _("Attached as a photo"),
    "failed": _("Could not be attached"),
}

# Why a media_url could not be attached (the stable code stored before ": " in media_error).
MEDIA_ERRORS = {
    "bad_url": _("The address is not an http or https URL."),
    "port_not_allowed": _("The address uses a port that is not allowed."),
    "address_not_allowed": _("The address leads to a private or local network."),
    "dns": _("The host name could not be resolved."),
    "tls": _("The secure connection failed."),
    "timeout": _("The server did not answer in time."),
    "network": _("The server could not be reached."),
    "http_status": _("The server answered with an error status."),
    "too_many_redirects": _("The address redirected too many times."),
    "too_large": _("The file is larger than 5 MB."),
    "not_image": _("The file is not a JPEG or PNG image."),
    "photo_empty": _("The file is empty."),
    "too_many_photos": _("The appeal already has the most photos allowed."),
}


def place_note(place_status: str | None) -> str | None:
    """What the citizen is told about the place of a new appeal (None: nothing to say)."""
    if place_status == "unresolved":
        return str(
            _(
                "We could not find this address on our map. Your appeal is registered all "
                "the same; a person will determine the place, which may take a little "
                "longer."
            )
        )
    return None


def media_error_text(error: str) -> str:
    """The officer's sentence for a stored media error, with its detail."""
    code, _sep, detail = (error or "").partition(": ")
    sentence = MEDIA_ERRORS.get(code)
    if sentence is None:
        return error
    return f"{sentence} ({detail})" if detail else str(sentence)


def decorate(appeals, category_names: dict[str, str]):
    """Attach `status_label` and `category_name` for templates (which cannot index dicts)."""
    for a in appeals:
        a.status_label = status_label(a.status)
        a.category_name = category_names.get(a.category or "") or str(_("Not chosen yet"))
    return appeals


# What happened, in the appeal's history (the stored action codes).
ACTION_LABELS = {
    "registered": _("Appeal registered"),
    "place_not_resolved": _("Address not found on the map"),
    "duplicate_linked": _("Linked to an earlier appeal about the same place"),
    "routed_automatically": _("Sent to the organisation automatically"),
    "routed": _("Sent to the organisation"),
    "rerouted": _("Sent to another organisation"),
    "sent_to_triage": _("Waiting for a person to choose the organisation"),
    "place_set": _("Place on the map given"),
    "place_moved": _("Place on the map moved by an officer"),
    "taken": _("Taken into work"),
    "answered": _("Answered"),
    "extended": _("Deadline extended"),
    "rated": _("Answer rated"),
    "reopened": _("Reopened"),
    "merged": _("Merged with the earlier appeal"),
    "split": _("Separated from the other appeal"),
    "media_failed": _("The photo from the given address could not be attached"),
    "media_attached": _("Photo attached"),
}

# The citizen's rating of an answer, each number with words.
RATING_LABELS = {
    1: _("1 — very poor"),
    2: _("2 — poor"),
    3: _("3 — acceptable"),
    4: _("4 — good"),
    5: _("5 — very good"),
}


def action_label(action: str) -> str:
    """The history entry in words; an action this list does not know yet reads generically
    rather than as its code."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else str(_("Change to the appeal"))


def status_label(status: str | None) -> str:
    label = STATUS_LABELS.get(status or "")
    return str(label) if label is not None else "—"


def percent(value: float | None, lang: str) -> str:
    """A confidence as a whole percent written as the language writes it: "83%" in English,
    "83 %" (no-break space) in Kazakh and Russian."""
    if value is None:
        return "—"
    number = round(100 * value)
    return f"{number}%" if lang == "en" else f"{number}\u00a0%"


# History notes people may read as they are (a reason, a rating, a number, a point); the
# others hold internal values (ids, model versions, error codes) and are not shown.
NOTES_SHOWN = {"extended", "reopened", "rated", "merged", "place_set", "place_moved"}


def history_decorate(events, *, org_names: dict[str, str] | None = None):
    """Attach `label` (what happened, in words) and `shown_note` to each history event; a
    re-routing's note (an organisation code) is shown as the organisation's name."""
    for e in events:
        e.label = action_label(e.action)
        if e.action in NOTES_SHOWN:
            e.shown_note = e.note
        elif e.action in ("routed", "rerouted") and org_names:
            e.shown_note = org_names.get(e.note, "")
        else:
            e.shown_note = ""
    return events

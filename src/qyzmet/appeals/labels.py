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
        a.status_label = STATUS_LABELS.get(a.status, a.status)
        a.category_name = category_names.get(a.category or "", a.category or "—")
    return appeals

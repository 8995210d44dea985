"""Reading the one-time code the way a person would: from the SMS that arrived."""

from __future__ import annotations

import re

from qyzmet.notifications.selectors import sms_outbox_latest


def latest_code_for(phone: str) -> str:
    sms = sms_outbox_latest(phone=phone, limit=1)
    assert sms, f"no SMS was sent to {phone}"
    match = re.search(r"\b(\d{6})\b", sms[0].body)
    assert match, sms[0].body
    return match.group(1)

"""Reading the one-time code the way a person would: from the SMS that arrived."""

from __future__ import annotations

import re

from qyzmet.notifications.selectors import sms_demo_messages


def latest_code_for(phone: str) -> str:
    """The code as the demo phone shows it (the database keeps it masked)."""
    sms = sms_demo_messages(phone=phone, limit=1)
    assert sms, f"no SMS was sent to {phone}"
    match = re.search(r"\b(\d{6})\b", sms[0].text)
    assert match, sms[0].text
    return match.group(1)

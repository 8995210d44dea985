"""Facts the criminal records registry answers. Read them through
`qyzmet.exchange.registry_client` (or the GovStack Data API), which validates the subject, checks
consent and audits the read."""

from __future__ import annotations

from typing import Any

from .models import CriminalRecord


def criminal_record_status_fact(*, iin: str) -> dict[str, Any]:
    """Whether the person has a conviction that is not expunged, and every conviction on record
    (the certificate of no criminal record lists expunged ones too, marked so). One query."""
    rows = CriminalRecord.objects.filter(iin=iin).order_by("verdict_date", "record_number")
    records = [
        {
            "record_number": r.record_number,
            "article": r.article,
            "article_title": r.article_title,
            "verdict_date": r.verdict_date.isoformat(),
            "court": r.court,
            "sentence": r.sentence,
            "expunged": r.expunged_on is not None,
            "expunged_on": r.expunged_on.isoformat() if r.expunged_on else None,
        }
        for r in rows
    ]
    return {
        "has_record": any(not r["expunged"] for r in records),
        "records": records,
    }

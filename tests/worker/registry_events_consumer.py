"""A consumer of `birth_registered` for the real-worker test, loaded only into the Celery worker
(`celery worker --include tests.worker.registry_events_consumer`), never into the test process.

It is "down" (raises) while the file named by `QYZMET_TEST_CONSUMER_DOWN` exists, as a consumer
whose downstream service is unreachable; otherwise it records the event it processed as an audit
row, in the same transaction the outbox records (consumer, event) in — so a count of those rows
per event shows how many times the consumer's effect happened."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from qyzmet.audit.services import audit_record
from qyzmet.core.events import consumer
from qyzmet.registries.population.services import BIRTH_REGISTERED

PROCESSED = "test.registry_event_processed"


@consumer(BIRTH_REGISTERED)
def birth_consumer(payload: dict[str, Any]) -> None:
    flag = os.environ.get("QYZMET_TEST_CONSUMER_DOWN", "")
    if flag and Path(flag).exists():
        raise ConnectionError("the consumer's downstream service is down")
    audit_record(
        actor=None, kind="change", action=PROCESSED, object_type="cloudevent",
        object_id=payload["id"], data={"subject": payload["subject"]},
    )  # fmt: skip

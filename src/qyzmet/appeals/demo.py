"""Demo data for appeals, created idempotently: the answering organisations and the model's
names for them, roles for the demo officers, a routing model when one is at hand, the address
gazetteer from a file of earlier appeals when one is at hand, a fixed demo Open311 key, a few
appeals and, from the same file when one is at hand, half a year of past appeals so that the
analytics have something to show."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from qyzmet.ai import selectors as ai_selectors
from qyzmet.ai import services as ai_services
from qyzmet.core.demo_cast import demo_cast
from qyzmet.core.identifiers import demo_bin
from qyzmet.identity.selectors import organisation_names, user_get_by_iin
from qyzmet.identity.services import membership_grant, organisation_upsert

from . import gazetteer, routing, services
from .config import appeals_pack
from .models import Appeal
from .org_names import names_for_label

log = logging.getLogger(__name__)

DEMO_API_KEY = "demo-open311-key-not-for-production"
DEMO_APPEALS = [
    ("Во дворе дома огромная яма на проезде, машины не могут проехать.", 59.9343, 30.3351,
     "Невский проспект, 28"),
    ("Не работает лифт во втором подъезде уже неделю.", 59.8700, 30.4700, "пр. Славы, 12"),
    ("Протекает крыша над последним этажом, вода в квартире.", 60.0500, 30.3300,
     "пр. Просвещения, 5"),
    ("Незаконная реклама на фасаде дома, баннер закрывает окна.", 59.9400, 30.3000,
     "Садовая ул., 10"),
    ("Аулада жарық жоқ, кешке қараңғы және қауіпті.", 51.1282, 71.4304, "Астана, Мәңгілік Ел, 8"),
]


# The demo's history: past appeals from a published file (St Petersburg, 2020–21), moved to the
# last half year and marked with a source of their own (removable: `appeals_demo
# --history-remove`).
HISTORY_SOURCE = "demo-hist"
HISTORY_COUNT = 600
HISTORY_SPAN = dt.timedelta(weeks=25)  # with the lag: the analytics' default 26 weeks
HISTORY_LAG = dt.timedelta(days=3)  # the newest lands this long before now
HISTORY_FINISHED = "Завершено"  # the portal's final statuses start so ("finished: ...")


def _org_code_for_label(label: str) -> str:
    return "appeal-org-" + hashlib.sha256(label.encode()).hexdigest()[:10]


def _model_org_labels(metadata: dict[str, Any]) -> list[str]:
    """The organisation labels a model knows, wherever its metadata lists them."""
    for container in (metadata.get("labels"), metadata.get("label_lists"), metadata):
        if isinstance(container, dict):
            for key in ("responsible_org", "responsible_orgs", "organisations"):
                value = container.get(key)
                if isinstance(value, list):
                    return [str(v) for v in value if v]
    return []


def organisations_ensure(*, extra_labels: list[str] | None = None) -> int:
    """The pack's organisations, plus one per label the model knows that no alias covers."""
    created = 0
    for org in appeals_pack().organisations:
        if not organisation_names(codes=[org["code"]]):
            created += 1
        organisation_upsert(code=org["code"], bin=demo_bin(org["code"]), names=org["names"])
        for label in org.get("model_labels") or []:
            services.organisation_alias_set(label=label, organisation_code=org["code"])
    code_of = _org_code_for_label
    for label in extra_labels or []:
        existing = services.organisation_for_label(label)
        if existing and existing != code_of(label):
            continue  # one of the pack's organisations, named there
        if not existing:
            created += 1
        # Created, or renamed in kk/en when an earlier demo named it by the label alone.
        organisation_upsert(code=code_of(label), bin=demo_bin(code_of(label)),
                            names=names_for_label(label))
        services.organisation_alias_set(label=label, organisation_code=code_of(label))
    return created


def model_register_dir(*, model_dir: Path, activate: bool = True) -> int | None:
    """Register (once) the model in `model_dir` and activate it if nothing is active."""
    meta_file = model_dir / "metadata.json"
    metadata: dict[str, Any] = {}
    if meta_file.exists():
        metadata = json.loads(meta_file.read_text(encoding="utf-8"))
    version = str(metadata.get("version") or model_dir.name)
    existing = next((m for m in ai_selectors.model_list(limit=1000) if m.version == version), None)
    mv = existing or ai_services.model_register(actor=None, version=version,
                                                path=str(model_dir), metadata=metadata)
    if activate and ai_selectors.model_active() is None:
        ai_services.model_activate_system(version_id=mv.id, reason="demo seeding")
    return mv.id


@transaction.atomic
def _memberships() -> None:
    officers = [login for login in demo_cast().logins() if login.agency]
    first_org = appeals_pack().organisations[0]["code"] if appeals_pack().organisations else None
    for i, login in enumerate(officers[:3]):
        user = user_get_by_iin(iin=login.iin)
        if user is None or first_org is None:
            continue
        role = {0: "officer", 1: "head", 2: "officer"}[i]
        membership_grant(user=user, organisation_code=first_org, role=role)
        if i == 0:
            membership_grant(user=user, organisation_code=first_org, role=services.TRIAGE_ROLE)
            membership_grant(user=user, organisation_code=first_org, role="ai_admin")


def records_read(path: Path) -> Iterator[dict[str, Any]]:
    """Appeal records, one JSON object a line, from a .jsonl or .jsonl.gz file."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _when(value: Any) -> dt.datetime | None:
    """An ISO time from the file (local time there, no offset) as an aware datetime here."""
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def history_sample(records: Iterable[dict[str, Any]], *,
                   count: int) -> list[tuple[dt.datetime, dict[str, Any]]]:
    """`count` records of the file's last `HISTORY_SPAN`, at even steps through them in time order
    (the oldest and the newest included), so the sample keeps the file's own busy and quiet
    weeks; the same file gives the same sample. Records without a text or a category are
    left out."""
    usable = []
    for record in records:
        created = _when(record.get("created"))
        if created is None or not str(record.get("text") or "").strip():
            continue
        if not record.get("category"):
            continue
        usable.append((created, str(record.get("id") or ""), record))
    if not usable or count <= 0:
        return []
    usable.sort(key=lambda u: (u[0], u[1]))
    newest = usable[-1][0]
    usable = [u for u in usable if u[0] > newest - HISTORY_SPAN]
    n = len(usable)
    if n > count:
        steps = {round(i * (n - 1) / (count - 1)) for i in range(count)} if count > 1 else {n - 1}
        usable = [usable[i] for i in sorted(steps)]
    return [(created, record) for created, _key, record in usable]


def history_appeals(records: Iterable[dict[str, Any]], *, count: int = HISTORY_COUNT,
                    now: dt.datetime | None = None) -> list[services.PastAppeal]:
    """The sample as past appeals, every time moved by the same whole number of days (hours
    stay as they were) so that the newest lands `HISTORY_LAG` before `now`. An answer that
    would come after `now` is not given: that appeal is still in work."""
    sample = history_sample(records, count=count)
    if not sample:
        return []
    now = now or timezone.now()
    shift = dt.timedelta(days=(timezone.localdate(now - HISTORY_LAG)
                               - timezone.localdate(sample[-1][0])).days)
    appeals = []
    for created, record in sample:
        answered = _when(record.get("first_answer_at"))
        answered = answered + shift if answered is not None else None
        lat, lon = _float(record.get("lat")), _float(record.get("lon"))
        if lat is None or lon is None:
            lat = lon = None
        appeals.append(services.PastAppeal(
            key=str(record.get("id") or created.isoformat()),
            text=str(record.get("text") or ""),
            created_at=created + shift,
            lat=lat,
            lon=lon,
            address=str(record.get("address") or ""),
            district=record.get("district") or None,
            category_label=record.get("category") or None,
            reason=str(record.get("reason") or ""),
            organisation_label=record.get("responsible_org") or None,
            answered_at=answered if answered is not None and answered <= now else None,
            closed=str(record.get("final_status") or "").startswith(HISTORY_FINISHED),
            language="ru",
        ))
    return appeals


def history_route(appeals: list[services.PastAppeal]) -> list[services.PastAppeal]:
    """The file names the organisation only once it has answered. The appeals still open
    without one go where the active routing model sends them, in one batch, as the old system
    would have routed them; with no model at hand they wait for triage."""
    waiting = [i for i, a in enumerate(appeals) if not a.organisation_label and not a.answered_at]
    if not waiting:
        return appeals
    try:
        _version, model = routing.model_active()
        predictions = model.predict([{
            "text": appeals[i].text, "district": appeals[i].district,
            "created": appeals[i].created_at.replace(tzinfo=None).isoformat(),
            "lat": appeals[i].lat, "lon": appeals[i].lon, "address": appeals[i].address or None,
        } for i in waiting])
    except Exception as exc:  # no model, or a broken one: triage, as for any appeal
        log.info("demo history: open appeals left for triage (%s: %s)", type(exc).__name__, exc)
        return appeals
    routed = list(appeals)
    for i, prediction in zip(waiting, predictions, strict=True):
        routed[i] = dataclasses.replace(appeals[i],
                                        organisation_label=prediction.responsible_org or None)
    return routed


def appeals_demo_load(*, model_dir: Path | None = None, gazetteer_file: Path | None = None,
                      history_file: Path | None = None,
                      history_count: int = HISTORY_COUNT) -> dict[str, Any]:
    """Everything above, each part only when missing. The history is loaded once: while any
    appeal of `HISTORY_SOURCE` exists the file is not even read."""
    result: dict[str, Any] = {"model": None, "gazetteer": None, "history": None}
    if model_dir is not None and model_dir.is_dir():
        result["model"] = model_register_dir(model_dir=model_dir)
    if gazetteer_file is not None and gazetteer_file.is_file():
        result["gazetteer"] = gazetteer.gazetteer_load(records_read(gazetteer_file))
    history: list[services.PastAppeal] = []
    if history_file is not None and history_file.is_file():
        existing = Appeal.objects.filter(source=HISTORY_SOURCE).count()
        if existing:
            result["history"] = {"created": 0, "existing": existing, "skipped": 0}
        else:
            history = history_route(history_appeals(records_read(history_file),
                                                    count=history_count))
    active = ai_selectors.model_active()
    labels = _model_org_labels(active.metadata) if active else []
    labels += sorted({a.organisation_label for a in history if a.organisation_label})
    result["organisations"] = organisations_ensure(extra_labels=labels)
    _memberships()
    result["api_key"] = services.open311_key_issue(name="demo", raw=DEMO_API_KEY)
    created = 0
    if not Appeal.objects.filter(source="demo").exists():
        citizen = user_get_by_iin(iin=demo_cast().citizen_a_iin)
        for text, lat, lon, address in DEMO_APPEALS:
            services.appeal_submit(actor=citizen, text=text, lat=lat, lon=lon, address=address,
                                   language="ru", source="demo")
            created += 1
    result["appeals"] = created
    if history:
        # After the demo's own appeals: those are submitted as today's, and an imported
        # history never links, routes or notifies anything.
        result["history"] = services.past_appeals_import(actor=None, source=HISTORY_SOURCE,
                                                         appeals=history)
    return result

"""Demo data for appeals, created idempotently: the answering organisations and the model's
names for them, roles for the demo officers, a routing model when one is at hand, the address
gazetteer from a file of earlier appeals when one is at hand, a fixed demo Open311 key and a few
appeals."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db import transaction

from qyzmet.ai import selectors as ai_selectors
from qyzmet.ai import services as ai_services
from qyzmet.countries.kz.identifiers import bin_make
from qyzmet.identity.selectors import organisation_names, user_get_by_iin
from qyzmet.identity.services import membership_grant, organisation_upsert

from . import gazetteer, services
from .config import appeals_pack
from .models import Appeal

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


def _bin_for(code: str) -> str:
    serial = int(hashlib.sha256(code.encode()).hexdigest(), 16) % 90000 + 10000
    while True:
        candidate = bin_make(dt.date(2010, 1, 1), 4, 1, serial)
        if candidate is not None:
            return candidate
        serial = (serial + 1) % 100000


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
        organisation_upsert(code=org["code"], bin=_bin_for(org["code"]), names=org["names"])
        for label in org.get("model_labels") or []:
            services.organisation_alias_set(label=label, organisation_code=org["code"])
    for label in extra_labels or []:
        if services.organisation_for_label(label):
            continue
        code = _org_code_for_label(label)
        organisation_upsert(code=code, bin=_bin_for(code),
                            names={"kk": label, "ru": label, "en": label})
        services.organisation_alias_set(label=label, organisation_code=code)
        created += 1
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
    from qyzmet.countries.kz.demo import demo_logins

    officers = [login for login in demo_logins() if login.agency]
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


def appeals_demo_load(*, model_dir: Path | None = None,
                      gazetteer_file: Path | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"model": None, "gazetteer": None}
    if model_dir is not None and model_dir.is_dir():
        result["model"] = model_register_dir(model_dir=model_dir)
    if gazetteer_file is not None and gazetteer_file.is_file():
        result["gazetteer"] = gazetteer.gazetteer_load(records_read(gazetteer_file))
    active = ai_selectors.model_active()
    result["organisations"] = organisations_ensure(
        extra_labels=_model_org_labels(active.metadata) if active else [])
    _memberships()
    result["api_key"] = services.open311_key_issue(name="demo", raw=DEMO_API_KEY)
    created = 0
    if not Appeal.objects.filter(source="demo").exists():
        from qyzmet.countries.kz.demo import DEMO_CITIZEN_A_IIN

        citizen = user_get_by_iin(iin=DEMO_CITIZEN_A_IIN)
        for text, lat, lon, address in DEMO_APPEALS:
            services.appeal_submit(actor=citizen, text=text, lat=lat, lon=lon, address=address,
                                   language="ru", source="demo")
            created += 1
    result["appeals"] = created
    return result

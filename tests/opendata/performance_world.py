"""A world for the performance evaluation's tests: many applications and appeals across three
agencies, several services and 14 months, with timestamps set as if they had happened then."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from qyzmet.appeals.models import Appeal
from qyzmet.applications.models import Application
from qyzmet.core import open_datasets
from qyzmet.core.calendar import calendar_default
from qyzmet.opendata import performance_datasets as pd
from qyzmet.opendata.services import dataset_publish
from tests.identity.factories import OrganisationFactory, UserFactory

AGENCIES = {
    "perf-justice": ("Ministry of Justice", "Министерство юстиции", "Әділет министрлігі",
                     ["ie-registration", "marriage-registration"]),
    "perf-transport": ("Transport Committee", "Комитет транспорта", "Көлік комитеті",
                       ["vehicle-registration"]),
    "perf-akimat": ("City Akimat", "Акимат города", "Қала әкімдігі",
                    ["building-permit", "land-plot"]),
}
CATEGORIES = ["roads", "lighting", "waste"]
# The grounds refusals are made on, most common first ("" : a refusal made before the service
# had grounds, published as `not_recorded`).
GROUNDS = ["documents_false"] * 6 + ["registry_contradicts"] * 3 + ["applicant_not_eligible"] \
    * 2 + [""]
DISTRICTS = ["Almaly", "Bostandyq", "Medeu"]


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(settings.TIME_ZONE))


def build(*, seed: int = 15, months: int = 14, per_month: int = 24, agencies: bool = True) -> dict:
    """Create the world; returns {"today": …, "codes": [...]}."""
    rng = random.Random(seed)
    grounds = random.Random(seed + 7)  # its own stream: the rest of the world stays as it was
    cal = calendar_default()
    today = timezone.localdate()
    applicant = UserFactory()
    for code, (en, ru, kk, _services) in AGENCIES.items() if agencies else ():
        OrganisationFactory(code=code, name_en=en, name_ru=ru, name_kk=kk)
    apps, appeals = [], []
    for back in range(months):
        first = (today.replace(day=1) - dt.timedelta(days=31 * back)).replace(day=1)
        for code, (_en, _ru, _kk, services) in AGENCIES.items():
            size = per_month + rng.randint(-10, 10) + (8 if code == "perf-justice" else 0)
            for _i in range(size):
                submitted = first + dt.timedelta(days=rng.randint(0, 27))
                if submitted > today:
                    submitted = today
                due = cal.add_working_days(submitted, rng.choice([5, 10, 15]))
                roll = rng.random()
                outcome = "approved" if roll < 0.7 else "refused" if roll < 0.85 else ""
                decided = None
                if outcome:
                    decided = cal.add_working_days(submitted, rng.randint(0, 25))
                    if decided > today:
                        outcome, decided = "", None
                open_ = not outcome
                apps.append(Application(
                    service_version_id=1, service_code=rng.choice(services), agency_code=code,
                    applicant=applicant, applicant_iin=applicant.iin,
                    state=outcome or "in_review", outcome=outcome, is_open=open_,
                    submitted_at=_at(submitted), decided_at=_at(decided, 16) if decided else None,
                    due_date=due,
                    decision_ground=grounds.choice(GROUNDS) if outcome == "refused" else "",
                ))  # fmt: skip
            for _i in range(per_month // 2 + rng.randint(0, 8)):
                received = first + dt.timedelta(days=rng.randint(0, 27))
                if received > today:
                    received = today
                hours = rng.randint(2, 400)
                answered = _at(received) + dt.timedelta(hours=hours)
                if answered > timezone.now():
                    answered = None
                appeal = Appeal(
                    text="x", organisation_code=code, category=rng.choice(CATEGORIES),
                    district=rng.choice(DISTRICTS),
                    status=Appeal.ANSWERED if answered else Appeal.IN_WORK,
                    is_open=answered is None, answered_at=answered,
                    answered_on_time=(hours < 240) if answered else None,
                    rating=rng.choice([None, 1, 2, 3, 4, 5, 5, 4]) if answered else None,
                    due_date=received + dt.timedelta(days=10),
                )  # fmt: skip
                appeal.received = _at(received)
                appeals.append(appeal)
    Application.objects.bulk_create(apps)
    created = Appeal.objects.bulk_create(appeals)
    for appeal in created:
        appeal.created_at = appeal.received
    Appeal.objects.bulk_update(created, ["created_at"], batch_size=500)
    return {"today": today, "codes": sorted(AGENCIES)}


def publish() -> dict[str, list[dict]]:
    """Publish the evaluation's datasets through the real service; returns the rows given."""
    rows_by = {}
    for publisher in open_datasets.publishers():
        if publisher.name not in pd.DATASETS:
            continue
        rows = list(publisher.rows())
        dataset_publish(name=publisher.name, organisation=publisher.organisation,
                        origin="platform", title=publisher.title,
                        description=publisher.description, schema=publisher.schema, rows=rows,
                        tags=publisher.tags)  # fmt: skip
        rows_by[publisher.name] = rows
    return rows_by

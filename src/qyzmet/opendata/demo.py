"""Demo open data: the Ministry of Internal Affairs publishes its own dataset (road traffic
accidents by region) in two versions, through the same upload an officer uses. Idempotent: an
existing dataset is left alone. The generated datasets come from `opendata_publish`."""

from __future__ import annotations

from qyzmet.identity.selectors import organisation_member_ids, user_get

from .models import Dataset
from .services import UPLOAD_ROLES, dataset_upload

AGENCY = "kz-mvd"
NAME = "kz-mvd-road-accidents"
TITLE = {
    "kk": "Өңірлер бойынша жол-көлік оқиғалары",
    "ru": "Дорожно-транспортные происшествия по регионам",
    "en": "Road traffic accidents by region",
}
DESCRIPTION = {
    "kk": "Жыл сайынғы тіркелген жол-көлік оқиғалары, оларда жарақат алғандар мен қаза "
          "тапқандар саны, облыстар мен республикалық маңызы бар қалалар бойынша.",
    "ru": "Зарегистрированные за год дорожно-транспортные происшествия, число раненых и "
          "погибших в них, по областям и городам республиканского значения.",
    "en": "Road traffic accidents registered in the year, with the people injured and killed "
          "in them, by region and city of republican significance.",
}
# region, year, accidents, injured, killed (illustrative figures for the demo)
_FIGURES = {
    2024: [("Астана", 1890, 2514, 96), ("Алматы", 3120, 4032, 141),
           ("Шымкент", 1275, 1688, 88), ("Қарағанды облысы", 1410, 1902, 173),
           ("Түркістан облысы", 1022, 1517, 204), ("Шығыс Қазақстан облысы", 880, 1185, 121)],
    2025: [("Астана", 1826, 2433, 90), ("Алматы", 3004, 3911, 127),
           ("Шымкент", 1301, 1702, 84), ("Қарағанды облысы", 1356, 1840, 160),
           ("Түркістан облысы", 998, 1460, 189), ("Шығыс Қазақстан облысы", 845, 1133, 115)],
}


def _csv(years: list[int]) -> bytes:
    lines = ["region,year,accidents,injured,killed"]
    for year in years:
        lines += [f"{region},{year},{a},{i},{k}" for region, a, i, k in _FIGURES[year]]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def opendata_demo_ensure() -> int:
    """Publish the demo agency dataset if absent; returns the number of versions published."""
    if Dataset.objects.filter(name=NAME).exists():
        return 0
    members = organisation_member_ids(code=AGENCY, roles=UPLOAD_ROLES)
    if not members:
        return 0
    actor = user_get(user_id=members[0])
    published = 0
    for years in ([2024], [2024, 2025]):
        result = dataset_upload(
            actor=actor, organisation=AGENCY, name=NAME if not published else None,
            dataset=NAME if published else None, title=TITLE, description=DESCRIPTION,
            tags=["transport", "safety"], csv_bytes=_csv(years), frequency="annual",
        )
        published += int(result.created)
    return published

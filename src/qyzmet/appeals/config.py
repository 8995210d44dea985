"""The appeals pack of the country (`countries/<cc>/appeals.yaml`): appeal types and deadlines,
categories (Open311 service codes), answer templates, jurisdiction, districts and localities (for
finding the place of an appeal that only has an address), duplicate settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "countries" / "kz" / "appeals.yaml"


@dataclass(frozen=True)
class Category:
    code: str
    names: dict[str, str]
    description: dict[str, str] = field(default_factory=dict)
    model_labels: tuple[str, ...] = ()
    type: str = "complaint"

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("en") or self.code


@dataclass(frozen=True)
class AppealType:
    code: str
    names: dict[str, str]
    deadline_working_days: int
    extension_working_days: int
    extendable_times: int


@dataclass(frozen=True)
class AnswerTemplate:
    code: str
    names: dict[str, str]
    text: dict[str, str]


@dataclass(frozen=True)
class Box:
    name: str
    south: float
    north: float
    west: float
    east: float
    names: dict[str, str] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        """The area's name people read (kk/ru/en from the pack), else its own name."""
        return self.names.get(lang) or self.names.get("en") or self.name

    def contains(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east


@dataclass(frozen=True)
class District:
    """A district as appeals store it (`name`, the routing model's own spelling), its names in
    kk/ru/en, extra phrases that name it in an address, and the towns that lie wholly in it."""

    name: str
    names: dict[str, str]
    forms: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("ru") or self.name


@dataclass(frozen=True)
class Locality:
    """A city (or town) by its canonical name and the ways people write it."""

    name: str
    forms: tuple[str, ...]


@dataclass(frozen=True)
class AppealsPack:
    types: dict[str, AppealType]
    default_type: str
    categories: dict[str, Category]
    answers: dict[str, list[AnswerTemplate]]
    jurisdiction: tuple[Box, ...]
    organisations: tuple[dict[str, Any], ...]
    duplicate_window_days: int
    duplicate_max_distance_m: float
    duplicate_min_similarity: float
    escalation_role: str
    districts: tuple[District, ...] = ()
    localities: tuple[Locality, ...] = ()

    def district_label(self, name: str | None, lang: str) -> str | None:
        """The district's name in `lang` when the pack knows it, else the stored name."""
        for district in self.districts:
            if district.name == name:
                return district.label(lang)
        return name

    def category_for_label(self, label: str | None) -> str | None:
        """Our category code for one of the model's category labels."""
        if not label:
            return None
        if label in self.categories:
            return label
        for cat in self.categories.values():
            if label in cat.model_labels:
                return cat.code
        return None

    def answers_for(self, category: str | None) -> list[AnswerTemplate]:
        return list(self.answers.get(category or "", [])) + list(self.answers.get("default", []))

    def in_jurisdiction(self, lat: float, lon: float) -> bool:
        return any(box.contains(lat, lon) for box in self.jurisdiction)


def pack_from_file(path: Path) -> AppealsPack:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    types = {
        t["code"]: AppealType(
            code=t["code"], names=t.get("names", {}),
            deadline_working_days=int(t["deadline_working_days"]),
            extension_working_days=int(t.get("extension_working_days", 0)),
            extendable_times=int(t.get("extendable_times", 0)),
        )
        for t in data["types"]
    }
    categories = {
        c["code"]: Category(
            code=c["code"], names=c.get("names", {}), description=c.get("description", {}),
            model_labels=tuple(c.get("model_labels") or ()), type=c.get("type", "complaint"),
        )
        for c in data["categories"]
    }
    answers = {
        key: [AnswerTemplate(code=a["code"], names=a.get("names", {}), text=a["text"])
              for a in items]
        for key, items in (data.get("answers") or {}).items()
    }
    dup = data.get("duplicates") or {}
    return AppealsPack(
        types=types,
        default_type=data.get("default_type", next(iter(types))),
        categories=categories,
        answers=answers,
        jurisdiction=tuple(Box(**box) for box in data.get("jurisdiction") or ()),
        organisations=tuple(data.get("organisations") or ()),
        duplicate_window_days=int(dup.get("window_days", 14)),
        duplicate_max_distance_m=float(dup.get("max_distance_m", 150)),
        duplicate_min_similarity=float(dup.get("min_similarity", 0.35)),
        escalation_role=data.get("escalation_role", "head"),
        districts=tuple(
            District(name=d["name"], names=d.get("names") or {},
                     forms=tuple(d.get("forms") or ()), towns=tuple(d.get("towns") or ()))
            for d in data.get("districts") or ()
        ),
        localities=tuple(
            Locality(name=loc["name"], forms=tuple(loc.get("forms") or ()))
            for loc in data.get("localities") or ()
        ),
    )


@lru_cache(maxsize=4)
def _pack(path: str) -> AppealsPack:
    return pack_from_file(Path(path))


def appeals_pack() -> AppealsPack:
    return _pack(str(getattr(settings, "QYZMET_APPEALS_FILE", DEFAULT_FILE)))

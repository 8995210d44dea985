"""Finding the place of an appeal from its address, with no network geocoder.

Two sources, both inside the product:

(a) the country pack's districts: their kk/ru/en names and extra forms (a Russian adjective name
    in any case, "в Невском районе", "Невского р-на"; "Есіл ауданы"; "Nevsky District"), and the
    towns that lie wholly in a district ("город Колпино" → Колпинский);
(b) a gazetteer learned from earlier appeals that came with both an address and coordinates
    (`AddressPoint`): a normalised (city, street, house) keeps the recent points citizens gave,
    and an address-only appeal for the same house is put at their median, in the district most
    of them fell in; a street without a house number gives only its district, when the appeals
    on that street agree.

Parsing is small and deterministic on purpose: the same words always give the same key, so what
was learned from "г.Санкт-Петербург, Мебельная улица, дом 47, корпус 1, литера А" is found again
for "ул. Мебельная, д. 47 к. 1". Learning only ever uses coordinates a person gave (never our own
approximations), and a key whose points disagree (two cities with the same street, or a wrong
point) resolves to nothing rather than to a guess."""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from .config import AppealsPack, appeals_pack
from .duplicates import distance_m
from .models import AddressPoint, Appeal

SAMPLES_MAX = 25  # points kept per house: enough for a stable median, small to store
SPREAD_MAX_M = 500.0  # a point farther than this from the median is about another place
AGREE_SHARE = 2 / 3  # ...and at least this share of the points must be near the median
STREET_MIN_APPEALS = 3  # a street names its district after this many appeals...
STREET_AGREE_SHARE = 0.8  # ...of which at least this share fell in that district

_WORD_EDGE_L = r"(?<![\w-])"
_WORD_EDGE_R = r"(?![\w-])"

ENGLISH_TYPES = frozenset(
    {
        "street",
        "st",
        "avenue",
        "ave",
        "av",
        "lane",
        "road",
        "rd",
        "boulevard",
        "blvd",
        "square",
        "embankment",
        "highway",
        "prospekt",
        "ulitsa",
        "koshesi",
        "dangyly",
    }
)
# Street-type words (ru, kk, en) and their abbreviations; they are dropped from the key, so
# "Мебельная улица" and "ул. Мебельная" are the same street.
STREET_TYPES = ENGLISH_TYPES | frozenset(
    {
        "ул",
        "улица",
        "пр",
        "пр-т",
        "пр-кт",
        "просп",
        "проспект",
        "пер",
        "переулок",
        "ш",
        "шоссе",
        "наб",
        "набережная",
        "б-р",
        "бул",
        "бульв",
        "бульвар",
        "пл",
        "площадь",
        "пр-д",
        "проезд",
        "линия",
        "лин",
        "аллея",
        "ал",
        "туп",
        "тупик",
        "дор",
        "дорога",
        "мкр",
        "мкрн",
        "микрорайон",
        "кв-л",
        "квартал",
        "тракт",
        "спуск",
        "шос",
        "көшесі",
        "көш",
        "даңғылы",
        "даң",
        "шағын",
    }
)
HOUSE_MARKERS = frozenset({"д", "дом", "үй", "house", "h", "no"})
KORPUS_MARKERS = frozenset({"к", "корп", "корпус", "building", "bldg"})
LITERA_MARKERS = frozenset({"лит", "литера", "литер", "литерa"})
STROENIE_MARKERS = frozenset({"стр", "строение"})
STOP_WORDS = frozenset(
    {
        "кв",
        "квартира",
        "подъезд",
        "под",
        "пад",
        "эт",
        "этаж",
        "офис",
        "оф",
        "пом",
        "помещение",
        "apt",
        "flat",
        "пәтер",
        "кіреберіс",
    }
)
# Words that open a part which is not the street ("муниципальный округ Звездное", "г. Пушкин").
NOISE_FIRST = frozenset(
    {
        "муниципальный",
        "мо",
        "г",
        "город",
        "гор",
        "пос",
        "поселок",
        "п",
        "пгт",
        "село",
        "с",
        "деревня",
        "дер",
        "район",
        "р-н",
        "область",
        "обл",
        "облысы",
        "қаласы",
        "қ",
        "кент",
        "россия",
        "рф",
        "казахстан",
        "қазақстан",
        "республика",
        "kazakhstan",
        "russia",
        "city",
    }
)
_HOUSE_RE = re.compile(
    r"(\d{1,4}[а-яa-zәғқңөұүһі]?(?:[/-]\d{1,4}[а-яa-zәғқңөұүһі]?){0,3})"
    r"(?:к(\d{1,3}))?(?:с(\d{1,3}))?"
)
_POSTCODE_RE = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class ParsedAddress:
    """The key parts of an address: its city (canonical name, or ""), street (normalised name
    words, or ""), house ("47к1", or "") and the district the address itself names, if any."""

    locality: str
    street: str
    house: str
    district: str | None


@dataclass(frozen=True)
class Place:
    """Where an appeal is: `status` is one of Appeal.PLACE_*; coordinates only for a point the
    citizen gave or a house the gazetteer knows."""

    status: str
    lat: float | None = None
    lon: float | None = None
    district: str | None = None


def normalise(text: str) -> str:
    """Case-folded, ё→е, quotes and brackets gone, single spaces."""
    text = unicodedata.normalize("NFKC", text or "").casefold().replace("ё", "е")
    text = re.sub(r"[«»\"'“”„()\[\]№#]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _phrase_pattern(phrase: str) -> str:
    """A regex for one way of naming a district: Russian adjective names in every case and with
    "район" or "р-н"; Kazakh "X ауданы" in any case; English "X district"; else the phrase."""
    phrase = normalise(re.sub(r"\(.*?\)", " ", phrase))
    if m := re.fullmatch(r"(.+?)(?:ий|ый|ой) район", phrase):
        return re.escape(m.group(1)) + r"(?:ий|ый|ой|ого|ому|им|ым|ом)\s+(?:район\w*|р-н\w*)"
    if m := re.fullmatch(r"(.+) ауданы", phrase):
        return re.escape(m.group(1)) + r"\s+аудан\w*"
    if m := re.fullmatch(r"(.+) district", phrase):
        return re.escape(m.group(1)) + r"\s+district"
    if m := re.fullmatch(r"район (.+)", phrase):
        return r"(?:район\w*|р-н\w*)\s+" + re.escape(m.group(1))
    return re.escape(phrase)


@dataclass(frozen=True)
class _Matchers:
    districts: tuple[tuple[re.Pattern[str], str], ...]  # (pattern, district name)
    places: tuple[tuple[re.Pattern[str], str, str | None], ...]  # (pattern, locality, district)


_matchers_cache: dict[int, _Matchers] = {}


def _matchers(pack: AppealsPack) -> _Matchers:
    """The pack's district phrases, cities and towns as compiled patterns (once per pack)."""
    cached = _matchers_cache.get(id(pack))
    if cached is not None:
        return cached
    districts = []
    places: list[tuple[re.Pattern[str], str, str | None]] = []
    for d in pack.districts:
        for phrase in {*d.names.values(), *d.forms}:
            pattern = _WORD_EDGE_L + _phrase_pattern(phrase) + _WORD_EDGE_R
            districts.append((re.compile(pattern), d.name))
        for town in d.towns:
            pattern = _WORD_EDGE_L + re.escape(normalise(town)) + _WORD_EDGE_R
            places.append((re.compile(pattern), town, d.name))
    for loc in pack.localities:
        for form in {loc.name, *loc.forms}:
            pattern = _WORD_EDGE_L + re.escape(normalise(form)) + _WORD_EDGE_R
            places.append((re.compile(pattern), loc.name, None))
    # Towns before cities (the more precise place), longer phrases first within each.
    places.sort(key=lambda item: (item[2] is None, -len(item[0].pattern)))
    found = _Matchers(tuple(districts), tuple(places))
    _matchers_cache.clear()
    _matchers_cache[id(pack)] = found
    return found


def _cut(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + "," + text[match.end() :]


def _tokens(part: str) -> list[str]:
    return [t for t in re.split(r"[\s.]+", part) if t and t not in {"-", "/"}]


def _name_like(token: str) -> bool:
    return (
        any(ch.isalpha() for ch in token)
        and token not in STREET_TYPES
        and token not in HOUSE_MARKERS
        and token not in KORPUS_MARKERS
        and token not in LITERA_MARKERS
        and token not in STROENIE_MARKERS
        and not _HOUSE_RE.fullmatch(token)
        and not re.fullmatch(r"к\d+", token)
    )


def _house(tail: list[str]) -> str:
    """ "дом 47 корпус 1 литера а" → "47к1"; stops at a flat, an entrance or other words."""
    house = korpus = building = ""
    expect = ""
    for token in tail:
        if token in STREET_TYPES:
            continue
        if token in HOUSE_MARKERS:
            expect = "house"
            continue
        if token in KORPUS_MARKERS:
            expect = "korpus"
            continue
        if token in STROENIE_MARKERS:
            expect = "building"
            continue
        if token in LITERA_MARKERS:
            expect = "litera"
            continue
        if expect == "litera":
            expect = ""
            continue
        if token in STOP_WORDS:
            break
        if house and (m := re.fullmatch(r"к(\d{1,3})", token)):
            korpus = korpus or m.group(1)
            continue
        m = _HOUSE_RE.fullmatch(token)
        if m is None:
            if house:
                break
            continue
        if not house and expect in ("", "house"):
            house, korpus, building = m.group(1), m.group(2) or korpus, m.group(3) or building
        elif house and expect == "korpus":
            korpus = m.group(1)
        elif house and expect == "building":
            building = m.group(1)
        else:
            break  # a second number: a flat or an office
        expect = ""
    if not house:
        return ""
    return house + (f"к{korpus}" if korpus else "") + (f"с{building}" if building else "")


def address_parse(address: str, *, pack: AppealsPack | None = None) -> ParsedAddress:
    """Split an address into the gazetteer's key and the district it names (if any)."""
    pack = pack or appeals_pack()
    matchers = _matchers(pack)
    text = normalise(address)
    district = None
    first_at = len(text) + 1
    for pattern, name in matchers.districts:
        m = pattern.search(text)
        if m and m.start() < first_at:
            district, first_at = name, m.start()
    if district is not None:
        for pattern, name in matchers.districts:
            if name == district:
                text = pattern.sub(",", text)
    locality = ""
    for pattern, name, town_district in matchers.places:
        m = pattern.search(text)
        if m is None:
            continue
        if not locality:
            locality = name
        district = district or town_district
        text = _cut(text, m)
    parts = [_tokens(p) for p in re.split(r"[,;]", text)]
    parts = [p for p in parts if p and not (len(p) == 1 and _POSTCODE_RE.match(p[0]))]
    street_at = next((i for i, p in enumerate(parts) if any(t in STREET_TYPES for t in p)), None)
    if street_at is None:
        street_at = next(
            (
                i
                for i, p in enumerate(parts)
                if p[0] not in NOISE_FIRST and any(_name_like(t) for t in p)
            ),
            None,
        )
    if street_at is None:
        return ParsedAddress(locality, "", "", district)
    tokens = parts[street_at]
    last_name = max((i for i, t in enumerate(tokens) if _name_like(t)), default=-1)
    street = [t for t in tokens[: last_name + 1] if t not in STREET_TYPES]
    tail = tokens[last_name + 1 :] + [t for p in parts[street_at + 1 :] for t in p]
    house = _house(tail)
    if (
        not house
        and len(street) > 1
        and _HOUSE_RE.fullmatch(street[0])
        and any(t in ENGLISH_TYPES for t in tokens)
    ):
        house = street.pop(0)  # "5 Sedova street": English puts the number first
    return ParsedAddress(locality, " ".join(street)[:200], house[:30], district)


# --- reading -----------------------------------------------------------------------------------


def _agreeing_median(samples: list[list[Any]]) -> tuple[float, float, str | None] | None:
    """The median of the points, when most of them lie near it; with the district most of those
    near points fell in. None when the points are about different places."""
    points = [s for s in samples if isinstance(s, list | tuple) and len(s) >= 2]
    if not points:
        return None
    lat = statistics.median(float(s[0]) for s in points)
    lon = statistics.median(float(s[1]) for s in points)
    near = [s for s in points if distance_m(lat, lon, float(s[0]), float(s[1])) <= SPREAD_MAX_M]
    if len(near) < AGREE_SHARE * len(points):
        return None
    districts = Counter(s[2] for s in near if len(s) > 2 and s[2])
    return lat, lon, districts.most_common(1)[0][0] if districts else None


def _street_district(rows: list[AddressPoint]) -> str | None:
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update({k: int(v) for k, v in (row.districts or {}).items()})
    total = sum(counts.values())
    if total < STREET_MIN_APPEALS:
        return None
    name, n = counts.most_common(1)[0]
    return name if n >= STREET_AGREE_SHARE * total else None


def address_resolve(address: str) -> Place:
    """Where an address is, as far as the product knows: a house learned from earlier appeals
    (approximate coordinates and district), a district the address names or implies, a street
    whose appeals agree on a district, or unresolved. One query."""
    parsed = address_parse(address)
    rows: list[AddressPoint] = []
    if parsed.street:
        rows = [
            r
            for r in AddressPoint.objects.filter(
                street=parsed.street, house__in=sorted({parsed.house, ""})
            )
            if not parsed.locality or r.locality in (parsed.locality, "")
        ]
    if parsed.house:
        house_rows = [r for r in rows if r.house == parsed.house]
        if parsed.locality:  # the city's own entries when it has any, else those without a city
            house_rows = [r for r in house_rows if r.locality == parsed.locality] or [
                r for r in house_rows if not r.locality
            ]
        found = _agreeing_median([s for r in house_rows for s in r.samples])
        if found is not None:
            lat, lon, district = found
            return Place(
                Appeal.PLACE_STREET, round(lat, 7), round(lon, 7), district or parsed.district
            )
    if parsed.district:
        return Place(Appeal.PLACE_DISTRICT, district=parsed.district)
    district = _street_district([r for r in rows if not r.house])
    if district:
        return Place(Appeal.PLACE_DISTRICT, district=district)
    return Place(Appeal.PLACE_UNRESOLVED)


# --- learning ----------------------------------------------------------------------------------


def _summarise(row: AddressPoint) -> None:
    """Median point and majority district of a house row, from its samples."""
    points = [s for s in row.samples if len(s) >= 2]
    if points:
        row.lat = round(statistics.median(float(s[0]) for s in points), 7)
        row.lon = round(statistics.median(float(s[1]) for s in points), 7)
        districts = Counter(s[2] for s in points if len(s) > 2 and s[2])
        row.district = districts.most_common(1)[0][0] if districts else None


def _street_summarise(row: AddressPoint) -> None:
    counts = Counter({k: int(v) for k, v in (row.districts or {}).items()})
    row.district = counts.most_common(1)[0][0] if counts else None


def gazetteer_learn(*, address: str, lat: float, lon: float, district: str | None) -> bool:
    """Remember where a citizen put an address (called when an appeal with both is saved, in
    the same transaction). Returns False when the address has no street to key it by."""
    parsed = address_parse(address)
    if not parsed.street or not all(map(math.isfinite, (lat, lon))):
        return False
    with transaction.atomic():
        if parsed.house:
            row, _ = AddressPoint.objects.select_for_update().get_or_create(
                locality=parsed.locality, street=parsed.street, house=parsed.house
            )
            row.samples = [*row.samples, [lat, lon, district]][-SAMPLES_MAX:]
            row.count += 1
            _summarise(row)
            row.save(update_fields=["samples", "count", "lat", "lon", "district", "updated_at"])
        street, _ = AddressPoint.objects.select_for_update().get_or_create(
            locality=parsed.locality, street=parsed.street, house=""
        )
        street.count += 1
        if district:
            street.districts = {
                **street.districts,
                district: int(street.districts.get(district, 0)) + 1,
            }
        _street_summarise(street)
        street.save(update_fields=["districts", "count", "district", "updated_at"])
    return True


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@transaction.atomic
def gazetteer_load(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Fill the gazetteer from appeal records (`address`, `lat`, `lon`, `district`, as in the
    appeals JSONL), e.g. from the demo loader. Each key found in the records is set to what the
    records say (so loading the same file twice gives the same table); other keys are kept.
    Records outside the jurisdiction or without a street are skipped."""
    pack = appeals_pack()
    houses: dict[tuple[str, str, str], list[list[Any]]] = {}
    streets: dict[tuple[str, str], Counter[str]] = {}
    used = 0
    for record in records:
        lat, lon = _float(record.get("lat")), _float(record.get("lon"))
        address = record.get("address") or ""
        if lat is None or lon is None or not address or not pack.in_jurisdiction(lat, lon):
            continue
        parsed = address_parse(str(address), pack=pack)
        if not parsed.street:
            continue
        used += 1
        district = record.get("district") or None
        if parsed.house:
            houses.setdefault((parsed.locality, parsed.street, parsed.house), []).append(
                [lat, lon, district]
            )
        counter = streets.setdefault((parsed.locality, parsed.street), Counter())
        counter[district or ""] += 1
    now = timezone.now()
    rows = []
    for (locality, street, house), samples in houses.items():
        row = AddressPoint(
            locality=locality,
            street=street,
            house=house,
            samples=samples[-SAMPLES_MAX:],
            count=len(samples),
            updated_at=now,
        )
        _summarise(row)
        rows.append(row)
    for (locality, street), counter in streets.items():
        named = {k: v for k, v in counter.items() if k}
        row = AddressPoint(
            locality=locality,
            street=street,
            house="",
            districts=named,
            count=sum(counter.values()),
            updated_at=now,
        )
        _street_summarise(row)
        rows.append(row)
    AddressPoint.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["locality", "street", "house"],
        update_fields=["lat", "lon", "district", "samples", "districts", "count", "updated_at"],
    )
    return {"records": used, "houses": len(houses), "streets": len(streets)}

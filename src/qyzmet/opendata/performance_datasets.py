"""The agency performance evaluation's datasets: importing this module registers them.

Seven tables, all counts per group with cells of 1–4 published empty (`suppress_small`), built
from the aggregates of `qyzmet.applications.statistics` and `qyzmet.appeals.statistics`:

* applications are counted by the month they were **submitted** (a cohort: what became of the
  applications of that month, as of the publication) — `applications-by-agency-month`, the
  cumulative days-to-decision table `decision-days-by-agency-month` (the one the medians of the
  evaluation are computed from: medians cannot be added up, cumulative counts can) and
  `refusals-by-ground` (refusals per service and coded ground);
* appeals by the month they were **received** — `appeals-by-category-district-month`,
  `appeals-by-agency-month` and `appeal-ratings-by-agency-category-month`;
* `performance-by-agency-period`: the same counts added up over each period the public page
  offers (the last 12 complete months, each calendar year) per agency and per service, so that
  the page's percentages, means and medians are computed from counts over the whole period,
  never from the months whose cells happen to be published (which months are suppressed depends
  on the suppressed values: leaving them out skews a rate).

Days to decision are **working days** (the Law on Public Services counts deadlines in working
days; the platform's working calendar): from the local date of submission to the local date of
the final decision, not counting the day of submission. An application is decided "within the
legal deadline" when the date of its final decision is on or before its legal due date (the
clock stops while the applicant is asked for more, and the due date moves accordingly).

An officer refuses on a coded ground of the service package (its `refusal_grounds`) and explains
in free text: the ground's code and its words from the package are published, the free text
never is. Refusals of versions published before grounds existed count under the ground
`not_recorded`. Applications have no citizen rating; appeals do (1–5 after an answer).

Retired (no new versions; their published versions stay downloadable): the per-service tables
`applications-by-service-month` and `application-deadlines-by-service-month`, which nothing read
once the page's per-service figures came from `performance-by-agency-period`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.utils import timezone

from qyzmet.appeals.statistics import appeal_groups
from qyzmet.applications.statistics import application_groups, refusal_groups
from qyzmet.catalog.selectors import service_version
from qyzmet.core.calendar import calendar_default
from qyzmet.core.open_datasets import Publisher, register, suppress_small
from qyzmet.core.problem import Problem
from qyzmet.identity.selectors import organisation_names

ALL_SERVICES = "*"  # the `service` of a decision-days row counting every service of the agency
MAX_DAYS = 60  # the cumulative days-to-decision table goes from 0 to this many working days
UNKNOWN = "unknown"  # an appeal's category or district nobody has set yet

DS_SERVICE = "applications-by-service-month"  # retired
DS_DEADLINES = "application-deadlines-by-service-month"  # retired
RETIRED = (DS_SERVICE, DS_DEADLINES)
DS_AGENCY = "applications-by-agency-month"
DS_DAYS = "decision-days-by-agency-month"
DS_APPEALS = "appeals-by-category-district-month"
DS_APPEALS_AGENCY = "appeals-by-agency-month"
DS_RATINGS = "appeal-ratings-by-agency-category-month"
DS_PERIOD = "performance-by-agency-period"
DS_GROUNDS = "refusals-by-ground"
DS_GROUNDS_PERIOD = "refusals-by-ground-period"
DATASETS = (DS_AGENCY, DS_DAYS, DS_APPEALS, DS_APPEALS_AGENCY, DS_RATINGS, DS_PERIOD,
            DS_GROUNDS, DS_GROUNDS_PERIOD)  # fmt: skip
NOT_RECORDED = "not_recorded"  # the ground of a refusal made before the service had grounds
NOT_RECORDED_LABEL = {"kk": "Негізі жазылмаған", "ru": "Основание не записано",
                      "en": "Ground not recorded"}  # fmt: skip
LAST_12 = "12m"  # the `period` of the last 12 complete months


# --- the periods the public page offers ---------------------------------------------------------


def last_months(today: dt.date, count: int = 12) -> list[str]:
    """The `count` calendar months ending with the month of `today` (it included)."""
    year, month = today.year, today.month
    out = []
    for _i in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if not month:
            year, month = year - 1, 12
    return sorted(out)


def last_complete_months(today: dt.date, count: int = 12) -> list[str]:
    """The `count` calendar months ending with the last complete month before `today`'s."""
    return last_months(today.replace(day=1) - dt.timedelta(days=1), count)


def year_months(year: int) -> list[str]:
    return [f"{year:04d}-{m:02d}" for m in range(1, 13)]


def _t(en: str, ru: str, kk: str) -> dict[str, str]:
    return {"kk": kk, "ru": ru, "en": en}


def _field(name: str, ftype: str, title: dict, description: dict, **extra: Any) -> dict:
    spec = {"name": name, "type": ftype, "title": title["en"], "description": description["en"],
            "titles": title, "descriptions": description}  # fmt: skip
    spec.update(extra)
    return spec


MONTH_SUBMITTED = _field(
    "month", "string",
    _t("Month", "Месяц", "Ай"),
    _t("The month the applications were submitted (YYYY-MM, local time).",
       "Месяц подачи заявлений (ГГГГ-ММ, местное время).",
       "Өтінімдер берілген ай (ЖЖЖЖ-АА, жергілікті уақыт)."),
    constraints={"required": True, "pattern": r"\d{4}-\d{2}"},
)  # fmt: skip
MONTH_RECEIVED = _field(
    "month", "string",
    _t("Month", "Месяц", "Ай"),
    _t("The month the appeals were received (YYYY-MM, local time).",
       "Месяц поступления обращений (ГГГГ-ММ, местное время).",
       "Өтініштер келіп түскен ай (ЖЖЖЖ-АА, жергілікті уақыт)."),
    constraints={"required": True, "pattern": r"\d{4}-\d{2}"},
)  # fmt: skip

# The three columns that name a period of the agency page (both per-period tables).
PERIOD_FIELDS = (
    _field("period", "string", _t("Period", "Период", "Кезең"),
           _t("«12m» for the last 12 complete months, or a calendar year (YYYY).",
              "«12m» — последние 12 полных месяцев, или календарный год (ГГГГ).",
              "«12m» — соңғы 12 толық ай, немесе күнтізбелік жыл (ЖЖЖЖ)."),
           constraints={"required": True}),
    _field("first_month", "string", _t("First month", "Первый месяц", "Бірінші ай"),
           _t("The period's first month (YYYY-MM).", "Первый месяц периода (ГГГГ-ММ).",
              "Кезеңнің бірінші айы (ЖЖЖЖ-АА)."),
           constraints={"required": True, "pattern": r"\d{4}-\d{2}"}),
    _field("last_month", "string", _t("Last month", "Последний месяц", "Соңғы ай"),
           _t("The period's last month (YYYY-MM).", "Последний месяц периода (ГГГГ-ММ).",
              "Кезеңнің соңғы айы (ЖЖЖЖ-АА)."),
           constraints={"required": True, "pattern": r"\d{4}-\d{2}"}),
)

AGENCY = _field(
    "agency", "string",
    _t("Agency", "Ведомство", "Мекеме"),
    _t("The agency's code in the platform's organisation register.",
       "Код ведомства в реестре организаций платформы.",
       "Платформаның ұйымдар тізіліміндегі мекеме коды."),
    constraints={"required": True},
)  # fmt: skip
AGENCY_NAMES = [
    _field(f"agency_name_{lang}", "string",
           _t(f"Agency name ({lang})", f"Название ведомства ({lang})", f"Мекеме атауы ({lang})"),
           _t("The agency's name in this language.", "Название ведомства на этом языке.",
              "Мекеменің осы тілдегі атауы."))
    for lang in ("kk", "ru", "en")
]  # fmt: skip
SERVICE = _field(
    "service", "string",
    _t("Service", "Услуга", "Қызмет"),
    _t("The service's code in the service catalogue.", "Код услуги в каталоге услуг.",
       "Қызметтер каталогындағы қызмет коды."),
    constraints={"required": True},
)  # fmt: skip
SUPPRESSED = (" Empty when 1–4 (suppressed).", " Пусто, если 1–4 (скрыто).",
              " 1–4 болса, бос (жасырылған).")


def _count(name: str, title: dict, description: tuple[str, str, str]) -> dict:
    en, ru, kk = (d + s for d, s in zip(description, SUPPRESSED, strict=True))
    return _field(name, "integer", title, _t(en, ru, kk), constraints={"minimum": 0},
                  personal="count")


SUBMITTED = _count("submitted", _t("Submitted", "Подано", "Берілді"),
                   ("Applications submitted in the month.", "Заявлений подано за месяц.",
                    "Айда берілген өтінімдер."))  # fmt: skip
OUTCOMES = [
    _count("approved", _t("Approved", "Одобрено", "Мақұлданды"),
           ("Of them, approved.", "Из них одобрено.", "Оның ішінде мақұлданғаны.")),
    _count("refused", _t("Refused", "Отказано", "Бас тартылды"),
           ("Of them, refused.", "Из них отказано.", "Оның ішінде бас тартылғаны.")),
    _count("withdrawn", _t("Withdrawn", "Отозвано", "Кері қайтарылды"),
           ("Of them, withdrawn by the applicant.", "Из них отозвано заявителем.",
            "Оның ішінде өтінім беруші кері қайтарғаны.")),
    _count("in_progress", _t("In progress", "В работе", "Қаралуда"),
           ("Of them, not decided yet.", "Из них ещё не решено.", "Оның ішінде әлі шешілмегені.")),
]  # fmt: skip
DECIDED = _count("decided", _t("Decided", "Решено", "Шешілді"),
                 ("Of them, decided (approved or refused).",
                  "Из них решено (одобрено или отказано).",
                  "Оның ішінде шешілгені (мақұлданған немесе бас тартылған)."))  # fmt: skip
IN_TIME = _count("decided_in_time",
                 _t("Decided within the deadline", "Решено в срок", "Мерзімінде шешілді"),
                 ("Of the decided, decided on or before the legal due date.",
                  "Из решённых решено не позднее установленного законом срока.",
                  "Шешілгендердің ішінде заңда белгіленген мерзімге дейін шешілгені."))  # fmt: skip
OVERDUE = _count("overdue_open", _t("Overdue, still open", "Просрочено, не решено",
                                    "Мерзімі өтті, шешілмеген"),
                 ("Of them, still open after the legal due date (not counting cases waiting "
                  "for the applicant).",
                  "Из них не решено после установленного срока (без ожидающих заявителя).",
                  "Оның ішінде белгіленген мерзімнен кейін әлі шешілмегені (өтінім берушіні "
                  "күтіп тұрғандарынсыз)."))  # fmt: skip


def _publisher(name: str, title: dict, description: dict, fields: list[dict], key: list[str],
               rows, tags: tuple[str, ...]) -> Publisher:
    return register(Publisher(
        name=name, organisation="", title=title, description=description,
        schema={"fields": fields, "primaryKey": key, "missingValues": [""]},
        rows=rows, tags=("performance", *tags), frequency="daily", theme="GOVE",
    ))  # fmt: skip


# --- computing the rows ------------------------------------------------------------------------


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@lru_cache(maxsize=20000)
def _working_days(start: dt.date, end: dt.date) -> int:
    return max(0, calendar_default().working_days_between(start, end))


def _names(codes: Iterable[str]) -> dict[str, dict]:
    return organisation_names(codes=sorted(set(codes)))


class _Apps:
    """Per (month, agency, service): the counts and the working days of each decision."""

    def __init__(self) -> None:
        today = timezone.localdate()
        self.counts: dict[tuple[str, str, str], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(("submitted", "approved", "refused", "withdrawn", "in_progress",
                                   "decided", "decided_in_time", "overdue_open"), 0)
        )  # fmt: skip
        self.days: dict[tuple[str, str, str], list[tuple[int, int]]] = defaultdict(list)
        for g in application_groups():
            key = (_month(g.submitted_on), g.agency, g.service)
            c = self.counts[key]
            c["submitted"] += g.count
            if g.is_open or g.awaiting_evidence or not g.outcome:
                c["in_progress"] += g.count
                if g.is_open and not g.paused and g.due_date and g.due_date < today:
                    c["overdue_open"] += g.count
                continue
            c[g.outcome if g.outcome in ("approved", "refused", "withdrawn") else "in_progress"] \
                += g.count  # fmt: skip
            if g.outcome in ("approved", "refused") and g.decided_on is not None:
                c["decided"] += g.count
                if g.due_date is not None and g.decided_on <= g.due_date:
                    c["decided_in_time"] += g.count
                self.days[key].append((_working_days(g.submitted_on, g.decided_on), g.count))


def median_low(pairs: list[tuple[int, int]]) -> int | None:
    """The smallest value v such that at least half of the items are ≤ v (the lower median),
    from (value, how many) pairs."""
    total = sum(n for _v, n in pairs)
    if not total:
        return None
    seen = 0
    for value, n in sorted(pairs):
        seen += n
        if 2 * seen >= total:
            return value
    return None  # pragma: no cover


def _name_columns(names: dict[str, dict], code: str) -> dict[str, str]:
    known = names.get(code) or {}
    return {f"agency_name_{lang}": known.get(lang) or "" for lang in ("kk", "ru", "en")}


def _rows_agency() -> list[dict]:
    apps = _Apps()
    totals: dict[tuple[str, str], dict[str, int]] = {}
    for (m, a, _s), c in apps.counts.items():
        t = totals.setdefault((m, a), dict.fromkeys(c, 0))
        for k, v in c.items():
            t[k] += v
    names = _names(a for _m, a in totals)
    return [
        {"month": m, "agency": a, **_name_columns(names, a),
         **{k: suppress_small(v) for k, v in t.items()}}
        for (m, a), t in sorted(totals.items())
    ]  # fmt: skip


def _rows_days() -> list[dict]:
    apps = _Apps()
    per_key: dict[tuple[str, str, str], list[tuple[int, int]]] = defaultdict(list)
    for (m, a, s), pairs in apps.days.items():
        per_key[(m, a, s)].extend(pairs)
        per_key[(m, a, ALL_SERVICES)].extend(pairs)
    rows: list[dict] = []
    for (m, a, s), pairs in sorted(per_key.items()):
        decided = sum(n for _d, n in pairs)
        if decided < 5:
            continue  # every cell would be suppressed: the key is left out
        within = [0] * (MAX_DAYS + 1)
        for days, n in pairs:
            for d in range(days, MAX_DAYS + 1):
                within[d] += n
        rows.extend(
            {"month": m, "agency": a, "service": s, "decided": decided, "working_days": d,
             "decided_within": suppress_small(within[d])}
            for d in range(MAX_DAYS + 1)
        )  # fmt: skip
    return rows


def _appeal_counts(key_of) -> dict[tuple, dict[str, Any]]:
    counts: dict[tuple, dict[str, Any]] = {}
    for g in appeal_groups():
        key = key_of(g)
        if key is None:
            continue
        c = counts.setdefault(key, {"received": 0, "answered": 0, "answered_in_time": 0,
                                    "hours": [], "rated": 0, "rating_sum": 0})  # fmt: skip
        c["received"] += g.count
        if g.answered:
            c["answered"] += g.count
            c["hours"].append((g.response_hours, g.count))
            if g.answered_on_time:
                c["answered_in_time"] += g.count
        if g.rating is not None:
            c["rated"] += g.count
            c["rating_sum"] += g.rating * g.count
    return counts


def _rows_appeals() -> list[dict]:
    counts = _appeal_counts(
        lambda g: (_month(g.received_on), g.category or UNKNOWN, g.district or UNKNOWN)
    )
    return [
        {"month": m, "category": cat, "district": dis,
         "received": suppress_small(c["received"]), "answered": suppress_small(c["answered"]),
         "answered_in_time": suppress_small(c["answered_in_time"]),
         "median_response_hours": median_low(c["hours"]) if c["answered"] >= 5 else None}
        for (m, cat, dis), c in sorted(counts.items())
    ]  # fmt: skip


def _rated(c: dict[str, Any]) -> dict[str, Any]:
    rated = suppress_small(c["rated"])
    return {"rated": rated, "rating_sum": c["rating_sum"] if rated is not None else None}


def _rows_appeals_agency() -> list[dict]:
    counts = _appeal_counts(
        lambda g: (_month(g.received_on), g.organisation) if g.organisation else None
    )
    names = _names(a for _m, a in counts)
    return [
        {"month": m, "agency": a, **_name_columns(names, a),
         "received": suppress_small(c["received"]), "answered": suppress_small(c["answered"]),
         "answered_in_time": suppress_small(c["answered_in_time"]), **_rated(c)}
        for (m, a), c in sorted(counts.items())
    ]  # fmt: skip


def _rows_ratings() -> list[dict]:
    counts = _appeal_counts(
        lambda g: (_month(g.received_on), g.organisation, g.category or UNKNOWN)
        if g.organisation and g.rating is not None else None
    )  # fmt: skip
    rows = []
    for (m, a, cat), c in sorted(counts.items()):
        rated = _rated(c)
        mean = round(c["rating_sum"] / c["rated"], 2) if rated["rated"] is not None else None
        rows.append({"month": m, "agency": a, "category": cat, "ratings": rated["rated"],
                     "rating_sum": rated["rating_sum"], "rating_mean": mean})
    return rows


def _ground_words(version_ids: Iterable[int]) -> dict[tuple[str, str], dict[str, str]]:
    """{(service, ground code): its words {kk, ru, en}} from the package versions refusals were
    decided under; when versions word a code differently, the newest version's words."""
    words: dict[tuple[str, str], tuple[int, dict[str, str]]] = {}
    for version_id in sorted(set(version_ids)):
        try:
            found = service_version(version_id=version_id)
        except Problem:  # not in the catalogue (packages are never deleted): keep the code
            continue
        for ground in found.package.refusal_grounds:
            key = (found.code, ground.code)
            if key not in words or words[key][0] < found.version:
                words[key] = (found.version, ground.label.as_dict())
    return {key: text for key, (_v, text) in words.items()}


def _ground_counts() -> tuple[dict[tuple[str, str, str, str], int],
                               dict[tuple[str, str], dict[str, str]]]:
    """({(month, agency, service, ground): refusals}, the grounds' words)."""
    counts: dict[tuple[str, str, str, str], int] = defaultdict(int)
    groups = refusal_groups()
    for g in groups:
        counts[(_month(g.submitted_on), g.agency, g.service, g.ground or NOT_RECORDED)] += g.count
    return counts, _ground_words(g.service_version_id for g in groups)


def _ground_columns(words: dict[tuple[str, str], dict[str, str]], service: str,
                    ground: str) -> dict[str, str]:
    text = NOT_RECORDED_LABEL if ground == NOT_RECORDED else words.get((service, ground), {})
    return {f"ground_label_{lang}": text.get(lang) or ground for lang in ("kk", "ru", "en")}


def _rows_grounds() -> list[dict]:
    """Refusals per month of submission, agency, service and ground. A ground is a service's:
    the same code may mean another thing in another service, so there is no all-services row."""
    counts, words = _ground_counts()
    return [
        {"month": m, "agency": a, "service": s, "ground": ground,
         **_ground_columns(words, s, ground), "refused": suppress_small(n)}
        for (m, a, s, ground), n in sorted(counts.items())
    ]  # fmt: skip


def _rows_grounds_period() -> list[dict]:
    """The same added up over each period the public page offers (as `_rows_period`), so the
    page's top grounds are counted over the whole period, never from the months whose cells
    happen to be published."""
    counts, words = _ground_counts()
    years = sorted({int(m[:4]) for m, _a, _s, _g in counts})
    periods = [(LAST_12, last_complete_months(timezone.localdate()))]
    periods += [(str(y), year_months(y)) for y in years]
    rows: list[dict] = []
    for period, months in periods:
        wanted = set(months)
        totals: dict[tuple[str, str, str], int] = defaultdict(int)
        for (m, a, s, ground), n in counts.items():
            if m in wanted:
                totals[(a, s, ground)] += n
        rows.extend(
            {"period": period, "first_month": months[0], "last_month": months[-1], "agency": a,
             "service": s, "ground": ground, **_ground_columns(words, s, ground),
             "refused": suppress_small(n)}
            for (a, s, ground), n in sorted(totals.items())
        )  # fmt: skip
    return rows


def _rows_period() -> list[dict]:
    apps = _Apps()
    appeals = _appeal_counts(
        lambda g: (_month(g.received_on), g.organisation) if g.organisation else None
    )
    years = sorted({int(m[:4]) for m, _a, _s in apps.counts} | {int(m[:4]) for m, _a in appeals})
    periods = [(LAST_12, last_complete_months(timezone.localdate()))]
    periods += [(str(y), year_months(y)) for y in years]
    names = _names({a for _m, a, _s in apps.counts} | {a for _m, a in appeals})
    app_keys = ("submitted", "approved", "refused", "decided", "decided_in_time")
    appeal_keys = ("received", "answered", "answered_in_time", "rated", "rating_sum")
    rows = []
    for period, months in periods:
        wanted = set(months)
        totals: dict[tuple[str, str], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(app_keys + appeal_keys, 0))
        days: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
        for (m, a, s), c in apps.counts.items():
            if m not in wanted:
                continue
            for key in ((a, ALL_SERVICES), (a, s)):
                for k in app_keys:
                    totals[key][k] += c[k]
                days[key].extend(apps.days[(m, a, s)])
        for (m, a), c in appeals.items():
            if m in wanted:
                for k in appeal_keys:
                    totals[(a, ALL_SERVICES)][k] += c[k]
        for (a, s), t in sorted(totals.items()):
            row = {"period": period, "first_month": months[0], "last_month": months[-1],
                   "agency": a, "service": s, **_name_columns(names, a),
                   **{k: suppress_small(t[k]) for k in app_keys},
                   "median_working_days": (
                       median_low(days[(a, s)]) if t["decided"] >= 5 else None)}  # fmt: skip
            if s == ALL_SERVICES:
                row.update({k: suppress_small(t[k]) for k in appeal_keys[:3]}, **_rated(t))
            else:
                row.update(dict.fromkeys(appeal_keys))
            rows.append(row)
    return rows


# --- the publishers ----------------------------------------------------------------------------

_publisher(
    DS_AGENCY,
    _t("Applications per agency and month", "Заявления по ведомствам и месяцам",
       "Мекемелер және айлар бойынша өтінімдер"),
    _t("Every service of an agency together, per month of submission: outcomes, decisions "
       "within the legal deadline and overdue cases. The evaluation of agencies is computed "
       "from this table.",
       "Все услуги ведомства вместе, по месяцу подачи: результаты, решения в установленный "
       "срок и просрочки. Оценка ведомств вычисляется по этой таблице.",
       "Мекеменің барлық қызметтері бірге, берілген айы бойынша: нәтижелер, белгіленген "
       "мерзімдегі шешімдер және мерзімі өткендер. Мекемелерді бағалау осы кестеден есептеледі."),
    [MONTH_SUBMITTED, AGENCY, *AGENCY_NAMES, SUBMITTED, *OUTCOMES, DECIDED, IN_TIME, OVERDUE],
    ["month", "agency"], _rows_agency, ("applications", "deadlines"),
)  # fmt: skip

_publisher(
    DS_DAYS,
    _t("Working days to decision per agency and month (cumulative)",
       "Рабочие дни до решения по ведомствам и месяцам (нарастающим итогом)",
       "Мекемелер және айлар бойынша шешімге дейінгі жұмыс күндері (жинақталған)"),
    _t("For each agency (service «*») and each of its services, per month of submission: "
       "how many decisions took at most 0, 1, 2 … 60 working days. Medians over several months "
       "are computed from these counts.",
       "Для каждого ведомства (услуга «*») и каждой его услуги, по месяцу подачи: сколько "
       "решений заняли не более 0, 1, 2 … 60 рабочих дней. Медианы за несколько месяцев "
       "вычисляются по этим числам.",
       "Әр мекеме (қызмет «*») және оның әр қызметі үшін, берілген айы бойынша: қанша шешім "
       "ең көбі 0, 1, 2 … 60 жұмыс күні алды. Бірнеше айдың медианасы осы сандардан есептеледі."),
    [MONTH_SUBMITTED, AGENCY,
     _field("service", "string", _t("Service", "Услуга", "Қызмет"),
            _t("The service's code, or «*» for every service of the agency together.",
               "Код услуги или «*» для всех услуг ведомства вместе.",
               "Қызмет коды немесе мекеменің барлық қызметі үшін «*»."),
            constraints={"required": True}),
     _field("decided", "integer", _t("Decided", "Решено", "Шешілді"),
            _t("Decisions on the month's applications (approved or refused); only groups with "
               "at least 5 have rows.",
               "Решений по заявлениям месяца (одобрено или отказано); строки есть только у "
               "групп, где их не меньше 5.",
               "Айдағы өтінімдер бойынша шешімдер (мақұлданған немесе бас тартылған); тек кемінде "
               "5 шешімі бар топтардың жолдары бар."),
            constraints={"minimum": 5}, personal="count"),
     _field("working_days", "integer", _t("Working days", "Рабочих дней", "Жұмыс күні"),
            _t("A number of working days from 0 to 60.", "Число рабочих дней от 0 до 60.",
               "0-ден 60-қа дейінгі жұмыс күндерінің саны."),
            constraints={"minimum": 0, "maximum": MAX_DAYS}),
     _count("decided_within",
            _t("Decided within that many working days", "Решено не более чем за столько дней",
               "Осынша жұмыс күнінде шешілді"),
            ("Decisions that took at most this many working days.",
             "Решений, принятых не более чем за столько рабочих дней.",
             "Осы жұмыс күнінен аспай қабылданған шешімдер."))],
    ["month", "agency", "service", "working_days"], _rows_days, ("applications", "deadlines"),
)  # fmt: skip

RECEIVED = _count("received", _t("Received", "Поступило", "Келіп түсті"),
                  ("Appeals received in the month.", "Обращений поступило за месяц.",
                   "Айда келіп түскен өтініштер."))  # fmt: skip
ANSWERED = _count("answered", _t("Answered", "Отвечено", "Жауап берілді"),
                  ("Of them, answered.", "Из них дан ответ.", "Оның ішінде жауап берілгені."))
ANSWERED_IN_TIME = _count(
    "answered_in_time", _t("Answered in time", "Отвечено в срок", "Мерзімінде жауап берілді"),
    ("Of the answered, answered on or before the due date.",
     "Из отвеченных отвечено не позднее срока.",
     "Жауап берілгендердің ішінде мерзіміне дейін жауап берілгені."),
)  # fmt: skip
CATEGORY = _field("category", "string", _t("Category", "Категория", "Санат"),
                  _t("The appeal category's code ('unknown' when not set).",
                     "Код категории обращения ('unknown', если не задана).",
                     "Өтініш санатының коды (белгіленбесе, 'unknown')."),
                  constraints={"required": True})  # fmt: skip
RATED = _count("rated", _t("Rated", "Оценено", "Бағаланды"),
               ("Of them, rated by the citizen (1–5).", "Из них оценено гражданином (1–5).",
                "Оның ішінде азамат бағалағаны (1–5)."))  # fmt: skip
RATING_SUM = _field("rating_sum", "integer", _t("Sum of ratings", "Сумма оценок",
                                                "Бағалардың қосындысы"),
                    _t("The sum of the ratings (the mean is this divided by the count). Empty "
                       "when the count is suppressed.",
                       "Сумма оценок (среднее — она, делённая на число). Пусто, если число "
                       "скрыто.",
                       "Бағалардың қосындысы (орташасы — санына бөлінгені). Саны жасырылса, бос."),
                    constraints={"minimum": 0}, personal="none")  # fmt: skip

_publisher(
    DS_APPEALS,
    _t("Appeals per category, district and month", "Обращения по категориям, районам и месяцам",
       "Санаттар, аудандар және айлар бойынша өтініштер"),
    _t("Citizens' appeals received per category, district and month: answered, answered in time "
       "and the median hours to an answer.",
       "Обращения граждан по категориям, районам и месяцам: отвечено, отвечено в срок и "
       "медиана часов до ответа.",
       "Азаматтардың санаттар, аудандар және айлар бойынша өтініштері: жауап берілгені, "
       "мерзімінде жауап берілгені және жауапқа дейінгі сағаттардың медианасы."),
    [MONTH_RECEIVED, CATEGORY,
     _field("district", "string", _t("District", "Район", "Аудан"),
            _t("The district's name ('unknown' when not found).",
               "Название района ('unknown', если не определён).",
               "Ауданның атауы (анықталмаса, 'unknown')."),
            constraints={"required": True}),
     RECEIVED, ANSWERED, ANSWERED_IN_TIME,
     _field("median_response_hours", "integer",
            _t("Median hours to answer", "Медиана часов до ответа",
               "Жауапқа дейінгі сағат медианасы"),
            _t("The lower median of whole hours from receipt to answer. Empty when fewer than 5 "
               "were answered.",
               "Нижняя медиана полных часов от поступления до ответа. Пусто, если отвечено "
               "меньше 5.",
               "Келіп түскеннен жауапқа дейінгі толық сағаттардың төменгі медианасы. 5-тен аз "
               "жауап берілсе, бос."),
            constraints={"minimum": 0})],
    ["month", "category", "district"], _rows_appeals, ("appeals",),
)  # fmt: skip

_publisher(
    DS_APPEALS_AGENCY,
    _t("Appeals per agency and month", "Обращения по ведомствам и месяцам",
       "Мекемелер және айлар бойынша өтініштер"),
    _t("Appeals sent to each agency per month of receipt: answered, answered in time and the "
       "citizens' ratings. The evaluation of agencies is computed from this table.",
       "Обращения, направленные каждому ведомству, по месяцу поступления: отвечено, отвечено в "
       "срок и оценки граждан. Оценка ведомств вычисляется по этой таблице.",
       "Әр мекемеге жіберілген өтініштер, келіп түскен айы бойынша: жауап берілгені, мерзімінде "
       "жауап берілгені және азаматтардың бағалары. Мекемелерді бағалау осы кестеден "
       "есептеледі."),
    [MONTH_RECEIVED, AGENCY, *AGENCY_NAMES, RECEIVED, ANSWERED, ANSWERED_IN_TIME, RATED,
     RATING_SUM],
    ["month", "agency"], _rows_appeals_agency, ("appeals", "ratings"),
)  # fmt: skip

_publisher(
    DS_RATINGS,
    _t("Citizens' ratings per agency, category and month",
       "Оценки граждан по ведомствам, категориям и месяцам",
       "Мекемелер, санаттар және айлар бойынша азаматтардың бағалары"),
    _t("Ratings (1–5) citizens gave to the answers to their appeals: how many and their mean. "
       "Applications have no rating.",
       "Оценки (1–5), которые граждане дали ответам на свои обращения: сколько и среднее. "
       "У заявлений на услуги оценок нет.",
       "Азаматтардың өз өтініштеріне берілген жауаптарға қойған бағалары (1–5): саны және "
       "орташасы. Қызметке берілген өтінімдердің бағасы жоқ."),
    [MONTH_RECEIVED, AGENCY, CATEGORY,
     _count("ratings", _t("Ratings", "Оценок", "Бағалар"),
            ("Ratings given.", "Оценок поставлено.", "Қойылған бағалар.")),
     RATING_SUM,
     _field("rating_mean", "number", _t("Mean rating", "Средняя оценка", "Орташа баға"),
            _t("The mean rating, to 2 decimals. Empty when the count is suppressed.",
               "Средняя оценка, 2 знака после запятой. Пусто, если число скрыто.",
               "Орташа баға, үтірден кейін 2 таңба. Саны жасырылса, бос."),
            constraints={"minimum": 1, "maximum": 5})],
    ["month", "agency", "category"], _rows_ratings, ("appeals", "ratings"),
)  # fmt: skip


def _period_count(name: str, title: dict, en: str, ru: str, kk: str) -> dict:
    return _count(name, title, (en, ru, kk))


_publisher(
    DS_PERIOD,
    _t("Performance per agency and period", "Показатели ведомств за период",
       "Мекемелердің кезең бойынша көрсеткіштері"),
    _t("Per agency (service «*») and each of its services, over each period the page «How well "
       "each agency serves» offers (the last 12 complete months, each calendar year): the "
       "applications submitted in the period and what became of them, and the appeals received "
       "in it. The page's figures for a period are computed from this table.",
       "Для каждого ведомства (услуга «*») и каждой его услуги, за каждый период, который "
       "предлагает страница «Как работает каждое ведомство» (последние 12 полных месяцев, "
       "каждый календарный год): поданные за период заявления и что с ними стало, и поступившие "
       "за период обращения. Показатели страницы за период вычисляются по этой таблице.",
       "Әр мекеме (қызмет «*») және оның әр қызметі үшін, «Әр мекеме қалай қызмет көрсетеді» "
       "беті ұсынатын әр кезеңге (соңғы 12 толық ай, әр күнтізбелік жыл): кезеңде берілген "
       "өтінімдер және олардың нәтижесі, кезеңде келіп түскен өтініштер. Беттегі кезең "
       "көрсеткіштері осы кестеден есептеледі."),
    [*PERIOD_FIELDS,
     AGENCY,
     _field("service", "string", _t("Service", "Услуга", "Қызмет"),
            _t("The service's code, or «*» for every service of the agency together (and the "
               "agency's appeals).",
               "Код услуги или «*» для всех услуг ведомства вместе (и обращений к ведомству).",
               "Қызмет коды немесе мекеменің барлық қызметі бірге (және мекемеге өтініштер) "
               "үшін «*»."),
            constraints={"required": True}),
     *AGENCY_NAMES,
     _period_count("submitted", _t("Submitted", "Подано", "Берілді"),
                   "Applications submitted in the period.", "Заявлений подано за период.",
                   "Кезеңде берілген өтінімдер."),
     _period_count("approved", _t("Approved", "Одобрено", "Мақұлданды"),
                   "Of them, approved.", "Из них одобрено.", "Оның ішінде мақұлданғаны."),
     _period_count("refused", _t("Refused", "Отказано", "Бас тартылды"),
                   "Of them, refused.", "Из них отказано.", "Оның ішінде бас тартылғаны."),
     DECIDED, IN_TIME,
     _field("median_working_days", "integer",
            _t("Median working days to decision", "Медиана рабочих дней до решения",
               "Шешімге дейінгі жұмыс күндерінің медианасы"),
            _t("The lower median of working days from submission to decision over the period's "
               "decisions. Empty when fewer than 5 were decided.",
               "Нижняя медиана рабочих дней от подачи до решения по решениям периода. Пусто, "
               "если решено меньше 5.",
               "Кезең шешімдері бойынша өтінім берілгеннен шешімге дейінгі жұмыс күндерінің "
               "төменгі медианасы. 5-тен аз шешілсе, бос."),
            constraints={"minimum": 0}),
     _period_count("received", _t("Appeals received", "Обращений поступило",
                                  "Келіп түскен өтініштер"),
                   "Appeals to the agency received in the period (empty on a service's row).",
                   "Обращений к ведомству поступило за период (пусто в строке услуги).",
                   "Кезеңде мекемеге келіп түскен өтініштер (қызмет жолында бос)."),
     _period_count("answered", _t("Appeals answered", "Обращений отвечено",
                                  "Жауап берілген өтініштер"),
                   "Of them, answered (empty on a service's row).",
                   "Из них дан ответ (пусто в строке услуги).",
                   "Оның ішінде жауап берілгені (қызмет жолында бос)."),
     _period_count("answered_in_time", _t("Appeals answered in time", "Обращений отвечено в срок",
                                          "Мерзімінде жауап берілген өтініштер"),
                   "Of the answered, answered on or before the due date (empty on a service's "
                   "row).",
                   "Из отвеченных отвечено не позднее срока (пусто в строке услуги).",
                   "Жауап берілгендердің ішінде мерзіміне дейін жауап берілгені (қызмет жолында "
                   "бос)."),
     _period_count("rated", _t("Rated", "Оценено", "Бағаланды"),
                   "Of the appeals, answers rated by the citizen (1–5; empty on a service's row).",
                   "Из обращений ответов оценено гражданином (1–5; пусто в строке услуги).",
                   "Өтініштердің ішінде азамат бағалаған жауаптар (1–5; қызмет жолында бос)."),
     RATING_SUM],
    ["period", "agency", "service"], _rows_period, ("applications", "appeals", "ratings"),
)  # fmt: skip

GROUND = _field(
    "ground", "string", _t("Ground", "Основание", "Негіз"),
    _t("The ground's code in the service package («not_recorded» when none was recorded).",
       "Код основания в пакете услуги («not_recorded», если не записано).",
       "Қызмет пакетіндегі негіз коды (жазылмаса, «not_recorded»)."),
    constraints={"required": True},
)  # fmt: skip
GROUND_LABELS = [
    _field(f"ground_label_{lang}", "string",
           _t(f"Ground ({lang})", f"Основание ({lang})", f"Негіз ({lang})"),
           _t("The ground in words in this language, as the service package says it.",
              "Основание словами на этом языке, как в пакете услуги.",
              "Негіз осы тілде сөзбен, қызмет пакетіндегідей."))
    for lang in ("kk", "ru", "en")
]  # fmt: skip

_publisher(
    DS_GROUNDS,
    _t("Refusals per service, ground and month", "Отказы по услугам, основаниям и месяцам",
       "Қызметтер, негіздер және айлар бойынша бас тартулар"),
    _t("How many applications submitted in a month were refused, per agency, service and the "
       "ground for refusal the officer chose from the service's list (its code and its words). "
       "The officer's own explanation is never published. «not_recorded»: refusals made before "
       "the service had coded grounds.",
       "Сколько заявлений, поданных за месяц, получили отказ — по ведомствам, услугам и "
       "основаниям отказа, которые сотрудник выбрал из перечня услуги (код и формулировка). "
       "Собственное пояснение сотрудника не публикуется. «not_recorded» — отказы до появления "
       "у услуги кодированных оснований.",
       "Айда берілген өтінімдердің қаншасынан бас тартылды — мекемелер, қызметтер және "
       "қызметкер қызмет тізбесінен таңдаған бас тарту негіздері бойынша (коды және сөзі). "
       "Қызметкердің өз түсіндірмесі жарияланбайды. «not_recorded» — қызметте кодталған "
       "негіздер пайда болғанға дейінгі бас тартулар."),
    [MONTH_SUBMITTED, AGENCY, SERVICE, GROUND, *GROUND_LABELS,
     _count("refused", _t("Refused", "Отказано", "Бас тартылды"),
            ("Applications of the month refused on this ground.",
             "Заявлений месяца, получивших отказ по этому основанию.",
             "Осы негізбен бас тартылған айдағы өтінімдер."))],
    ["month", "agency", "service", "ground"], _rows_grounds, ("applications", "refusals"),
)  # fmt: skip

_publisher(
    DS_GROUNDS_PERIOD,
    _t("Refusals per service and ground over each period",
       "Отказы по услугам и основаниям за период",
       "Қызметтер мен негіздер бойынша кезеңдегі бас тартулар"),
    _t("«Refusals per service, ground and month» added up over each period the page «How well "
       "each agency serves» offers (the last 12 complete months, each calendar year). The page's "
       "most frequent grounds are read from this table.",
       "«Отказы по услугам, основаниям и месяцам», сложенные за каждый период, который "
       "предлагает страница «Как работает каждое ведомство» (последние 12 полных месяцев, "
       "каждый календарный год). Самые частые основания на странице берутся из этой таблицы.",
       "«Қызметтер, негіздер және айлар бойынша бас тартулар» «Әр мекеме қалай қызмет "
       "көрсетеді» беті ұсынатын әр кезеңге (соңғы 12 толық ай, әр күнтізбелік жыл) қосылған. "
       "Беттегі ең жиі негіздер осы кестеден алынады."),
    [*PERIOD_FIELDS,
     AGENCY, SERVICE, GROUND,
     *GROUND_LABELS,
     _count("refused", _t("Refused", "Отказано", "Бас тартылды"),
            ("Applications submitted in the period refused on this ground.",
             "Заявлений, поданных за период, получивших отказ по этому основанию.",
             "Кезеңде берілген, осы негізбен бас тартылған өтінімдер."))],
    ["period", "agency", "service", "ground"], _rows_grounds_period,
    ("applications", "refusals"),
)  # fmt: skip

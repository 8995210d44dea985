"""Working-day arithmetic. The Law on Public Services counts deadlines in working days; which
days are holidays is country-pack data (a YAML file named by QYZMET_CALENDAR_FILE)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings


@dataclass(frozen=True)
class WorkingCalendar:
    """Weekends, fixed holidays (with the rule that a holiday on a weekend moves the day off to
    the next working day), dated holidays (movable feasts, decree days) and working weekends."""

    weekend: frozenset[int] = frozenset({5, 6})
    fixed: tuple[tuple[int, int, bool], ...] = ()  # (month, day, moves_when_on_weekend)
    extra_days_off: frozenset[dt.date] = field(default_factory=frozenset)
    working_weekends: frozenset[dt.date] = field(default_factory=frozenset)

    def _days_off_for_year(self, year: int) -> frozenset[dt.date]:
        return _year_days_off(self, year)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working_weekends:
            return True
        if day.weekday() in self.weekend:
            return False
        return day not in self._days_off_for_year(day.year)

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date of the `days`-th working day after `start` (start itself is not counted)."""
        if days < 0:
            raise ValueError("days must be non-negative")
        current = start
        counted = 0
        while counted < days:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                counted += 1
        return current

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


@lru_cache(maxsize=64)
def _year_days_off(cal: WorkingCalendar, year: int) -> frozenset[dt.date]:
    days: set[dt.date] = {d for d in cal.extra_days_off if d.year == year}
    for month, day, _moves in cal.fixed:
        days.add(dt.date(year, month, day))
    # A fixed holiday on a weekend gives the next free working day off.
    for month, day, moves in cal.fixed:
        holiday = dt.date(year, month, day)
        if moves and holiday.weekday() in cal.weekend:
            nxt = holiday
            while nxt.weekday() in cal.weekend or nxt in days:
                nxt += dt.timedelta(days=1)
            days.add(nxt)
    return frozenset(days)


def calendar_from_file(path: Path) -> WorkingCalendar:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fixed = tuple(
        (int(h["month"]), int(h["day"]), bool(h.get("moves_when_on_weekend", True)))
        for h in data.get("fixed_holidays", [])
    )
    return WorkingCalendar(
        weekend=frozenset(data.get("weekend", [5, 6])),
        fixed=fixed,
        extra_days_off=frozenset(dt.date.fromisoformat(str(d)) for d in data.get("days_off", [])),
        working_weekends=frozenset(
            dt.date.fromisoformat(str(d)) for d in data.get("working_weekends", [])
        ),
    )


@lru_cache(maxsize=1)
def calendar_default() -> WorkingCalendar:
    return calendar_from_file(Path(settings.QYZMET_CALENDAR_FILE))

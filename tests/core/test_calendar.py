import datetime as dt

import pytest

from qyzmet.core.calendar import WorkingCalendar, calendar_default

D = dt.date


@pytest.fixture
def kz():
    return calendar_default()


def test_weekends_are_not_working_days(kz):
    assert kz.is_working_day(D(2026, 11, 27))  # Friday
    assert not kz.is_working_day(D(2026, 11, 28))  # Saturday
    assert not kz.is_working_day(D(2026, 11, 29))  # Sunday


@pytest.mark.parametrize(
    "day",
    [D(2026, 1, 1), D(2026, 1, 2), D(2026, 3, 23), D(2026, 5, 1), D(2026, 7, 6), D(2026, 12, 16),
     D(2026, 5, 27)],
)
def test_kazakhstan_holidays_are_days_off(kz, day):
    assert not kz.is_working_day(day)


def test_holiday_on_weekend_moves_to_next_working_day(kz):
    # 2026-03-08 is a Sunday: Monday 9 March is the day off instead.
    assert D(2026, 3, 8).weekday() == 6
    assert not kz.is_working_day(D(2026, 3, 9))
    assert kz.is_working_day(D(2026, 3, 10))


def test_religious_holiday_on_weekend_does_not_move():
    # 7 January 2024 was a Sunday; Orthodox Christmas is not transferred.
    cal = WorkingCalendar(fixed=((1, 7, False),))
    assert cal.is_working_day(D(2024, 1, 8))


def test_working_weekend_from_decree(kz):
    assert kz.is_working_day(D(2025, 1, 5))  # a Sunday made a working day
    assert not kz.is_working_day(D(2025, 1, 3))  # the Friday given off in exchange


def test_add_working_days_skips_weekend_and_holidays(kz):
    # Friday 11 Dec 2026 + 3 working days: Mon 14, Tue 15, (Wed 16 holiday), Thu 17.
    assert kz.add_working_days(D(2026, 12, 11), 3) == D(2026, 12, 17)
    assert kz.add_working_days(D(2026, 12, 11), 0) == D(2026, 12, 11)


def test_working_days_between_is_inverse_of_add(kz):
    start = D(2026, 3, 1)
    for n in range(0, 40, 3):
        end = kz.add_working_days(start, n)
        assert kz.working_days_between(start, end) == n
    assert kz.working_days_between(D(2026, 12, 17), D(2026, 12, 11)) == -3


def test_negative_days_are_refused(kz):
    with pytest.raises(ValueError):
        kz.add_working_days(D(2026, 1, 1), -1)

"""The Russian production calendar: public holidays, the days off moved by government decree, working days.

The calendar is the ``holidays`` package's Russian one (updated by its maintainers as each year's decree is
published), so a bank-transfer hold counts banking days and a campaign scheduled on a holiday is warned about
without a table of our own to keep.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays


@cache
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("RU", years=year, language="ru")


def public_holiday_name(day: date) -> str | None:
    """The holiday's Russian name («Новогодние каникулы», «Выходной (перенесено с 04.01.2026)»), or None."""
    name: str | None = _calendar(day.year).get(day)
    return name


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a public holiday or a moved day off."""
    return day.weekday() < 5 and public_holiday_name(day) is None


def add_working_days(start: date, count: int) -> date:
    """The day ``count`` working days after ``start`` (``start`` itself not counted); ``count`` ≥ 0."""
    if count < 0:
        raise ValueError("count must not be negative")
    day = start
    remaining = count
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day

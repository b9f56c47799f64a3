"""The Russian production calendar: public holidays and the days off moved by decree (from the ``holidays``
package, in Russian), and working days for counting deadlines such as banking days.

``holidays`` lists days off only; the weekends made working days by decree are in ``WORKING_WEEKENDS`` (add a
year's when its calendar is published).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

#: Saturdays worked by decree (the production calendars of those years).
WORKING_WEEKENDS = frozenset({date(2024, 4, 27), date(2024, 11, 2), date(2024, 12, 28), date(2025, 11, 1)})
#: How far ``add_working_days`` looks before it gives up (no calendar has a year of days off).
_MAX_STEPS = 3660


@lru_cache(maxsize=64)
def _days_off(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("RU", years=year, language="ru").items())


def is_public_holiday(day: date) -> str | None:
    """The holiday's Russian name if ``day`` is a public holiday or a day off moved to it, else None."""
    return _days_off(day.year).get(day)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a holiday, or a weekend worked by decree."""
    if day in WORKING_WEEKENDS:
        return True
    return day.weekday() < 5 and is_public_holiday(day) is None


def add_working_days(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (before it when ``n`` is negative); ``n`` = 0 is ``start`` itself
    when it is a working day, else the next one. «Within 3 banking days of 30 December» is
    ``add_working_days(date(2026, 12, 30), 3)``."""
    step = 1 if n >= 0 else -1
    day, left = start, abs(n)
    if n == 0:
        for _ in range(_MAX_STEPS):
            if is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day found")
    for _ in range(_MAX_STEPS):
        day += timedelta(days=step)
        if is_working_day(day):
            left -= 1
            if left == 0:
                return day
    raise ValueError("no working day found")

"""The Russian production calendar (``storefront/workdays.py``): holidays and moved days off, in Russian; working
days, including a Saturday worked by decree; counting working days forwards and backwards."""

from __future__ import annotations

from datetime import date

import pytest

from storefront.workdays import add_working_days, is_public_holiday, is_working_day


def test_public_holidays_and_moved_days_off_are_named_in_russian() -> None:
    assert is_public_holiday(date(2026, 1, 1)) == "Новогодние каникулы"
    assert is_public_holiday(date(2026, 6, 12)) == "День России"
    assert is_public_holiday(date(2026, 12, 31)) is not None  # moved from Sunday 4 January
    assert is_public_holiday(date(2026, 3, 9)) is not None  # 8 March fell on a Sunday
    assert is_public_holiday(date(2026, 3, 10)) is None
    assert is_public_holiday(date(2026, 3, 14)) is None  # a plain Saturday is no holiday


def test_working_days() -> None:
    assert is_working_day(date(2026, 3, 10))  # Tuesday
    assert not is_working_day(date(2026, 3, 14))  # Saturday
    assert not is_working_day(date(2026, 1, 9))  # a moved day off
    assert not is_working_day(date(2026, 5, 11))  # Victory Day observed
    assert is_working_day(date(2025, 11, 1))  # a Saturday worked by decree


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 3, 10), 0, date(2026, 3, 10)),
        (date(2026, 3, 14), 0, date(2026, 3, 16)),
        (date(2026, 3, 13), 1, date(2026, 3, 16)),  # Friday + 1 = Monday
        (date(2026, 3, 5), 2, date(2026, 3, 10)),  # over the weekend and 9 March
        (date(2025, 12, 30), 1, date(2026, 1, 12)),  # over the New Year holidays
        (date(2026, 1, 12), -1, date(2025, 12, 30)),  # backwards: 31 December 2025 was a day off too
        (date(2025, 10, 31), 1, date(2025, 11, 1)),  # the worked Saturday counts
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert add_working_days(start, n) == expected


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2026, 12, 7), 3, date(2026, 12, 10)),  # Monday + 3 → Thursday
        (date(2026, 12, 10), 3, date(2026, 12, 15)),  # Thursday + 3 skips the weekend
        (date(2026, 12, 29), 3, date(2027, 1, 12)),  # 31 Dec and the New Year holidays are not banking days
        (date(2026, 5, 8), 1, date(2026, 5, 12)),  # Friday before Victory Day observed on Monday 11 May
    ],
)
def test_banking_days_skip_weekends_and_the_2026_holidays(start: date, count: int, expected: date) -> None:
    assert add_working_days(start, count) == expected
    assert is_public_holiday(date(2026, 12, 31)) is not None, "31 December 2026 is a moved day off"

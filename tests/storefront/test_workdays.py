"""The Russian production calendar as the decree for 2026 has it."""

from __future__ import annotations

from datetime import date

import pytest

from storefront.workdays import add_working_days, is_working_day, public_holiday_name


def test_holidays_and_moved_days_off_have_russian_names() -> None:
    assert public_holiday_name(date(2026, 1, 7)) == "Рождество Христово"
    assert public_holiday_name(date(2026, 12, 31)) is not None, "31 December 2026 is a moved day off"
    assert public_holiday_name(date(2026, 12, 7)) is None


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2026, 12, 7), 3, date(2026, 12, 10)),  # Monday + 3 → Thursday
        (date(2026, 12, 10), 3, date(2026, 12, 15)),  # Thursday + 3 skips the weekend
        (date(2026, 12, 29), 3, date(2027, 1, 12)),  # 31 Dec and the New Year holidays are not banking days
        (date(2026, 5, 8), 1, date(2026, 5, 12)),  # Friday before Victory Day observed on Monday 11 May
        (date(2026, 12, 7), 0, date(2026, 12, 7)),
    ],
)
def test_working_days_skip_weekends_and_holidays(start: date, count: int, expected: date) -> None:
    assert add_working_days(start, count) == expected


def test_weekends_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 12, 5))
    assert is_working_day(date(2026, 12, 4))


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2026, 12, 7), -1)

"""Moscow time, the shop's calendar: instants are stored in UTC; staff and buyers type and read wall-clock
times, days and months in Moscow. The one definition of each conversion."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: Our business time zone: staff and buyers read every date in Moscow time (stored values are UTC).
MOSCOW = ZoneInfo("Europe/Moscow")
#: The days a person may type or filter by: a day's Moscow bounds in UTC exist for every one of them (0001-01-01 or
#: 9999-12-31 would overflow ``datetime``), and no business date of ours falls outside.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def to_moscow(moment: datetime) -> datetime:
    """An aware instant as Moscow wall-clock time."""
    return moment.astimezone(MOSCOW)


def moscow_to_utc(local: datetime) -> datetime:
    """A naive wall-clock time in Moscow (as staff type it) → the aware UTC instant stored."""
    return local.replace(tzinfo=MOSCOW).astimezone(UTC)


def moscow_midnight(day: date) -> datetime:
    """The UTC instant at which ``day`` begins in Moscow."""
    return moscow_to_utc(datetime.combine(day, time.min))


def moscow_day_end(day: date) -> datetime:
    """The first instant after ``day`` ends in Moscow (UTC): «until 31.12» holds through the 31st."""
    return moscow_midnight(day + timedelta(days=1))


def moscow_day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the Moscow calendar day containing ``now``, as UTC instants."""
    today = to_moscow(now).date()
    return moscow_midnight(today), moscow_day_end(today)


def moscow_month_starts(now: datetime, count: int) -> list[datetime]:
    """The first instants (UTC) of the last ``count`` Moscow months, oldest first, then the next month's."""
    local = to_moscow(now)
    year, month = local.year, local.month
    firsts: list[date] = []
    for back in range(count - 1, -2, -1):
        index = year * 12 + (month - 1) - back
        firsts.append(date(index // 12, index % 12 + 1, 1))
    return [moscow_midnight(first) for first in firsts]

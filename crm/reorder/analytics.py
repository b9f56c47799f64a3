"""Retention figures, each one set-based statement over the paid orders on both engines.

Each reads the paid orders once and groups them; none joins two derived tables (without an index SQLite joins
those by nested loops: buyers × orders). Only the time to a second order numbers the orders (``paid_orders_sql``,
a sort of every paid order); the others read ``paid_rows_sql``.

Months and years are Moscow time (UTC+3 all year since 2014, so SQLite adds three hours; PostgreSQL converts
with the zone name).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from crm.reorder.services import epoch_sql, paid_orders_sql, paid_rows_sql
from storefront.db import utcnow
from storefront.moscow import MOSCOW

#: Time-to-second-order buckets: (label key, up to N days inclusive; None = no upper bound).
SECOND_ORDER_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0–30", 30),
    ("31–60", 60),
    ("61–90", 90),
    ("91–180", 180),
    ("181–365", 365),
    ("365+", None),
)


def _moscow(dialect: str, column: str) -> str:
    if dialect == "sqlite":
        return f"datetime({column}, '+3 hours')"
    return f"({column} AT TIME ZONE '{MOSCOW.key}')"


def _month_index(dialect: str, column: str) -> str:
    """Months since year 0 of ``column`` in Moscow time (an integer on both engines)."""
    moment = _moscow(dialect, column)
    if dialect == "sqlite":
        exact = f"(CAST(strftime('%Y', {moment}) AS INTEGER) * 12 + CAST(strftime('%m', {moment}) AS INTEGER) - 1)"
        # Parsing a date costs more than the rest of the scan: the stored UTC text ('YYYY-MM-DD HH:MM:SS…')
        # gives the month by substr, except from 21:00 UTC on days 28–31, the only times when Moscow (+3 h)
        # may already be in the next month; those few go through the date functions.
        return (
            f"(CASE WHEN substr({column}, 9, 2) >= '28' AND substr({column}, 12, 2) >= '21' THEN {exact}"
            f" ELSE CAST(substr({column}, 1, 4) AS INTEGER) * 12 + CAST(substr({column}, 6, 2) AS INTEGER) - 1 END)"
        )
    return f"(CAST(EXTRACT(YEAR FROM {moment}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {moment}) AS INTEGER) - 1)"


def _year(dialect: str, column: str) -> str:
    if dialect == "sqlite":
        # Moscow year from the month index (integer division): the same substr shortcut.
        return f"({_month_index(dialect, column)} / 12)"
    return f"CAST(EXTRACT(YEAR FROM {_moscow(dialect, column)}) AS INTEGER)"


def _percent(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class RepeatRate:
    buyers: int
    repeat_buyers: int

    @property
    def percent(self) -> Decimal:
        return _percent(self.repeat_buyers, self.buyers)


def repeat_purchase_rate(session: Session) -> RepeatRate:
    """Buyers with at least one paid order, and how many of them have two or more."""
    dialect = session.get_bind().dialect.name
    # Per buyer, then count: no numbering of orders, no DISTINCT over all of them.
    row = session.execute(
        text(
            "SELECT COUNT(*), SUM(CASE WHEN orders >= 2 THEN 1 ELSE 0 END)"
            f" FROM (SELECT buyer_id, COUNT(*) AS orders FROM ({paid_rows_sql(dialect)}) paid GROUP BY buyer_id)"
            " AS per_buyer"
        )
    ).one()
    return RepeatRate(buyers=int(row[0] or 0), repeat_buyers=int(row[1] or 0))


@dataclass(frozen=True)
class YearRow:
    year: int
    buyers: int
    orders: int

    @property
    def per_buyer(self) -> Decimal:
        if not self.buyers:
            return Decimal("0.00")
        return (Decimal(self.orders) / Decimal(self.buyers)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def orders_per_buyer_per_year(session: Session) -> list[YearRow]:
    """Per calendar year (Moscow): buyers who paid an order that year, their orders, orders per buyer."""
    dialect = session.get_bind().dialect.name
    year = _year(dialect, "paid_at")
    rows = session.execute(
        text(
            f"SELECT {year} AS y, COUNT(DISTINCT buyer_id), COUNT(*) FROM ({paid_rows_sql(dialect)}) paid"
            " GROUP BY y ORDER BY y"
        )
    ).all()
    return [YearRow(int(row[0]), int(row[1]), int(row[2])) for row in rows]


@dataclass(frozen=True)
class BucketRow:
    label: str
    buyers: int
    percent: Decimal


def time_to_second_order(session: Session) -> list[BucketRow]:
    """How long buyers took from their first to their second paid order, in day buckets (all buckets listed)."""
    dialect = session.get_bind().dialect.name
    epoch = epoch_sql(dialect, "paid_at")
    cases = " ".join(
        f"WHEN gap <= {limit} THEN {index}" for index, (_, limit) in enumerate(SECOND_ORDER_BUCKETS) if limit
    )
    rows = session.execute(
        text(
            f"""
            WITH paid AS ({paid_orders_sql(dialect, analytics=True)}),
            seconds AS (
                SELECT buyer_id,
                       (MAX(CASE WHEN n = 2 THEN {epoch} END) - MAX(CASE WHEN n = 1 THEN {epoch} END)) / 86400.0 AS gap
                FROM paid WHERE n <= 2 GROUP BY buyer_id HAVING COUNT(*) = 2
            )
            SELECT CASE {cases} ELSE {len(SECOND_ORDER_BUCKETS) - 1} END AS bucket, COUNT(*)
            FROM seconds GROUP BY bucket
            """
        )
    ).all()
    counts = {int(bucket): int(count) for bucket, count in rows}
    total = sum(counts.values())
    return [
        BucketRow(label, counts.get(index, 0), _percent(counts.get(index, 0), total))
        for index, (label, _) in enumerate(SECOND_ORDER_BUCKETS)
    ]


@dataclass(frozen=True)
class CohortRow:
    #: First day of the cohort month, "YYYY-MM".
    month: str
    size: int
    #: Buyers with a paid order in month 0, 1, 2, … after the cohort month (month 0 = everyone).
    active: list[int]

    @property
    def percents(self) -> list[Decimal]:
        return [_percent(count, self.size) for count in self.active]


def cohort_retention(session: Session, now: datetime | None = None, max_months: int = 12) -> list[CohortRow]:
    """Monthly cohorts (month of the first paid order, Moscow) × months since: buyers who ordered again then.

    Months beyond ``max_months`` are left out; months not yet reached are absent from a cohort's list.
    """
    dialect = session.get_bind().dialect.name
    month = _month_index(dialect, "paid_at")
    # Each buyer's distinct order months (one GROUP BY), the cohort as the smallest of them (a window over the
    # same rows, not a second derived table joined back), then buyers per (cohort, months since): one row per
    # buyer and month, so COUNT(*) counts buyers.
    rows = session.execute(
        text(
            f"""
            SELECT cohort, since, COUNT(*) AS buyers
            FROM (
                SELECT m - MIN(m) OVER (PARTITION BY buyer_id) AS since, MIN(m) OVER (PARTITION BY buyer_id) AS cohort
                FROM (SELECT buyer_id, {month} AS m FROM ({paid_rows_sql(dialect)}) p GROUP BY buyer_id, m) AS months
            ) AS activity
            WHERE since <= :max_months
            GROUP BY cohort, since
            ORDER BY cohort, since
            """
        ),
        {"max_months": max_months},
    ).all()
    today = (now or utcnow()).astimezone(MOSCOW)
    latest = today.year * 12 + today.month - 1
    by_cohort: dict[int, dict[int, int]] = {}
    for cohort, since, buyers in rows:
        by_cohort.setdefault(int(cohort), {})[int(since)] = int(buyers)
    result = []
    for cohort, months in sorted(by_cohort.items()):
        reached = min(max_months, latest - cohort)
        result.append(
            CohortRow(
                month=f"{cohort // 12:04d}-{cohort % 12 + 1:02d}",
                size=months.get(0, 0),
                active=[months.get(k, 0) for k in range(reached + 1)],
            )
        )
    return result

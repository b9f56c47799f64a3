"""Keeping ``crm_buyer_stats``: one buyer after a payment or refund, everyone in a few set-based statements.

A *paid order* is an order with a succeeded payment that is not refunded in full; its time is the payment's
``succeeded_at`` and its amount the payment net of succeeded refunds (a partial refund lowers spend, a full
refund removes the order). Both the per-buyer update and the full recompute run the SAME statements (the
per-buyer one adds ``buyer_id = :buyer_id``), so they cannot disagree:

1. the buyer's paid orders numbered in time (window functions), the gaps between consecutive ones, the median
   gap (row numbers around the middle, averaged), spend and counts → a temporary table;
2. UPDATE … FROM / INSERT … ON CONFLICT DO NOTHING into ``crm_buyer_stats``; rows of buyers with no paid order
   left are zeroed;
3. the status from the stored dates and ``now`` (``status_since`` moves only when the status does).

Dates are added in SQL (``julianday`` on SQLite, ``interval`` on PostgreSQL); intervals are in days (float).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from crm.buyers.models import BuyerProfile
from crm.reorder.models import BuyerStats, ReorderBaseline, ReorderStatus
from crm.tiers.rules import window_start
from storefront.account.models import Buyer, Tier
from storefront.db import UTCDateTime, rowcount, utcnow
from storefront.jobs import extension, periodic

#: ``app.extensions`` key of the ``ReorderPolicy`` that ``crm.init_app`` builds from ``CRM_REORDER_*``.
POLICY_EXTENSION = "crm_reorder_policy"


@dataclass(frozen=True)
class ReorderPolicy:
    """Built once by ``crm.init_app`` from the ``CRM_REORDER_*`` settings (``storefront.config``) and kept in
    ``app.extensions[POLICY_EXTENSION]``; the CLI, the signal receivers and the jobs pass it to the functions here."""

    #: «due» = the expected date falls within the next ``due_days`` days.
    due_days: int
    #: «lapsed» = past the expected date by more than ``lapse_multiple`` × the buyer's interval.
    lapse_multiple: float
    #: Interval for one-order buyers while the platform has no buyer with two orders yet.
    default_interval_days: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ReorderPolicy:
        return cls(
            due_days=int(config["CRM_REORDER_DUE_DAYS"]),
            lapse_multiple=float(config["CRM_REORDER_LAPSE_MULTIPLE"]),
            default_interval_days=float(config["CRM_REORDER_DEFAULT_INTERVAL_DAYS"]),
        )


# --- SQL pieces per engine -------------------------------------------------------------------------------------


def epoch_sql(dialect: str, column: str) -> str:
    if dialect == "sqlite":
        return f"((julianday({column}) - 2440587.5) * 86400.0)"
    return f"EXTRACT(EPOCH FROM {column})"


def _plus_days(dialect: str, column: str, days: str) -> str:
    if dialect == "sqlite":
        # The same text layout SQLAlchemy writes (sorts and compares as text), millisecond precision.
        return f"strftime('%Y-%m-%d %H:%M:%f', julianday({column}) + ({days}))"
    return f"({column} + ({days}) * INTERVAL '1 day')"


def _float(dialect: str) -> str:
    return "REAL" if dialect == "sqlite" else "DOUBLE PRECISION"


def _each_paid_sql(one_buyer: bool, sqlite_scan_payments: bool = False) -> str:
    """``FROM … WHERE`` of one row per paid order not refunded in full (columns buyer_id, order_id, paid_at, net).

    ``sqlite_scan_payments``: for reads of every paid order on SQLite, read ``payments`` in table order and look
    each order up by primary key (CROSS JOIN fixes the order; ``+`` keeps the status index out). Without it
    SQLite walks the status index and fetches every payment row at random (half the speed), or, under a
    GROUP BY buyer, walks the orders by buyer and looks each payment up by index (five times slower).
    """
    scope = "AND o.buyer_id = :buyer_id" if one_buyer else ""
    refunded = (
        # One buyer: only their refunds (an aggregate over every refund would be wasted).
        "(SELECT r.payment_id, SUM(r.amount) AS amount FROM refunds r JOIN orders ro ON ro.id = r.order_id"
        " WHERE r.status = 'succeeded' AND ro.buyer_id = :buyer_id GROUP BY r.payment_id)"
        if one_buyer
        else "(SELECT r.payment_id, SUM(r.amount) AS amount FROM refunds r WHERE r.status = 'succeeded'"
        " GROUP BY r.payment_id)"
    )
    joined = (
        "payments p CROSS JOIN orders o ON o.id = p.order_id AND +p.status = 'succeeded' AND p.succeeded_at IS NOT NULL"
        if sqlite_scan_payments
        else "orders o JOIN payments p ON p.order_id = o.id AND p.status = 'succeeded' AND p.succeeded_at IS NOT NULL"
    )
    return f"""
        FROM (
            SELECT o.buyer_id AS buyer_id, o.id AS order_id, p.succeeded_at AS paid_at,
                   p.amount - COALESCE(rf.amount, 0) AS net
            FROM {joined}
            LEFT JOIN {refunded} rf ON rf.payment_id = p.id
            WHERE o.buyer_id IS NOT NULL {scope}
        ) AS each_paid
        WHERE net > 0
    """


def paid_rows_sql(dialect: str) -> str:
    """Every paid order not refunded in full: buyer_id, order_id, paid_at, net (kopecks), NOT numbered.

    For the analytics that need no order number (numbering sorts every paid order).
    """
    return f"SELECT buyer_id, order_id, paid_at, net {_each_paid_sql(False, dialect == 'sqlite')}"


def paid_orders_sql(dialect: str, one_buyer: bool = False, *, analytics: bool = False) -> str:
    """One row per paid order not refunded in full: buyer_id, order_id, paid_at, net (kopecks), n (1, 2, …).

    ``one_buyer``: only the buyer bound as ``:buyer_id``. ``analytics``: the join order of ``paid_rows_sql``
    (the recompute keeps the plan it was measured with).
    """
    return f"""
        SELECT buyer_id, order_id, paid_at, net,
               ROW_NUMBER() OVER (PARTITION BY buyer_id ORDER BY paid_at, order_id) AS n
        {_each_paid_sql(one_buyer, analytics and dialect == "sqlite")}
    """


def _computed_sql(dialect: str, one_buyer: bool) -> str:
    paid_epoch = epoch_sql(dialect, "paid_at")
    interval = "COALESCE(m.median_days, :baseline)"
    return f"""
        WITH paid AS ({paid_orders_sql(dialect, one_buyer)}),
        gaps AS (
            SELECT buyer_id,
                   ({paid_epoch} - LAG({paid_epoch}) OVER (PARTITION BY buyer_id ORDER BY n)) / 86400.0 AS gap
            FROM paid
        ),
        ranked AS (
            SELECT buyer_id, gap,
                   ROW_NUMBER() OVER (PARTITION BY buyer_id ORDER BY gap) AS k,
                   COUNT(*) OVER (PARTITION BY buyer_id) AS c
            FROM gaps WHERE gap IS NOT NULL
        ),
        medians AS (
            SELECT buyer_id, CAST(AVG(gap) AS {_float(dialect)}) AS median_days
            FROM ranked WHERE k IN ((c + 1) / 2, (c + 2) / 2) GROUP BY buyer_id
        ),
        totals AS (
            SELECT buyer_id, COUNT(*) AS order_count, MIN(paid_at) AS first_paid_at, MAX(paid_at) AS last_paid_at,
                   CAST(SUM(net) AS BIGINT) AS spend_total,
                   CAST(SUM(CASE WHEN paid_at >= :since THEN net ELSE 0 END) AS BIGINT) AS spend_12m
            FROM paid GROUP BY buyer_id
        )
        SELECT t.buyer_id AS buyer_id, t.order_count AS order_count, t.first_paid_at AS first_paid_at,
               t.last_paid_at AS last_paid_at, m.median_days AS median_days,
               t.spend_total AS spend_total, t.spend_12m AS spend_12m,
               (2 * t.spend_total + t.order_count) / (2 * t.order_count) AS average_order,
               {_plus_days(dialect, "t.last_paid_at", interval)} AS expected_next_at,
               {_plus_days(dialect, "t.last_paid_at", f"{interval} * (1 + :lapse)")} AS lapse_at
        FROM totals t LEFT JOIN medians m ON m.buyer_id = t.buyer_id
    """


def _temp_table_ddl(dialect: str) -> str:
    stamp, number = ("TEXT", "REAL") if dialect == "sqlite" else ("TIMESTAMP WITH TIME ZONE", "DOUBLE PRECISION")
    return (
        "CREATE TEMPORARY TABLE tmp_reorder_stats (buyer_id INTEGER PRIMARY KEY, order_count BIGINT,"
        f" first_paid_at {stamp}, last_paid_at {stamp}, median_days {number}, spend_total BIGINT, spend_12m BIGINT,"
        f" average_order BIGINT, expected_next_at {stamp}, lapse_at {stamp})"
    )


def _status_case() -> str:
    return (
        "CASE WHEN order_count = 0 OR expected_next_at IS NULL THEN 'new'"
        " WHEN lapse_at <= :now THEN 'lapsed'"
        " WHEN expected_next_at <= :now THEN 'overdue'"
        " WHEN expected_next_at <= :due_until THEN 'due'"
        " ELSE 'active' END"
    )


def _run(session: Session, sql: str, **params: object) -> int:
    statement = text(sql)
    for name in ("now", "since", "due_until"):
        if name in params:
            statement = statement.bindparams(bindparam(name, type_=UTCDateTime()))
    return rowcount(session.execute(statement, params))


def _refresh(session: Session, now: datetime, policy: ReorderPolicy, buyer_id: int | None, baseline: float) -> None:
    dialect = session.get_bind().dialect.name
    stats_scope = "" if buyer_id is None else "AND buyer_id = :buyer_id"
    scoped: dict[str, object] = {} if buyer_id is None else {"buyer_id": buyer_id}
    session.execute(text("DROP TABLE IF EXISTS tmp_reorder_stats"))
    # Declared first, then filled: PostgreSQL takes no bound parameters in CREATE TABLE … AS.
    session.execute(text(_temp_table_ddl(dialect)))
    _run(
        session,
        f"INSERT INTO tmp_reorder_stats {_computed_sql(dialect, buyer_id is not None)}",
        since=window_start(now),
        baseline=baseline,
        lapse=policy.lapse_multiple,
        **scoped,
    )
    analyze = dialect == "postgresql" and buyer_id is None
    if analyze:
        # A temporary table has no statistics until analysed; the planner would take it for empty.
        session.execute(text("ANALYZE tmp_reorder_stats"))
    buyers_scope = "" if buyer_id is None else "AND b.id = :buyer_id"
    # Every buyer (in scope) has a row, «new» until a paid order. ON CONFLICT alone skips the existing rows: a
    # NOT EXISTS over the table being filled made PostgreSQL rescan it for every buyer on the first run (285 s
    # for 100 000 buyers). The WHERE keeps SQLite from reading ON CONFLICT as a join constraint.
    created = _run(
        session,
        "INSERT INTO crm_buyer_stats (buyer_id, order_count, spend_12m, spend_total, average_order, status,"
        " status_since, computed_at)"
        " SELECT b.id, 0, 0, 0, 0, 'new', :now, :now FROM buyers b"
        f" WHERE b.id IS NOT NULL {buyers_scope}"
        " ON CONFLICT (buyer_id) DO NOTHING",
        now=now,
        **scoped,
    )
    if analyze and created:
        # The first run creates every buyer's row: without fresh statistics PostgreSQL plans the UPDATE below
        # (and the status refresh) as if the table were nearly empty.
        session.execute(text("ANALYZE crm_buyer_stats"))
    _run(
        session,
        "UPDATE crm_buyer_stats SET order_count = t.order_count, first_paid_at = t.first_paid_at,"
        " last_paid_at = t.last_paid_at, median_interval_days = t.median_days, expected_next_at = t.expected_next_at,"
        " lapse_at = t.lapse_at, spend_12m = t.spend_12m, spend_total = t.spend_total,"
        " average_order = t.average_order, computed_at = :now"
        " FROM tmp_reorder_stats t WHERE crm_buyer_stats.buyer_id = t.buyer_id",
        now=now,
    )
    # Buyers with no paid order (left): zero.
    _run(
        session,
        "UPDATE crm_buyer_stats SET order_count = 0, first_paid_at = NULL, last_paid_at = NULL,"
        " median_interval_days = NULL, expected_next_at = NULL, lapse_at = NULL, spend_12m = 0, spend_total = 0,"
        " average_order = 0, computed_at = :now"
        f" WHERE (order_count <> 0 OR spend_total <> 0) {stats_scope}"
        " AND NOT EXISTS (SELECT 1 FROM tmp_reorder_stats t WHERE t.buyer_id = crm_buyer_stats.buyer_id)",
        now=now,
        **scoped,
    )
    session.execute(text("DROP TABLE tmp_reorder_stats"))
    _refresh_categories(session, dialect, buyer_id)
    refresh_statuses(session, now, policy, buyer_id=buyer_id)


def _refresh_categories(session: Session, dialect: str, buyer_id: int | None) -> None:
    """The categories each buyer (in scope) bought in, from the lines of their paid orders."""
    scoped: dict[str, object] = {} if buyer_id is None else {"buyer_id": buyer_id}
    _run(
        session,
        "DELETE FROM crm_buyer_categories" + ("" if buyer_id is None else " WHERE buyer_id = :buyer_id"),
        **scoped,
    )
    # ON CONFLICT: a payment's update of one buyer may commit between the full recompute's DELETE and INSERT.
    _run(
        session,
        "INSERT INTO crm_buyer_categories (buyer_id, category_id, order_count)"
        " SELECT p.buyer_id, pr.category_id, COUNT(DISTINCT p.order_id)"
        f" FROM ({paid_orders_sql(dialect, buyer_id is not None)}) p"
        " JOIN order_lines l ON l.order_id = p.order_id JOIN products pr ON pr.id = l.product_id"
        " GROUP BY p.buyer_id, pr.category_id"
        " ON CONFLICT (buyer_id, category_id) DO UPDATE SET order_count = excluded.order_count",
        **scoped,
    )


def refresh_statuses(
    session: Session,
    now: datetime,
    policy: ReorderPolicy,
    *,
    buyer_id: int | None = None,
) -> int:
    """Move statuses with time (one UPDATE); ``status_since`` changes only for rows whose status changes."""
    case = _status_case()
    stats_scope = "" if buyer_id is None else "AND buyer_id = :buyer_id"
    scoped: dict[str, object] = {} if buyer_id is None else {"buyer_id": buyer_id}
    moved = _run(
        session,
        f"UPDATE crm_buyer_stats SET status = {case}, status_since = :now WHERE status <> {case} {stats_scope}",
        now=now,
        due_until=now + timedelta(days=policy.due_days),
        **scoped,
    )
    session.flush()
    return moved


def second_order_baseline(session: Session) -> float | None:
    """The platform's median days between a buyer's first and second paid order (None: nobody has two)."""
    dialect = session.get_bind().dialect.name
    paid_epoch = epoch_sql(dialect, "paid_at")
    sql = f"""
        WITH paid AS ({paid_orders_sql(dialect)}),
        seconds AS (
            SELECT buyer_id,
                   (MAX(CASE WHEN n = 2 THEN {paid_epoch} END) - MAX(CASE WHEN n = 1 THEN {paid_epoch} END)) / 86400.0
                   AS gap
            FROM paid WHERE n <= 2 GROUP BY buyer_id HAVING COUNT(*) = 2
        ),
        ranked AS (SELECT gap, ROW_NUMBER() OVER (ORDER BY gap) AS k, COUNT(*) OVER () AS c FROM seconds)
        SELECT CAST(AVG(gap) AS {_float(dialect)}) FROM ranked WHERE k IN ((c + 1) / 2, (c + 2) / 2)
    """
    value = session.execute(text(sql)).scalar()
    return float(value) if value is not None else None


def _stored_baseline(session: Session, policy: ReorderPolicy) -> float:
    row = session.get(ReorderBaseline, 1)
    if row is None or row.second_order_days is None:
        return policy.default_interval_days
    return row.second_order_days


def refresh_baseline(session: Session, now: datetime) -> float | None:
    """Recompute and store the platform baseline (flushes)."""
    days = second_order_baseline(session)
    row = session.get(ReorderBaseline, 1)
    if row is None:
        row = ReorderBaseline(id=1)
        session.add(row)
    row.second_order_days = days
    row.computed_at = now
    session.flush()
    return days


@dataclass(frozen=True)
class RecalcResult:
    buyers: int
    by_status: dict[str, int]
    baseline_days: float | None


def recalc_reorders(
    session: Session,
    now: datetime | None = None,
    *,
    policy: ReorderPolicy,
    refresh_platform_baseline: bool = True,
) -> RecalcResult:
    """Recompute every buyer's statistics and status (``flask crm recalc-reorders``, the daily job). Flushes;
    the caller commits.

    With ``refresh_platform_baseline=False`` the stored baseline is used as is (what the per-payment update uses).
    """
    now = now or utcnow()
    if refresh_platform_baseline:
        refresh_baseline(session, now)
    baseline = _stored_baseline(session, policy)
    _refresh(session, now, policy, None, baseline)
    counts = {
        str(status): int(count)
        for status, count in session.execute(select(BuyerStats.status, func.count()).group_by(BuyerStats.status))
    }
    session.flush()
    row = session.get(ReorderBaseline, 1)
    return RecalcResult(
        buyers=sum(counts.values()),
        by_status=counts,
        baseline_days=row.second_order_days if row is not None else None,
    )


def update_buyer_stats(
    session: Session, buyer_id: int, now: datetime | None = None, *, policy: ReorderPolicy
) -> BuyerStats | None:
    """One buyer's statistics after a payment or refund (the ``order_paid`` / ``order_refunded`` receivers).

    Uses the stored platform baseline; flushes, the caller commits. None when the buyer does not exist.
    """
    now = now or utcnow()
    if session.get(Buyer, buyer_id) is None:
        return None
    _refresh(session, now, policy, buyer_id, _stored_baseline(session, policy))
    session.flush()
    return session.get(BuyerStats, buyer_id, populate_existing=True)


# --- periodic jobs -----------------------------------------------------------------------------------------------


def gold_threshold(session: Session) -> Decimal | None:
    """Gold's 12-month threshold (tiers are ordered by threshold; None when there is no ``gold`` tier)."""
    return session.scalar(select(Tier.threshold_amount).where(Tier.code == "gold"))


def overdue_task_key(buyer_id: int, expected: datetime) -> str:
    """One task per episode: a new paid order moves the expected date and so starts a new key."""
    return f"overdue:{buyer_id}:{expected.date().isoformat()}"


def open_overdue_tasks(session: Session, now: datetime, title: str) -> int:
    """A task (``title``) for the assigned manager of every Gold-or-above buyer who is overdue, once per episode
    (the dedupe key holds the expected date). Flushes; returns how many tasks were opened."""
    from crm.workspace.services import open_task

    threshold = gold_threshold(session)
    if threshold is None:
        return 0
    rows = session.execute(
        select(BuyerStats.buyer_id, BuyerStats.expected_next_at, BuyerProfile.manager_id)
        .join(Buyer, Buyer.id == BuyerStats.buyer_id)
        .join(Tier, Tier.id == Buyer.tier_id)
        .outerjoin(BuyerProfile, BuyerProfile.buyer_id == BuyerStats.buyer_id)
        .where(BuyerStats.status == ReorderStatus.OVERDUE, Tier.threshold_amount >= threshold)
        .order_by(BuyerStats.buyer_id)
    ).all()
    opened = 0
    for buyer_id, expected, manager_id in rows:
        assert expected is not None  # the status is 'overdue' only once expected_next_at has passed
        task = open_task(
            session,
            buyer_id=buyer_id,
            title=title,
            due_at=now + timedelta(days=2),
            assignee_id=manager_id,
            dedupe_key=overdue_task_key(buyer_id, expected),
        )
        opened += task is not None
    return opened


@periodic("crm-reorder-statuses", every=timedelta(hours=1), needs={"policy": extension(POLICY_EXTENSION)})
def reorder_statuses_job(session: Session, now: datetime, *, policy: ReorderPolicy) -> str:
    """Statuses move with time; overdue Gold+ buyers get a task for their manager (once per episode)."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    moved = refresh_statuses(session, now, policy)
    with force_locale("ru"):
        title = _("The buyer is overdue for a repeat order")
    opened = open_overdue_tasks(session, now, title)
    session.commit()
    return f"statuses moved {moved}, tasks opened {opened}"


@periodic("crm-recalc-reorders", every=timedelta(days=1), needs={"policy": extension(POLICY_EXTENSION)})
def recalc_reorders_job(session: Session, now: datetime, *, policy: ReorderPolicy) -> str:
    """The 12-month spend and the platform baseline move with time: recompute everyone nightly."""
    result = recalc_reorders(session, now, policy=policy)
    session.commit()
    return f"buyers {result.buyers}, {result.by_status}"

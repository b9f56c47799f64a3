"""The dashboard's figures, each one set-based statement (GROUP BY) on the integer kopeck columns.

Revenue = succeeded payments net of their succeeded refunds; a refund counts against the month of the payment it
returns (the same rule as a buyer's spend, ``storefront.payment.spend``). Months are Moscow calendar months; a
payment falls in one by comparing its UTC time with the months' first instants, computed here in Python, so the
SQL is the same on SQLite and PostgreSQL. Revenue is split by the tier the order was placed with
(``Order.tier_code``, frozen at checkout), so a buyer's later tier change does not rewrite history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from storefront.account.models import Buyer, Tier
from storefront.db import utcnow
from storefront.money import from_minor
from storefront.moscow import moscow_month_starts, to_moscow
from storefront.order.models import Order
from storefront.payment.models import AttemptStatus, Payment
from storefront.payment.spend import net_of_refunds, net_paid_by_buyer, refunds_per_payment, window_start

MONTHS = 12
TOP_BUYERS = 10


@dataclass(frozen=True)
class TierRevenue:
    #: ``Order.tier_code`` (None: orders placed without a tier, guests included).
    code: str | None
    name: str | None
    #: Roubles per month, aligned with ``RevenueByMonth.months``.
    amounts: list[Decimal]


@dataclass(frozen=True)
class RevenueByMonth:
    #: First day of each Moscow month, oldest first.
    months: list[date]
    series: list[TierRevenue]

    def month_total(self, index: int) -> Decimal:
        return sum((series.amounts[index] for series in self.series), Decimal("0.00"))


def _net_payments(since: datetime, until: datetime) -> Any:
    """One row per succeeded payment in [since, until): its order's tier code, time and net kopecks."""
    refunds = refunds_per_payment()
    return (
        select(
            Payment.id.label("payment_id"),
            Payment.order_id.label("order_id"),
            Payment.succeeded_at.label("paid_at"),
            Order.tier_code.label("tier_code"),
            net_of_refunds(refunds).label("net"),
        )
        .join(Order, Order.id == Payment.order_id)
        .outerjoin(refunds, refunds.c.payment_id == Payment.id)
        .where(Payment.status == AttemptStatus.SUCCEEDED, Payment.succeeded_at >= since, Payment.succeeded_at < until)
        .subquery()
    )


def revenue_by_month(session: Session, now: datetime | None = None) -> RevenueByMonth:
    starts = moscow_month_starts(now or utcnow(), MONTHS)
    payments = _net_payments(starts[0], starts[-1])
    # Newest month first: the first boundary a payment is at or after is its month.
    bucket = case(*((payments.c.paid_at >= starts[i], i) for i in range(MONTHS - 1, -1, -1)))
    per_payment = select(bucket.label("month"), payments.c.tier_code, payments.c.net).subquery()
    rows = session.execute(
        select(per_payment.c.month, per_payment.c.tier_code, func.sum(per_payment.c.net)).group_by(
            per_payment.c.month, per_payment.c.tier_code
        )
    ).all()
    tiers = list(session.execute(select(Tier.code, Tier.name).order_by(Tier.threshold_amount, Tier.id)))
    codes: list[str | None] = [code for code, _name in tiers]
    names: dict[str | None, str | None] = {code: name for code, name in tiers}
    amounts: dict[str | None, list[Decimal]] = {}
    for month, code, total in rows:
        if code not in names:
            names[code] = code  # orders of a tier since deleted, or none (None)
            if code is None:
                codes.insert(0, code)
            else:
                codes.append(code)
        amounts.setdefault(code, [Decimal("0.00")] * MONTHS)[int(month)] = from_minor(int(total or 0))
    series = [TierRevenue(code, names[code], amounts.get(code, [Decimal("0.00")] * MONTHS)) for code in codes]
    months = [to_moscow(start).date() for start in starts[:-1]]
    return RevenueByMonth(months, series)


@dataclass(frozen=True)
class TierCount:
    tier_id: int | None
    code: str | None
    name: str | None
    buyers: int


def buyers_per_tier(session: Session) -> list[TierCount]:
    """Active buyers per tier, lowest tier first; buyers with no tier last (only when there are some)."""
    counts = dict(
        session.execute(select(Buyer.tier_id, func.count()).where(Buyer.is_active).group_by(Buyer.tier_id)).all()
    )
    result = [
        TierCount(tier.id, tier.code, tier.name, counts.get(tier.id, 0))
        for tier in session.scalars(select(Tier).order_by(Tier.threshold_amount, Tier.id))
    ]
    if counts.get(None):
        result.append(TierCount(None, None, None, counts[None]))
    return result


@dataclass(frozen=True)
class TopBuyer:
    buyer_id: int
    name: str
    company_name: str | None
    tier_name: str | None
    spend: Decimal


def top_buyers(session: Session, now: datetime | None = None, limit: int = TOP_BUYERS) -> list[TopBuyer]:
    """The buyers with the highest 12-month spend net of refunds (the tier rule), highest first."""
    net = net_paid_by_buyer(window_start(now or utcnow()))
    rows = session.execute(
        select(Buyer.id, Buyer.name, Buyer.company_name, Tier.name, net.c.total)
        .select_from(net)
        .join(Buyer, Buyer.id == net.c.buyer_id)
        .outerjoin(Tier, Tier.id == Buyer.tier_id)
        .where(net.c.total > 0)
        .order_by(net.c.total.desc(), Buyer.id)
        .limit(limit)
    ).all()
    return [TopBuyer(row[0], row[1], row[2], row[3], from_minor(int(row[4]))) for row in rows]


@dataclass(frozen=True)
class Headline:
    revenue_this_month: Decimal
    paid_orders_this_month: int
    vip_buyers: int


def headline(session: Session, now: datetime | None = None) -> Headline:
    """This Moscow month's net revenue and paid orders, and the buyers in a tier above the base one."""
    starts = moscow_month_starts(now or utcnow(), 1)
    payments = _net_payments(starts[0], starts[1])
    revenue, orders = session.execute(
        select(func.coalesce(func.sum(payments.c.net), 0), func.count(func.distinct(payments.c.order_id)))
    ).one()
    vip = session.scalar(
        select(func.count())
        .select_from(Buyer)
        .join(Tier, Tier.id == Buyer.tier_id)
        .where(and_(Buyer.is_active, Tier.threshold_amount > 0))
    )
    return Headline(from_minor(int(revenue)), int(orders), int(vip or 0))

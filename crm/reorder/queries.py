"""Reads over the reorder statistics, for the buyer card, the buyer list, «Мои клиенты» and segments.

Wiring (for the buyer list): join ``BuyerStats`` on ``BuyerStats.buyer_id == Buyer.id`` (every buyer has a row
after the first recompute; use an outer join to be safe) and add ``status_condition(...)``. Segments read the
same columns through their field registry (``crm.segments.fields``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, exists, func, select, type_coerce
from sqlalchemy.orm import Session, selectinload

from crm.buyers.models import BuyerProfile
from crm.reorder.models import BuyerStats, ReorderStatus
from storefront.account.models import Buyer
from storefront.catalog.models import Category
from storefront.money import quantize_kopecks
from storefront.order.models import Order, OrderLine, PaymentStatus
from storefront.payment.models import AttemptStatus, Payment

#: «Под угрозой ухода»: past the expected date.
AT_RISK = (ReorderStatus.OVERDUE, ReorderStatus.LAPSED)


def status_condition(status: str | ReorderStatus | list[str]) -> ColumnElement[bool]:
    """``crm_buyer_stats.status`` is one of ``status`` (a value or a list; ``ValueError`` on an unknown one)."""
    values = [status] if isinstance(status, str) else list(status)
    return BuyerStats.status.in_([ReorderStatus(value).value for value in values])


@dataclass(frozen=True)
class ProductCount:
    product_id: int | None
    title: str
    orders: int
    quantity: int


@dataclass(frozen=True)
class CategoryCount:
    category_id: int
    name: str
    orders: int


@dataclass(frozen=True)
class ReorderSummary:
    """What the buyer card shows in its «Повторные заказы» block."""

    status: str
    status_since: datetime | None
    order_count: int
    first_paid_at: datetime | None
    last_paid_at: datetime | None
    expected_next_at: datetime | None
    median_interval_days: float | None
    spend_12m: Decimal
    spend_total: Decimal
    average_order: Decimal
    top_products: list[ProductCount] = field(default_factory=list)
    top_categories: list[CategoryCount] = field(default_factory=list)


def _paid_lines(buyer_id: int) -> Any:
    """Order lines of the buyer's orders with a succeeded payment, not refunded in full."""
    # EXISTS per order (index on payments.order_id), not IN over every succeeded payment.
    paid = exists().where(Payment.order_id == Order.id, Payment.status == AttemptStatus.SUCCEEDED)
    return (
        select(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.buyer_id == buyer_id, paid, Order.payment_status != PaymentStatus.REFUNDED)
    )


def paid_order_lines(buyer_id: int) -> Any:
    """``select(OrderLine)`` of the buyer's paid orders not refunded in full (the quotes' usual basket reads it)."""
    return _paid_lines(buyer_id)


def top_products(session: Session, buyer_id: int, limit: int = 5) -> list[ProductCount]:
    """The buyer's most reordered products: by number of paid orders containing them, then quantity."""
    lines = _paid_lines(buyer_id).subquery()
    orders = func.count(func.distinct(lines.c.order_id))
    rows = session.execute(
        select(lines.c.product_id, func.max(lines.c.title), orders, func.sum(lines.c.quantity))
        .group_by(lines.c.product_id)
        .order_by(orders.desc(), func.sum(lines.c.quantity).desc(), lines.c.product_id)
        .limit(limit)
    ).all()
    return [ProductCount(row[0], row[1], int(row[2]), int(row[3])) for row in rows]


def top_categories(session: Session, buyer_id: int, limit: int = 3) -> list[CategoryCount]:
    """The categories the buyer orders from most (by number of paid orders)."""
    from storefront.catalog.models import Product

    lines = _paid_lines(buyer_id).subquery()
    orders = func.count(func.distinct(lines.c.order_id))
    rows = session.execute(
        select(Category.id, Category.name, orders)
        .select_from(lines)
        .join(Product, Product.id == lines.c.product_id)
        .join(Category, Category.id == Product.category_id)
        .group_by(Category.id, Category.name)
        .order_by(orders.desc(), Category.id)
        .limit(limit)
    ).all()
    return [CategoryCount(row[0], row[1], int(row[2])) for row in rows]


def buyer_reorder_summary(session: Session, buyer_id: int) -> ReorderSummary | None:
    """For the buyer card: status, expected next date, median interval, spend, top products and categories.

    None when the buyer has no statistics row yet (before the first recompute or paid order).
    """
    stats = session.get(BuyerStats, buyer_id)
    if stats is None:
        return None
    return ReorderSummary(
        status=str(stats.status),
        status_since=stats.status_since,
        order_count=stats.order_count,
        first_paid_at=stats.first_paid_at,
        last_paid_at=stats.last_paid_at,
        expected_next_at=stats.expected_next_at,
        median_interval_days=stats.median_interval_days,
        spend_12m=stats.spend_12m,
        spend_total=stats.spend_total,
        average_order=stats.average_order,
        top_products=top_products(session, buyer_id) if stats.order_count else [],
        top_categories=top_categories(session, buyer_id) if stats.order_count else [],
    )


@dataclass(frozen=True)
class ReorderRow:
    buyer: Buyer
    stats: BuyerStats
    manager_id: int | None


def _buyers_in(
    session: Session, statuses: tuple[ReorderStatus, ...], manager_id: int | None, limit: int
) -> list[ReorderRow]:
    query = (
        select(Buyer, BuyerStats, BuyerProfile.manager_id)
        .join(BuyerStats, BuyerStats.buyer_id == Buyer.id)
        .outerjoin(BuyerProfile, BuyerProfile.buyer_id == Buyer.id)
        .where(status_condition(list(statuses)))
        .order_by(BuyerStats.spend_12m.desc(), Buyer.id)
        .limit(limit)
    )
    if manager_id is not None:
        query = query.where(BuyerProfile.manager_id == manager_id)
    return [ReorderRow(buyer, stats, manager) for buyer, stats, manager in session.execute(query)]


def due_buyers(session: Session, manager_id: int | None, limit: int = 200) -> list[ReorderRow]:
    """«Пора повторить заказ»: buyers whose next order is expected within the next N days, by 12-month spend.

    ``manager_id``: only that manager's buyers (None: everyone, for admins).
    """
    return _buyers_in(session, (ReorderStatus.DUE,), manager_id, limit)


def at_risk_buyers(session: Session, manager_id: int | None, limit: int = 200) -> list[ReorderRow]:
    """«Под угрозой ухода»: overdue and lapsed buyers, by 12-month spend (``manager_id`` as in ``due_buyers``)."""
    return _buyers_in(session, AT_RISK, manager_id, limit)


# --- the paginated tabs of «Повторные заказы» ------------------------------------------------------------------

#: The tabs: «Пора повторить» (due), «Под угрозой ухода» (past the expected date, still buying this year) and
#: «Ушедшие» (past it with nothing paid in the last 12 months).
TABS = ("due", "risk", "lapsed")
PAGE_SIZE = 50
#: Value at risk when the buyer has no interval of their own (fewer than two paid orders): one order a year.
YEAR_DAYS = 365


def value_at_risk(stats: BuyerStats) -> Decimal:
    """What a year of this buyer is worth at their own rhythm: average order × orders a year (365 days over their
    median interval; one a year without one). ``value_at_risk_order`` sorts by the same formula in SQL."""
    interval = stats.median_interval_days or YEAR_DAYS
    return quantize_kopecks(stats.average_order * YEAR_DAYS / Decimal(str(interval)))


def value_at_risk_order() -> ColumnElement[Any]:
    interval = func.coalesce(func.nullif(BuyerStats.median_interval_days, 0), float(YEAR_DAYS))
    return type_coerce(BuyerStats.average_order, Float) * float(YEAR_DAYS) / interval


def _tab_conditions(tab: str) -> list[ColumnElement[bool]]:
    if tab == "due":
        return [status_condition(ReorderStatus.DUE)]
    spent = BuyerStats.spend_12m > Decimal("0") if tab == "risk" else BuyerStats.spend_12m <= Decimal("0")
    return [status_condition(list(AT_RISK)), spent]


@dataclass(frozen=True)
class ReorderTabPage:
    tab: str
    rows: list[ReorderRow]
    #: Rows in every tab (same manager scope), for the tab labels.
    counts: dict[str, int]
    page: int
    pages: int

    @property
    def total(self) -> int:
        return self.counts[self.tab]


def reorder_tab(session: Session, tab: str, manager_id: int | None, page: int = 1) -> ReorderTabPage:
    """One page of a tab (``TABS``; ``ValueError`` otherwise): «due» by 12-month spend, the other two by value at
    risk, biggest first; ``manager_id`` as in ``due_buyers``. A page past the end shows the last one."""
    if tab not in TABS:
        raise ValueError(f"unknown reorder tab {tab!r}")
    scope = [BuyerProfile.manager_id == manager_id] if manager_id is not None else []
    # Every tab's count in one pass over the statistics (the tab labels show them all).
    tallies = session.execute(
        select(*(func.sum(case((and_(*_tab_conditions(name)), 1), else_=0)) for name in TABS))
        .select_from(BuyerStats)
        .outerjoin(BuyerProfile, BuyerProfile.buyer_id == BuyerStats.buyer_id)
        .where(*scope)
    ).one()
    counts = {name: int(tally or 0) for name, tally in zip(TABS, tallies, strict=True)}
    pages = max(1, -(-counts[tab] // PAGE_SIZE))
    page = min(max(page, 1), pages)
    order = BuyerStats.spend_12m.desc() if tab == "due" else value_at_risk_order().desc()
    query = (
        select(Buyer, BuyerStats, BuyerProfile.manager_id)
        .join(BuyerStats, BuyerStats.buyer_id == Buyer.id)
        .outerjoin(BuyerProfile, BuyerProfile.buyer_id == Buyer.id)
        .where(*_tab_conditions(tab), *scope)
        .options(selectinload(Buyer.tier))
        .order_by(order, Buyer.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    rows = [ReorderRow(buyer, stats, manager) for buyer, stats, manager in session.execute(query)]
    return ReorderTabPage(tab, rows, counts, page, pages)

"""The staff order list (/crm/orders): filters, tabs by the goods' status with their counts, sorts, pages.

Every filter is a condition on ``orders`` alone (the buyer's manager, tier and name through ``IN`` subqueries), so
the tabs' counts are ONE statement (a ``GROUP BY status, payment_status`` and the filtered total) and a page is ONE
SELECT that walks an index of the sort column and stops after the page (the total of the tab comes from the counts,
so the page query has no ``count(*) OVER ()`` over a million rows). Dates are Moscow calendar days.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, select, union_all
from sqlalchemy.orm import Session, aliased

from crm.buyers.models import BuyerProfile
from crm.buyers.queries import buyer_search_condition
from crm.staff.models import StaffUser
from storefront.account.models import Buyer, Tier
from storefront.db import utcnow
from storefront.moscow import FIRST_DAY, LAST_DAY, moscow_day_end, moscow_midnight
from storefront.order.models import MONEY_IN, Order, OrderStatus, PaymentStatus

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
#: The pseudo-status of the «Ожидают оплаты» tab: placed, not paid, not canceled (``Order.awaiting_payment``).
AWAITING_PAYMENT = "awaiting_payment"
#: The tabs, in the order the page shows them (after «Все»).
TABS: tuple[str, ...] = (AWAITING_PAYMENT, *(status.value for status in OrderStatus))
SORTS = ("placed", "paid", "total", "number")
#: The row of ``tab_counts``' statement that carries the filtered total (no status is spelled so).
TOTAL = "*total*"
#: Goods not yet on their way: «оплачен, но не отправлен» looks at these.
NOT_SHIPPED = (OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.PACKED)


@dataclass(frozen=True)
class OrderFilters:
    #: A goods status, or ``AWAITING_PAYMENT``; None: every order (the «Все» tab).
    status: str | None = None
    payment_status: str | None = None
    #: Placed and paid between these Moscow calendar days, both inclusive.
    placed_from: date | None = None
    placed_to: date | None = None
    paid_from: date | None = None
    paid_to: date | None = None
    #: Buyer name, company, INN or e-mail (the buyer's, as the buyer list matches them), order number or INN/e-mail
    #: on the order.
    search: str | None = None
    #: The account manager of the order's buyer.
    manager_id: int | None = None
    #: The buyer's current tier.
    tier_id: int | None = None
    shipping_method_id: int | None = None
    #: Paid (money in), goods not shipped yet, paid more than this many days ago.
    unshipped_days: int | None = None
    sort: str = "placed"
    descending: bool = True


@dataclass(frozen=True)
class OrderRow:
    id: int
    number: str
    created_at: datetime
    paid_at: datetime | None
    status: str
    payment_status: str
    total_amount: Decimal
    buyer_id: int | None
    buyer_name: str
    company_name: str | None
    inn: str | None
    email: str
    phone: str
    city: str
    shipping_method_name: str
    tier_name: str | None
    manager_id: int | None
    manager_name: str | None

    @property
    def awaiting_payment(self) -> bool:
        return self.status == OrderStatus.NEW and self.payment_status == PaymentStatus.UNPAID


@dataclass(frozen=True)
class TabCounts:
    #: Goods status → orders matching every filter but the status; plus ``AWAITING_PAYMENT``.
    by_tab: dict[str, int] = field(default_factory=dict)
    total: int = 0

    def of(self, tab: str | None) -> int:
        return self.total if tab is None else self.by_tab.get(tab, 0)


@dataclass(frozen=True)
class OrderListPage:
    rows: list[OrderRow]
    total: int
    page: int
    pages: int


def _day(day: date) -> date:
    return min(max(day, FIRST_DAY), LAST_DAY)


def search_condition(search: str) -> ColumnElement[bool]:
    """The buyer matched like the buyer list matches them (name, company, e-mail, INN, phone), or the order's own
    e-mail, whole number (any case) or INN. One ``IN (… UNION ALL …)`` of indexed lookups: an ``OR`` across them
    would make the database walk every order."""
    text = search.strip()
    matches = [
        select(Order.id).where(Order.buyer_id.in_(select(Buyer.id).where(buyer_search_condition(text)))),
        select(Order.id).where(Order.email == text.lower()),
        select(Order.id).where(Order.number == text.upper()),
    ]
    if text.isascii() and text.isdigit() and len(text) in (10, 12):
        matches.append(select(Order.id).where(Order.inn == text))
    return Order.id.in_(union_all(*matches))


def status_condition(status: str) -> ColumnElement[bool]:
    """The tab: a goods status, or «awaiting payment» (new and unpaid)."""
    if status == AWAITING_PAYMENT:
        return and_(Order.status == OrderStatus.NEW, Order.payment_status == PaymentStatus.UNPAID)
    return Order.status == status


def conditions(filters: OrderFilters, now: datetime, with_status: bool = True) -> list[ColumnElement[bool]]:
    """The WHERE of the list, on ``orders`` only; ``with_status=False``: every filter but the tab (the counts)."""
    where: list[ColumnElement[bool]] = []
    if with_status and filters.status:
        where.append(status_condition(filters.status))
    if filters.payment_status:
        where.append(Order.payment_status == filters.payment_status)
    if filters.placed_from is not None:
        where.append(Order.created_at >= moscow_midnight(_day(filters.placed_from)))
    if filters.placed_to is not None:
        where.append(Order.created_at < moscow_day_end(_day(filters.placed_to)))
    if filters.paid_from is not None:
        where.append(Order.paid_at >= moscow_midnight(_day(filters.paid_from)))
    if filters.paid_to is not None:
        where.append(Order.paid_at < moscow_day_end(_day(filters.paid_to)))
    if filters.search and filters.search.strip():
        where.append(search_condition(filters.search))
    if filters.manager_id is not None:
        where.append(
            Order.buyer_id.in_(select(BuyerProfile.buyer_id).where(BuyerProfile.manager_id == filters.manager_id))
        )
    if filters.tier_id is not None:
        where.append(Order.buyer_id.in_(select(Buyer.id).where(Buyer.tier_id == filters.tier_id)))
    if filters.shipping_method_id is not None:
        where.append(Order.shipping_method_id == filters.shipping_method_id)
    if filters.unshipped_days is not None:
        where += [
            Order.status.in_(NOT_SHIPPED),
            Order.payment_status.in_(MONEY_IN),
            Order.paid_at < now - timedelta(days=filters.unshipped_days),
        ]
    return where


def ordering(filters: OrderFilters) -> list[Any]:
    """ORDER BY: the chosen column, then the id (stable pages); an unpaid order sorts after the paid ones."""
    column = {
        "placed": Order.created_at,
        "paid": Order.paid_at,
        "total": Order.total_amount,
        "number": Order.number,
    }.get(filters.sort, Order.created_at)
    primary = column.desc() if filters.descending else column.asc()
    if filters.sort == "paid":
        primary = primary.nulls_last()
    return [primary, Order.id.desc() if filters.descending else Order.id.asc()]


def tab_counts(session: Session, filters: OrderFilters, now: datetime | None = None) -> TabCounts:
    """ONE statement: how many orders each tab holds under the other filters.

    A GROUP BY of every status but «completed» (the small, working part of the desk), and the filtered total as a
    plain ``count(*)``; «completed» is the rest. Most orders are completed: grouping them row by row was the cost
    of the page, while an unfiltered ``count(*)`` is answered from the table's b-tree pages on SQLite and by an
    index-only scan on PostgreSQL.
    """
    where = conditions(filters, now or utcnow(), with_status=False)
    working = (
        select(Order.status, Order.payment_status, func.count().label("n"))
        .where(*where, Order.status != OrderStatus.COMPLETED)
        .group_by(Order.status, Order.payment_status)
    )
    total = select(func.count()).select_from(Order).where(*where).scalar_subquery()
    query = union_all(working, select(literal(TOTAL), literal(TOTAL), total))
    by_tab: dict[str, int] = {tab: 0 for tab in TABS}
    everything = 0
    for status, payment_status, count in session.execute(query):
        if status == TOTAL:
            everything = count
            continue
        by_tab[status] = by_tab.get(status, 0) + count
        if status == OrderStatus.NEW and payment_status == PaymentStatus.UNPAID:
            by_tab[AWAITING_PAYMENT] += count
    by_tab[OrderStatus.COMPLETED] = everything - sum(by_tab[status] for status in OrderStatus)
    return TabCounts(by_tab, everything)


def list_select(filters: OrderFilters, now: datetime, limit: int, offset: int = 0) -> Select[*tuple[Any, ...]]:
    """ONE SELECT of a page with every column a row shows: the inner query filters and sorts order ids (an index
    walk of the sort column that stops after the page); the outer one joins the buyer, tier and manager for those
    rows only."""
    order = ordering(filters)
    ranked = (
        select(Order.id.label("order_id"))
        .where(*conditions(filters, now))
        .order_by(*order)
        .limit(limit)
        .offset(offset)
        .subquery("ranked")
    )
    manager = aliased(StaffUser)
    return (
        select(
            Order.id,
            func.coalesce(Order.number, "").label("number"),
            Order.created_at,
            Order.paid_at,
            Order.status,
            Order.payment_status,
            Order.total_amount,
            Order.buyer_id,
            func.coalesce(Buyer.name, Order.contact_name).label("buyer_name"),
            func.coalesce(Order.company_name, Buyer.company_name).label("company_name"),
            func.coalesce(Order.inn, Buyer.inn).label("inn"),
            Order.email,
            Order.phone,
            Order.city,
            Order.shipping_method_name,
            Tier.name.label("tier_name"),
            BuyerProfile.manager_id,
            func.coalesce(func.nullif(manager.name, ""), manager.email).label("manager_name"),
        )
        .select_from(ranked)
        .join(Order, Order.id == ranked.c.order_id)
        .outerjoin(Buyer, Buyer.id == Order.buyer_id)
        .outerjoin(Tier, Tier.id == Buyer.tier_id)
        .outerjoin(BuyerProfile, BuyerProfile.buyer_id == Order.buyer_id)
        .outerjoin(manager, manager.id == BuyerProfile.manager_id)
        .order_by(*order)
    )


def _row(values: Any) -> OrderRow:
    return OrderRow(**{name: values._mapping[name] for name in OrderRow.__dataclass_fields__})


def pages_of(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


def order_page(
    session: Session, filters: OrderFilters, page: int = 1, now: datetime | None = None, total: int | None = None
) -> OrderListPage:
    """One page in ONE query. ``total`` (the tab's count from ``tab_counts``) clamps a page past the end to the
    last one; without it a page past the end is empty."""
    now = now or utcnow()
    pages = pages_of(total) if total is not None else None
    page = max(1, min(page, pages) if pages is not None else page)
    result = session.execute(list_select(filters, now, PAGE_SIZE, (page - 1) * PAGE_SIZE)).all()
    rows = [_row(values) for values in result]
    if total is None:
        total = (page - 1) * PAGE_SIZE + len(rows)
        pages = page if len(rows) < PAGE_SIZE else page + 1
    assert pages is not None
    return OrderListPage(rows, total, page, pages)


def export_rows(session: Session, filters: OrderFilters, now: datetime | None = None) -> Iterator[OrderRow]:
    """The filtered, sorted orders, at most EXPORT_LIMIT, read in slices of a few thousand (the CSV streams)."""
    now = now or utcnow()
    result = session.execute(
        list_select(filters, now, EXPORT_LIMIT), execution_options={"yield_per": 2000, "stream_results": True}
    )
    for values in result:
        yield _row(values)

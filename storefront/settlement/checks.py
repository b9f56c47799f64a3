"""The ledger's invariant, checked over every order, and the backfill of orders paid before the ledger existed.

For every order: money captured − money refunded (the ``payments`` and ``refunds`` tables, succeeded ones)
= supplier payables + platform commission and shipping + money still held (the ledger), to the kopeck; every
transaction's entries sum to zero; no part of an order holds less than nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from storefront.money import to_minor
from storefront.order.models import Order
from storefront.payment.models import AttemptStatus, Payment, Refund, RefundState
from storefront.settlement.models import Account, LedgerEntry
from storefront.settlement.postings import RELEASED, settle_order

#: The accounts an order's money sits in, once captured.
ORDER_ACCOUNTS = (Account.HELD, *RELEASED)


@dataclass(frozen=True)
class OrderMismatch:
    order_id: int
    number: str
    captured: int
    refunded: int
    #: Payables + platform + held for the order in the ledger (kopecks).
    ledger: int


@dataclass
class CheckReport:
    orders: int = 0
    #: (transaction id, the sum of its entries in kopecks)
    unbalanced: list[tuple[int, int]] = field(default_factory=list)
    mismatches: list[OrderMismatch] = field(default_factory=list)
    #: (order number, order line id or None for shipping, kopecks held below zero)
    negative_held: list[tuple[str, int | None, int]] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not (self.unbalanced or self.mismatches or self.negative_held)


def _sums(session: Session, statement: Select[int, Decimal]) -> dict[int, int]:
    return {order_id: to_minor(amount) for order_id, amount in session.execute(statement)}


def check_ledger(session: Session) -> CheckReport:
    """The invariant over every order, in a few grouped queries."""
    report = CheckReport()
    unbalanced = session.execute(
        select(LedgerEntry.transaction_id, func.sum(LedgerEntry.amount))
        .group_by(LedgerEntry.transaction_id)
        .having(func.sum(LedgerEntry.amount) != 0)
        .order_by(LedgerEntry.transaction_id)
    )
    report.unbalanced = [(transaction_id, int(total)) for transaction_id, total in unbalanced]
    captured = _sums(
        session,
        select(Payment.order_id, func.sum(Payment.amount))
        .where(Payment.status == AttemptStatus.SUCCEEDED)
        .group_by(Payment.order_id),
    )
    refunded = _sums(
        session,
        select(Refund.order_id, func.sum(Refund.amount))
        .where(Refund.status == RefundState.SUCCEEDED)
        .group_by(Refund.order_id),
    )
    ledger: dict[int, int] = {
        order_id: -int(total)
        for order_id, total in session.execute(
            select(LedgerEntry.order_id, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.order_id.is_not(None), LedgerEntry.account.in_(ORDER_ACCOUNTS))
            .group_by(LedgerEntry.order_id)
        )
        if order_id is not None
    }
    order_ids = sorted(set(captured) | set(refunded) | set(ledger))
    report.orders = len(order_ids)
    numbers: dict[int, str | None] = {}
    if order_ids:
        rows = session.execute(select(Order.id, Order.number).where(Order.id.in_(order_ids)))
        numbers = {order_id: number for order_id, number in rows}
    for order_id in order_ids:
        paid, back, held = captured.get(order_id, 0), refunded.get(order_id, 0), ledger.get(order_id, 0)
        if paid - back != held:
            report.mismatches.append(OrderMismatch(order_id, numbers.get(order_id) or str(order_id), paid, back, held))
    negative = session.execute(
        select(LedgerEntry.order_id, LedgerEntry.order_line_id, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.account == Account.HELD)
        .group_by(LedgerEntry.order_id, LedgerEntry.order_line_id)
        .having(func.sum(LedgerEntry.amount) > 0)
    )
    report.negative_held = [
        (numbers.get(order_id or 0) or str(order_id), line_id, int(total)) for order_id, line_id, total in negative
    ]
    return report


def orders_to_settle(session: Session, batch: int = 500) -> Iterator[list[int]]:
    """Ids of every order with a succeeded payment, ``batch`` at a time, in id order."""
    last = 0
    while True:
        ids = list(
            session.scalars(
                select(Payment.order_id)
                .where(Payment.status == AttemptStatus.SUCCEEDED, Payment.order_id > last)
                .group_by(Payment.order_id)
                .order_by(Payment.order_id)
                .limit(batch)
            )
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def backfill(session: Session, *, returns_commission: bool) -> Iterator[dict[str, int]]:
    """Post what the ledger lacks for every paid order (``settle_order``: each fact once, oldest first), a batch of
    orders at a time: yields the transactions posted in the batch by kind, and the caller commits each batch (so
    a long backfill holds no long transaction); a second run posts nothing. Flushes only."""
    for ids in orders_to_settle(session):
        posted: dict[str, int] = defaultdict(int)
        for order_id in ids:
            for transaction in settle_order(session, order_id, returns_commission=returns_commission):
                posted[str(transaction.kind)] += 1
        yield dict(posted)

"""The акт сверки взаимных расчётов with one buyer for a period: what we handed over (each УПД, our debit), what
they paid (each payment, our credit) and what we paid back (each refund, a debit: the money went back to them).

Payments and refunds are read from the orders' payment history (``OrderStatusChange`` of kind ``payment``): every
way money comes in or goes back (YooKassa, a bank transfer, a refund) moves the order's payment status there with
its amount, reference and time. Days are Moscow days; the period's bounds are included. A balance above zero is
owed to us by the buyer; below zero, we owe the buyer (a prepayment for goods not handed over yet).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.documents.models import Upd
from storefront.moscow import to_moscow
from storefront.order.models import HistoryKind, Order, OrderStatusChange, PaymentStatus

ZERO = Decimal("0.00")


class EntryKind(enum.StrEnum):
    UPD = "upd"
    PAYMENT = "payment"
    REFUND = "refund"


@dataclass(frozen=True)
class Entry:
    on: date
    kind: EntryKind
    #: The document's number: the УПД's, or the payment's or refund's reference (the order number without one).
    document: str
    order_number: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class Reconciliation:
    start: date
    end: date
    #: Debit minus credit before ``start``: above zero the buyer owes us.
    opening: Decimal
    entries: list[Entry]

    @property
    def debit_turnover(self) -> Decimal:
        return sum((entry.debit for entry in self.entries), ZERO)

    @property
    def credit_turnover(self) -> Decimal:
        return sum((entry.credit for entry in self.entries), ZERO)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.debit_turnover - self.credit_turnover


class BadPeriod(ValueError):
    """The period ends before it starts."""


def _entries(session: Session, buyer_id: int, end: date) -> list[Entry]:
    entries: list[Entry] = []
    upds = session.execute(
        select(Upd, Order.number).join(Order, Order.id == Upd.order_id).where(Order.buyer_id == buyer_id)
    )
    for upd, number in upds:
        entries.append(Entry(upd.issued_on, EntryKind.UPD, f"{upd.number}", number or "", upd.total_amount, ZERO))
    moves = session.execute(
        select(OrderStatusChange, Order.number, Order.total_amount)
        .join(Order, Order.id == OrderStatusChange.order_id)
        .where(Order.buyer_id == buyer_id, OrderStatusChange.kind == HistoryKind.PAYMENT)
    )
    for change, number, total in moves:
        on = to_moscow(change.created_at).date()
        document = change.reference or number or ""
        if change.to_status == PaymentStatus.PAID:
            entries.append(Entry(on, EntryKind.PAYMENT, document, number or "", ZERO, change.amount or total))
        elif change.amount:
            entries.append(Entry(on, EntryKind.REFUND, document, number or "", change.amount, ZERO))
    entries = [entry for entry in entries if entry.on <= end]
    entries.sort(key=lambda entry: (entry.on, entry.kind != EntryKind.PAYMENT, entry.order_number, entry.document))
    return entries


def reconcile(session: Session, buyer_id: int, start: date, end: date) -> Reconciliation:
    """The statement for ``start``–``end`` (Moscow days, both included); ``BadPeriod`` if it ends before it
    starts."""
    if end < start:
        raise BadPeriod(f"{start} > {end}")
    everything = _entries(session, buyer_id, end)
    before = [entry for entry in everything if entry.on < start]
    opening = sum((entry.debit - entry.credit for entry in before), ZERO)
    return Reconciliation(start, end, opening, [entry for entry in everything if entry.on >= start])

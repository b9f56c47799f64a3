"""What the buyer's order page shows about the money: every payment and refund with its amount, date and 54-FZ
receipt (the items and totals as sent; «Чеки от ЮKassa» e-mail the fiscal receipt itself to the address in it,
the API gives no link to it), and the totals behind «Частично возвращено … из …»."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storefront.payment.models import AttemptStatus, Payment, RefundState
from storefront.payment.receipt import ReceiptItem, items_from_receipt, receipt_total


@dataclass(frozen=True)
class MoneyMove:
    """One payment received or one refund (done, or under way)."""

    kind: str  # "payment" | "refund"
    amount: Decimal
    at: datetime
    done: bool
    receipt_items: list[ReceiptItem]
    #: Where «Чеки от ЮKassa» send the fiscal receipt (the ``receipt.customer`` e-mail), if any.
    receipt_email: str

    @property
    def receipt_total(self) -> Decimal:
        return receipt_total(self.receipt_items)


@dataclass(frozen=True)
class Ledger:
    moves: list[MoneyMove]
    paid: Decimal
    refunded: Decimal
    #: Refunds sent and not answered yet, or under way at YooKassa.
    refunding: Decimal


#: Refund states a buyer is told about (a canceled refund never moved money).
_SHOWN_REFUNDS = (RefundState.SUCCEEDED, RefundState.PENDING, RefundState.UNKNOWN)


def order_ledger(session: Session, order_id: int) -> Ledger:
    """The order's succeeded payments and their refunds, oldest first (two queries)."""
    payments = session.scalars(
        select(Payment)
        .where(Payment.order_id == order_id, Payment.status == AttemptStatus.SUCCEEDED)
        .options(selectinload(Payment.refunds))
        .order_by(Payment.id)
    )
    moves: list[MoneyMove] = []
    paid = refunded = refunding = Decimal("0.00")
    for payment in payments:
        paid += payment.amount
        moves.append(
            MoneyMove(
                "payment",
                payment.amount,
                payment.succeeded_at or payment.created_at,
                True,
                items_from_receipt(payment.receipt),
                str(payment.receipt.get("customer", {}).get("email", "")),
            )
        )
        for refund in payment.refunds:
            if refund.status not in _SHOWN_REFUNDS:
                continue
            done = refund.status == RefundState.SUCCEEDED
            if done:
                refunded += refund.amount
            else:
                refunding += refund.amount
            moves.append(
                MoneyMove(
                    "refund",
                    refund.amount,
                    refund.updated_at if done else refund.created_at,
                    done,
                    items_from_receipt(refund.receipt),
                    str(refund.receipt.get("customer", {}).get("email", "")),
                )
            )
    moves.sort(key=lambda move: move.at)
    return Ledger(moves, paid, refunded, refunding)

"""A buyer's spend: succeeded payments on their orders since an instant, minus the succeeded refunds of those
payments (a refund lowers the spend of the payment it returns, whenever it happens).

The ONE definition, shared by the buyer's account page (tier progress) and the CRM (tiers, dashboard). Sums are
taken in SQL on the raw integer kopeck columns, so they are exact on both engines.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, func, literal, select, type_coerce
from sqlalchemy.orm import Session

from storefront.money import from_minor
from storefront.order.models import Order
from storefront.payment.models import AttemptStatus, Payment, Refund, RefundState

#: The tier window: payments at or after ``now - WINDOW`` count (365 days old counts, 366 does not).
WINDOW = timedelta(days=365)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window_start(now: datetime) -> datetime:
    return now - WINDOW


def kopecks_sum(column: Any) -> Any:
    """SUM over a money column as raw integer kopecks (no conversion to roubles on the way out)."""
    return func.sum(type_coerce(column, BigInteger))


def paid_sum(buyer_id_column: Any, since: datetime) -> Any:
    """Correlated: kopecks paid by the buyer since ``since``."""
    return (
        select(func.coalesce(kopecks_sum(Payment.__table__.c.amount), 0))
        .join(Order, Order.id == Payment.order_id)
        .where(
            Order.buyer_id == buyer_id_column,
            Payment.status == AttemptStatus.SUCCEEDED,
            Payment.succeeded_at >= since,
        )
        .scalar_subquery()
    )


def refunded_sum(buyer_id_column: Any, since: datetime) -> Any:
    """Correlated: kopecks refunded from the buyer's payments made since ``since``."""
    return (
        select(func.coalesce(kopecks_sum(Refund.__table__.c.amount), 0))
        .join(Payment, Payment.id == Refund.payment_id)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Order.buyer_id == buyer_id_column,
            Refund.status == RefundState.SUCCEEDED,
            Payment.status == AttemptStatus.SUCCEEDED,
            Payment.succeeded_at >= since,
        )
        .scalar_subquery()
    )


def spend_minor(buyer_id_column: Any, since: datetime) -> Any:
    """Spend in kopecks as a correlated SQL expression."""
    return paid_sum(buyer_id_column, since) - refunded_sum(buyer_id_column, since)


def refunds_per_payment() -> Any:
    """Subquery (payment_id, total kopecks of its succeeded refunds), one row per refunded payment."""
    return (
        select(Refund.payment_id.label("payment_id"), kopecks_sum(Refund.__table__.c.amount).label("total"))
        .where(Refund.status == RefundState.SUCCEEDED)
        .group_by(Refund.payment_id)
        .subquery()
    )


def net_of_refunds(refunds: Any) -> Any:
    """A payment's amount less its refunds (``refunds_per_payment`` outer-joined on the payment), in kopecks."""
    return type_coerce(Payment.__table__.c.amount, BigInteger) - func.coalesce(refunds.c.total, 0)


def net_paid_by_buyer(since: datetime) -> Any:
    """Subquery (buyer_id, kopecks paid since ``since`` net of their refunds), one row per buyer who paid.

    One pass over payments and orders: each payment's amount less its succeeded refunds (summed per payment
    first), then summed per buyer.
    """
    refunds = refunds_per_payment()
    return (
        select(Order.buyer_id.label("buyer_id"), func.sum(net_of_refunds(refunds)).label("total"))
        .select_from(Payment)
        .join(Order, Order.id == Payment.order_id)
        .outerjoin(refunds, refunds.c.payment_id == Payment.id)
        .where(Order.buyer_id.is_not(None), Payment.status == AttemptStatus.SUCCEEDED, Payment.succeeded_at >= since)
        .group_by(Order.buyer_id)
        .subquery()
    )


def buyer_spend(session: Session, buyer_id: int, since: datetime | None) -> Decimal:
    """Paid spend net of refunds since ``since`` (None: lifetime), in roubles."""
    minor = session.scalar(select(spend_minor(literal(buyer_id), since or _EPOCH))) or 0
    return from_minor(int(minor))

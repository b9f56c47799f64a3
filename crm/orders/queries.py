"""Reading one order for the staff order page, and who may act on it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from crm.buyers.queries import manager_of
from crm.staff.models import Role, StaffUser
from storefront.account.models import Buyer, Tier
from storefront.order.models import Order
from storefront.payment.models import AttemptStatus, Payment, RefundState

#: Refunds that hold part of a payment: done, under way, or sent without an answer yet.
_RESERVING = (RefundState.SUCCEEDED, RefundState.PENDING, RefundState.UNKNOWN)


@dataclass(frozen=True)
class OrderPage:
    order: Order
    buyer: Buyer | None
    payments: list[Payment]
    #: The payment a refund returns (the latest succeeded one), if any.
    paid: Payment | None
    refunded: Decimal
    #: What may still be refunded (paid minus refunds done or under way).
    refundable: Decimal
    #: The name of the tier the order was placed with (the order keeps its code).
    tier_name: str | None = None


def order_page(session: Session, number: str) -> OrderPage | None:
    order = session.scalar(
        select(Order).where(Order.number == number).options(selectinload(Order.lines), selectinload(Order.history))
    )
    if order is None:
        return None
    payments = list(
        session.scalars(
            select(Payment)
            .where(Payment.order_id == order.id)
            .options(selectinload(Payment.refunds))
            .order_by(Payment.id)
        )
    )
    paid = next((p for p in reversed(payments) if p.status == AttemptStatus.SUCCEEDED), None)
    refunded = sum(
        (r.amount for p in payments for r in p.refunds if r.status == RefundState.SUCCEEDED), Decimal("0.00")
    )
    reserved = sum((r.amount for r in paid.refunds if r.status in _RESERVING), Decimal("0.00")) if paid else Decimal(0)
    refundable = paid.amount - reserved if paid else Decimal("0.00")
    buyer = session.get(Buyer, order.buyer_id) if order.buyer_id is not None else None
    tier_name = session.scalar(select(Tier.name).where(Tier.code == order.tier_code)) if order.tier_code else None
    return OrderPage(order, buyer, payments, paid, refunded, max(refundable, Decimal("0.00")), tier_name)


def manages(session: Session, staff: StaffUser, buyer_id: int | None) -> bool:
    """Whether the buyer is assigned to this staff member."""
    if buyer_id is None:
        return False
    return manager_of(session, buyer_id) == staff.id


def may_act_on(session: Session, staff: StaffUser, order: Order) -> bool:
    """The scope on top of the role permission (``crm.permissions``): an account manager sees contact data of,
    and refunds, only the orders of buyers assigned to them; an administrator any order; an operator sees every
    order in full (refunds stay outside the operator's permissions), and so does finance (matching money to orders).
    """
    if staff.role in (Role.ADMIN, Role.OPERATOR, Role.FINANCE):
        return True
    return staff.role == Role.ACCOUNT_MANAGER and manages(session, staff, order.buyer_id)

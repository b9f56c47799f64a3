"""Orders with suppliers, paid and refunded through the YooKassa stand-in (the real SDK over HTTP), for the
settlement tests."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.catalog.models import Supplier
from storefront.order.models import Order, OrderStatus
from storefront.order.services import change_status, confirm_receipt
from storefront.payment.attempts import PaymentPolicy, apply_payment_status, start_payment
from storefront.settlement.models import Account, LedgerEntry, LedgerTransaction, TransactionKind
from tests.support.factories import create_supplier, make_order

POLICY = PaymentPolicy()

#: Three lines (two suppliers, 8 % and 12 %), a 500 ₽ discount and 450 ₽ shipping.
LINES = (
    ("Кроссовки мужские беговые", 3, Decimal("1999.90")),
    ("Рюкзак городской", 2, Decimal("1250.35")),
    ("Термокружка стальная", 7, Decimal("333.33")),
)


def suppliers(session: Session) -> tuple[Supplier, Supplier]:
    return create_supplier(session, commission_bp=800), create_supplier(session, commission_bp=1200)


def supplied_order(
    session: Session,
    first: Supplier,
    second: Supplier,
    *,
    discount: Decimal = Decimal("500.00"),
    shipping: Decimal = Decimal("450.00"),
) -> Order:
    """An order awaiting payment whose lines belong to the two suppliers, each with its commission frozen."""
    order = make_order(session, LINES, discount=discount, shipping=shipping)
    for line, supplier in zip(order.lines, (first, second, first), strict=True):
        line.supplier_id = supplier.id
        line.commission_bp = supplier.commission_bp
    session.commit()
    return order


def pay(session: Session, gateway, control, base_url: str, order: Order) -> Order:
    payment = start_payment(session, gateway, order, base_url + "/orders/x", POLICY)
    control.pay(payment.yookassa_payment_id)
    apply_payment_status(session, gateway, gateway.get_payment(payment.yookassa_payment_id), POLICY)
    session.expire_all()
    return session.get(Order, order.id)


def deliver(session: Session, order: Order) -> Order:
    for status in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        change_status(session, order, status)
        session.commit()
    return order


def confirm(session: Session, order: Order) -> Order:
    confirm_receipt(session, order, order.buyer_id)
    session.commit()
    return order


def balance(session: Session, account: Account, **where: object) -> int:
    """The account's balance in kopecks, credit balances positive (what is held, owed or earned)."""
    statement = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.account == account)
    for name, value in where.items():
        statement = statement.where(getattr(LedgerEntry, name) == value)
    total = int(session.scalar(statement) or 0)
    return total if account == Account.PROVIDER else -total


def count(session: Session, kind: TransactionKind) -> int:
    return int(session.scalar(select(func.count(LedgerTransaction.id)).where(LedgerTransaction.kind == kind)) or 0)

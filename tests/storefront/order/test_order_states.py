"""The goods' status and the money's status move apart, each along its own table, one conditional UPDATE a step."""

from decimal import Decimal
from itertools import product

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.order.models import (
    NEEDS_PAYMENT,
    PAYMENT_TRANSITIONS,
    TRANSITIONS,
    HistoryKind,
    Order,
    OrderStatus,
    OrderStatusChange,
    PaymentStatus,
)
from storefront.order.services import NotPaidYet, TransitionNotAllowed, change_payment_status, change_status
from tests.support.factories import make_order


def _order_in(session: Session, status: OrderStatus, money: PaymentStatus) -> Order:
    order = make_order(session)
    order.status, order.payment_status = status, money
    session.flush()
    return order


@pytest.mark.parametrize(("current", "wanted"), list(product(OrderStatus, OrderStatus)))
def test_every_pair_of_goods_statuses_is_allowed_or_refused_by_the_one_table(session, current, wanted):
    order = _order_in(session, current, PaymentStatus.PAID)
    if wanted in TRANSITIONS[current]:
        change_status(session, order, wanted, staff_id=7)
        assert session.get(Order, order.id).status == wanted
        step = order.history[-1]
        assert (step.kind, step.from_status, step.to_status, step.staff_id) == (
            HistoryKind.FULFILMENT,
            current,
            wanted,
            7,
        )
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            change_status(session, order, wanted)
        assert refused.value.already == (current == wanted)
        session.refresh(order)
        assert order.status == current and order.history == []


@pytest.mark.parametrize(("current", "wanted"), list(product(PaymentStatus, PaymentStatus)))
def test_every_pair_of_money_statuses_is_allowed_or_refused_and_never_moves_the_goods(session, current, wanted):
    order = _order_in(session, OrderStatus.SHIPPED, current)
    if wanted in PAYMENT_TRANSITIONS[current]:
        change_payment_status(session, order, wanted, reference="rf-1", amount=Decimal("17240.00"))
        session.refresh(order)
        assert order.payment_status == wanted and order.status == OrderStatus.SHIPPED
        step = order.history[-1]
        assert (step.kind, step.amount, step.reference) == (HistoryKind.PAYMENT, Decimal("17240.00"), "rf-1")
    else:
        with pytest.raises(TransitionNotAllowed):
            change_payment_status(session, order, wanted)
        session.refresh(order)
        assert order.payment_status == current


def test_the_goods_wait_for_the_money(session):
    order = _order_in(session, OrderStatus.NEW, PaymentStatus.UNPAID)
    for wanted in NEEDS_PAYMENT & TRANSITIONS[OrderStatus.NEW]:
        with pytest.raises(NotPaidYet):
            change_status(session, order, wanted)
    refunded = _order_in(session, OrderStatus.NEW, PaymentStatus.REFUNDED)
    with pytest.raises(NotPaidYet):
        change_status(session, refunded, OrderStatus.CONFIRMED)
    partly = _order_in(session, OrderStatus.NEW, PaymentStatus.PARTIALLY_REFUNDED)
    change_status(session, partly, OrderStatus.CONFIRMED)
    assert partly.status == OrderStatus.CONFIRMED and partly.confirmed_at is not None


def test_a_partial_refund_leaves_a_shipped_order_shipped_and_each_refund_is_a_step(session):
    order = _order_in(session, OrderStatus.SHIPPED, PaymentStatus.PAID)
    change_payment_status(session, order, PaymentStatus.PARTIALLY_REFUNDED, amount=Decimal("100.00"))
    change_payment_status(session, order, PaymentStatus.PARTIALLY_REFUNDED, amount=Decimal("50.00"))
    change_status(session, order, OrderStatus.DELIVERED)
    steps = session.scalars(select(OrderStatusChange).where(OrderStatusChange.order_id == order.id)).all()
    assert [(s.kind, s.to_status, s.amount) for s in steps] == [
        ("payment", "partially_refunded", Decimal("100.00")),
        ("payment", "partially_refunded", Decimal("50.00")),
        ("fulfilment", "delivered", None),
    ]


def test_a_canceled_order_puts_its_stock_back_and_cannot_be_paid_any_more(session):
    from tests.support.factories import create_shop

    product_row = create_shop(session, stock=10)
    order = make_order(session)
    order.lines[0].product_id = product_row.id
    session.flush()
    change_status(session, order, OrderStatus.CANCELED, "Покупатель передумал", staff_id=3)
    session.refresh(product_row)
    assert product_row.stock == 10 + order.lines[0].quantity
    with pytest.raises(TransitionNotAllowed):
        change_payment_status(session, order, PaymentStatus.PAID)
    assert order.history[-1].note == "Покупатель передумал"


def test_a_stale_copy_cannot_move_the_order_twice(session):
    """Two clicks that both loaded the order as «new»: the conditional UPDATE lets one through."""
    order = _order_in(session, OrderStatus.NEW, PaymentStatus.PAID)
    change_status(session, order, OrderStatus.CONFIRMED)
    order.status = OrderStatus.NEW  # what the second request still believes (never written)
    with session.no_autoflush, pytest.raises(TransitionNotAllowed) as refused:
        change_status(session, order, OrderStatus.CONFIRMED)
    assert refused.value.already
    assert [step.to_status for step in order.history] == ["confirmed"]

"""The review queue's decisions: a payment matched to an order by hand pays it through the same path (an amount
other than the total only when staff accept the difference); «не наш платёж» pays nothing; the first decision
wins; random statements over random orders never pay an order twice nor use a payment twice (both engines)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.banking.matching import announce_paid, order_numbers_in, payments_of
from storefront.banking.models import BankDocument, DocumentState
from storefront.banking.services import ReviewError, mark_not_ours, match_by_hand, review_queue
from storefront.order.models import Order, OrderStatus, PaymentStatus
from storefront.payment.models import Payment
from storefront.settlement.checks import check_ledger
from tests.storefront.banking.helpers import company_order, run_import, succeeded_payments
from tests.storefront.banking.statements import Doc, statement
from tests.support.database import empty_all_tables


def test_order_numbers_are_found_as_people_type_them() -> None:
    purpose = "Оплата по сч. МК-2026-000012 и mk 2026 13; MK2026000014, не 1MK-2026-000015, MK-2026-000012"
    assert order_numbers_in(purpose) == ["MK-2026-000012", "MK-2026-000013", "MK-2026-000014"]


def _queued(app: Flask, session: Session, amount: Decimal, purpose: str) -> BankDocument:
    run_import(app, session, statement([Doc("501", amount, purpose)]))
    [document] = review_queue(session)
    return document


def test_matching_a_partial_payment_by_hand_needs_the_difference_accepted(app: Flask, session: Session) -> None:
    order = company_order(session)
    session.commit()
    document = _queued(app, session, order.total_amount - 1, f"Оплата {order.number}")
    with pytest.raises(ReviewError) as refused:
        match_by_hand(session, document.id, order.number, staff_id=7)
    assert refused.value.code == ReviewError.AMOUNT_DIFFERS
    session.rollback()
    with app.app_context():
        paid = match_by_hand(
            session, document.id, order.number.lower(), staff_id=7, accept_difference=True, note="Доплатят"
        )
        session.commit()
        announce_paid(paid)
    session.expire_all()
    document = session.get(BankDocument, document.id)
    assert (document.state, document.staff_id, document.note) == (DocumentState.MATCHED_BY_HAND, 7, "Доплатят")
    assert session.get(Order, order.id).payment_status == PaymentStatus.PAID
    assert session.get(Payment, document.payment_id).amount == order.total_amount - 1
    assert check_ledger(session).holds
    with pytest.raises(ReviewError) as again:
        match_by_hand(session, document.id, order.number, staff_id=7, accept_difference=True)
    assert again.value.code == ReviewError.ALREADY_RESOLVED


def test_hand_matching_refuses_unknown_and_unpayable_orders(app: Flask, session: Session) -> None:
    order = company_order(session)
    canceled = company_order(session, "canceled@example.ru")
    canceled.status = OrderStatus.CANCELED
    session.commit()
    document = _queued(app, session, Decimal("10.00"), "Оплата по договору")
    for number, code in (("MK-2026-999999", ReviewError.NO_SUCH_ORDER), (canceled.number, ReviewError.NOT_PAYABLE)):
        with pytest.raises(ReviewError) as refused:
            match_by_hand(session, document.id, number, staff_id=1, accept_difference=True)
        assert refused.value.code == code
        session.rollback()
    assert session.get(Order, order.id).payment_status == PaymentStatus.UNPAID


def test_not_our_payment_leaves_the_queue_and_pays_nothing(app: Flask, session: Session) -> None:
    document = _queued(app, session, Decimal("10.00"), "Ошибочный платёж")
    mark_not_ours(session, document.id, staff_id=3, note="Вернули плательщику")
    session.commit()
    assert review_queue(session) == []
    assert session.get(BankDocument, document.id).state == DocumentState.NOT_OURS
    assert session.scalar(select(func.count()).select_from(Payment)) == 0
    with pytest.raises(ReviewError):
        mark_not_ours(session, document.id, staff_id=3)


PLAN = st.lists(
    st.tuples(
        st.lists(st.integers(0, 5), min_size=0, max_size=2),  # which orders the purpose names
        st.sampled_from(["exact", "less", "more"]),
        st.booleans(),  # the buyer's own INN
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=PLAN, split=st.integers(1, 10), paid_before=st.sets(st.integers(0, 5), max_size=2))
def test_random_statements_never_pay_an_order_twice_nor_use_a_payment_twice(
    app: Flask, session: Session, plan, split, paid_before
) -> None:
    empty_all_tables(session)
    orders = [company_order(session, f"h{n}@example.ru") for n in range(6)]
    session.commit()
    docs = []
    for serial, (named, kind, own_inn) in enumerate(plan):
        base = orders[named[0]].total_amount if named else Decimal("100.00")
        amount = {"exact": base, "less": base - Decimal("0.01"), "more": base + 1}[kind]
        purpose = "Оплата " + ", ".join(orders[n].number for n in named) if named else "Оплата по договору"
        docs.append(Doc(str(serial), amount, purpose, payer_inn="7707083893" if own_inn else "7801123455"))
    # Some orders were paid by an earlier statement; this one arrives in two overlapping parts, then whole again.
    earlier = [Doc(f"e{n}", orders[n].total_amount, f"Оплата {orders[n].number}") for n in paid_before]
    if earlier:
        run_import(app, session, statement(earlier))
    for part in (docs[:split], docs[split // 2 :], docs):
        if part:
            run_import(app, session, statement(part))

    documents = session.scalars(select(BankDocument)).all()
    assert len(documents) == len({(d.number, d.amount) for d in docs}) + len(earlier)
    payments = session.scalars(select(Payment)).all()
    # One payment per document that paid, one per order at most, each for the document's amount.
    assert len({p.idempotence_key for p in payments}) == len(payments)
    paying = [d for d in documents if d.payment_id is not None]
    assert len({d.payment_id for d in paying}) == len(paying) == len(payments)
    for order in orders:
        assert succeeded_payments(session, order.id) <= 1
        paid = session.get(Order, order.id).payment_status == PaymentStatus.PAID
        assert paid == (succeeded_payments(session, order.id) == 1)
    for document in paying:
        assert document.state == DocumentState.MATCHED
        assert session.get(Payment, document.payment_id).amount == document.amount
        assert session.get(Order, document.order_id).total_amount == document.amount
    assert check_ledger(session).holds


def test_one_payment_for_two_orders_is_split_by_hand_only_when_it_pays_both_in_full(
    app: Flask, session: Session
) -> None:
    first, second = company_order(session, "one@example.ru"), company_order(session, "two@example.ru")
    session.commit()
    both = first.total_amount + second.total_amount
    run_import(app, session, statement([Doc("601", both, f"Оплата {first.number}, {second.number}")]))
    [document] = review_queue(session)
    assert document.reason == "several_orders"
    with pytest.raises(ReviewError) as refused:
        match_by_hand(session, document.id, first.number, staff_id=2)
    assert refused.value.code == ReviewError.AMOUNT_DIFFERS
    session.rollback()
    third = company_order(session, "three@example.ru")
    session.commit()
    with pytest.raises(ReviewError) as wrong_sum:
        match_by_hand(session, document.id, f"{first.number} {third.number} {second.number}", staff_id=2)
    assert wrong_sum.value.code == ReviewError.SUM_DIFFERS
    session.rollback()
    with app.app_context():
        paid = match_by_hand(session, document.id, f"{first.number}, {second.number}", staff_id=2)
        session.commit()
        announce_paid(paid)
    session.expire_all()
    assert [(item.number, item.amount) for item in paid] == [
        (first.number, first.total_amount),
        (second.number, second.total_amount),
    ]
    made = payments_of(session, session.get(BankDocument, document.id))
    assert [payment.order_id for payment in made] == [first.id, second.id]
    assert sum(payment.amount for payment in made) == both
    for order in (first, second):
        assert session.get(Order, order.id).payment_status == PaymentStatus.PAID
    assert session.get(Order, third.id).payment_status == PaymentStatus.UNPAID
    assert check_ledger(session).holds

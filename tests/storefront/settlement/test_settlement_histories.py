"""Random histories of one order — random lines of two suppliers, discount and shipping; paid through the YooKassa
stand-in, then partial refunds (of the whole order or of chosen lines), delivery and confirmation, disputes on
chosen lines (decided with a partial refund of those lines or rejected), cancels, in any order, under either
commission policy — keep every transaction balanced and the invariant
(captured − refunded = payables + platform + held) to the kopeck; a refund for chosen lines leaves every other
line and shipping as they were."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storefront.money import from_minor, to_minor
from storefront.order.models import Order, OrderStatus, PaymentStatus
from storefront.order.services import change_status
from storefront.payment.cancel import refund_canceled_order
from storefront.payment.ledger import order_ledger
from storefront.payment.refunds import refund_order
from storefront.protection.models import Decision
from storefront.protection.policy import ProtectionPolicy
from storefront.protection.services import DecisionDraft, DisputeDraft, decide, open_dispute, refundable, settle
from storefront.settlement.checks import check_ledger
from storefront.settlement.models import Account
from storefront.settlement.postings import lines_refundable, order_parts, order_state
from tests.storefront.settlement.helpers import balance, confirm, deliver, pay
from tests.support.factories import create_supplier, make_order

LINES = st.lists(
    st.tuples(st.integers(1, 50), st.integers(1, 9_999_999), st.sampled_from([300, 800, 1000, 1200])),
    min_size=1,
    max_size=4,
)
POLICY = ProtectionPolicy()
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("refund"), st.integers(1, 10**7), st.just(0)),
        # A refund for the lines whose bits are set in the mask (a dispute's lines), of up to what they have.
        st.tuples(st.just("line_refund"), st.integers(1, 10**7), st.integers(1, 15)),
        # A dispute on the masked lines: a partial refund of up to what they have, or (0) a rejection.
        st.tuples(st.just("dispute"), st.integers(0, 10**7), st.integers(1, 15)),
        st.just(("confirm", 0, 0)),
        st.just(("cancel", 0, 0)),
    ),
    max_size=6,
)


@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=LINES,
    discount_share=st.integers(0, 100),
    shipping=st.integers(0, 500_000),
    steps=STEPS,
    returns_commission=st.booleans(),
)
def test_random_histories_keep_the_ledger_reconciled(
    session, pay_app, standin, control, lines, discount_share, shipping, steps, returns_commission
) -> None:
    standin.auto_notify = False
    gateway = pay_app.extensions["payment_gateway"]
    suppliers = (create_supplier(session), create_supplier(session))
    goods = sum(quantity * price for quantity, price, _bp in lines)
    order = make_order(
        session,
        [(f"Товар {n}", quantity, from_minor(price)) for n, (quantity, price, _bp) in enumerate(lines)],
        discount=from_minor(goods * discount_share // 100 if discount_share < 100 else goods - 1),
        shipping=from_minor(shipping),
    )
    for index, (line, (_quantity, _price, bp)) in enumerate(zip(order.lines, lines, strict=True)):
        line.supplier_id, line.commission_bp = suppliers[index % 2].id, bp
    session.commit()
    pay_app.config["SETTLEMENT_REFUND_RETURNS_COMMISSION"] = returns_commission
    try:
        with pay_app.app_context():
            order = pay(session, gateway, control, pay_app.config["PUBLIC_BASE_URL"], order)
            assert check_ledger(session).holds
            for action, kopecks, mask in steps:
                _step(session, gateway, order, action, kopecks, mask)
                session.expire_all()
                order = session.get(Order, order.id)
                report = check_ledger(session)
                assert report.holds, (action, report)
    finally:
        pay_app.config["SETTLEMENT_REFUND_RETURNS_COMMISSION"] = True
    assert balance(session, Account.HELD, order_id=order.id) >= 0
    if order.status == OrderStatus.COMPLETED or order.payment_status == PaymentStatus.REFUNDED:
        assert balance(session, Account.HELD, order_id=order.id) == 0


def _available(session, order: Order) -> dict[int | None, int]:
    state = order_state(session, order.id)
    return {
        part.line_id: state.parts[part.line_id].held + state.parts[part.line_id].released for part in order_parts(order)
    }


def _chosen(order: Order, mask: int) -> list[int]:
    return [line.id for index, line in enumerate(order.lines) if mask >> (index % 4) & 1] or [order.lines[0].id]


def _line_refund(session, gateway, order: Order, kopecks: int, mask: int) -> None:
    chosen = _chosen(order, mask)
    money = order_ledger(session, order.id)
    left = min(money.paid - money.refunded - money.refunding, from_minor(lines_refundable(session, order, chosen)))
    amount = min(from_minor(kopecks), left)
    if amount <= 0:
        return
    before = _available(session, order)
    refund_order(session, gateway, order, amount, lines=chosen)
    session.expire_all()
    _only_chosen_bore_it(session, order, before, chosen, to_minor(amount))


def _dispute(session, gateway, order: Order, kopecks: int, mask: int) -> None:
    if order.status == OrderStatus.NEW:
        deliver(session, order)
    if order.status not in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        return
    chosen = _chosen(order, mask)
    pieces = dict.fromkeys(chosen, 1)
    dispute = open_dispute(session, order, DisputeDraft("defect", "Брак", pieces), POLICY)
    session.commit()
    left = min(refundable(session, order), from_minor(lines_refundable(session, order, chosen, pieces)))
    amount = min(from_minor(kopecks), left)
    before = _available(session, order)
    if amount > 0:
        decide(session, dispute, DecisionDraft(Decision.PARTIAL_REFUND, amount), staff_id=1)
    else:
        decide(session, dispute, DecisionDraft(Decision.REJECTED, None, "Брака на фото не видно"), staff_id=1)
    session.commit()
    settle(session, gateway, dispute)  # the refund, and an inspection dispute's order completes
    session.expire_all()
    _only_chosen_bore_it(session, order, before, chosen, to_minor(amount) if amount > 0 else 0)


def _only_chosen_bore_it(session, order: Order, before: dict[int | None, int], chosen: list[int], kopecks: int) -> None:
    after = _available(session, order)
    assert sum(before[line_id] - after[line_id] for line_id in chosen) == kopecks
    for part_id, had in before.items():
        if part_id not in chosen:
            assert after[part_id] == had, (part_id, chosen)  # another line's supplier (or shipping) bears nothing


def _step(session, gateway, order: Order, action: str, kopecks: int, mask: int) -> None:
    paid = order.payment_status in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED)
    if action == "line_refund" and paid:
        _line_refund(session, gateway, order, kopecks, mask)
    elif action == "dispute" and paid:
        _dispute(session, gateway, order, kopecks, mask)
    elif action == "refund" and paid:
        money = order_ledger(session, order.id)
        left = money.paid - money.refunded - money.refunding
        amount = min(from_minor(kopecks), left)
        if amount > 0:
            refund_order(session, gateway, order, amount)
    elif action == "confirm" and paid and order.status == OrderStatus.NEW:
        deliver(session, order)
        confirm(session, order)
    elif action == "cancel" and order.status == OrderStatus.NEW:
        change_status(session, order, OrderStatus.CANCELED, "buyer_asked")
        session.commit()
        if paid:
            refund_canceled_order(session, gateway, order)

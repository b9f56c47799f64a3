"""Refunds as the real API answers them: ``pending`` first, later ``succeeded`` or ``canceled`` (the stand-in's
``refund_outcome``), end to end through the real SDK, on SQLite and PostgreSQL. The re-check job settles them;
a pending refund holds its amount, a canceled one gives it back; the ledger hook fires on succeeded, once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from crm.staff.models import Role
from storefront.db import utcnow
from storefront.events import refund_succeeded
from storefront.order.models import Order, OrderStatus, PaymentStatus
from storefront.order.services import change_status
from storefront.payment.attempts import PaymentPolicy, apply_payment_status, start_payment
from storefront.payment.cancel import cancel_refund, refund_canceled_order
from storefront.payment.errors import RefundError, RefundFailure
from storefront.payment.models import Refund, RefundState
from storefront.payment.recheck import RECHECK_AFTER, recheck_open_refunds
from storefront.payment.refunds import refund_order
from tests.support.factories import make_order, make_staff
from tests.support.web import crm_login

POLICY = PaymentPolicy()


@pytest.fixture
def gateway(pay_app):
    return pay_app.extensions["payment_gateway"]


@pytest.fixture
def staff_client(pay_app, session):
    staff = make_staff(session, Role.ADMIN)
    session.commit()
    client = pay_app.test_client()
    assert crm_login(client, staff.email).status_code == 302
    return client


@pytest.fixture
def postings():
    """What the settlement ledger would post: every ``refund_succeeded`` sent."""
    sent: list[int] = []

    def receiver(sender, **fields):
        sent.append(fields["refund_id"])

    refund_succeeded.connect(receiver)
    yield sent
    refund_succeeded.disconnect(receiver)


def _paid_order(session, gateway, control, pay_app) -> Order:
    order = make_order(session)
    session.commit()
    payment = start_payment(session, gateway, order, pay_app.config["PUBLIC_BASE_URL"] + "/orders/x", POLICY)
    control.pay(payment.yookassa_payment_id)
    apply_payment_status(session, gateway, gateway.get_payment(payment.yookassa_payment_id), POLICY)
    session.expire_all()
    return session.get(Order, order.id)


def _recheck_later(session, gateway):
    return recheck_open_refunds(session, utcnow() + RECHECK_AFTER + timedelta(seconds=1), gateway=gateway)


def _state(session, refund: Refund) -> str:
    session.expire_all()
    return session.get(Refund, refund.id).status


def test_a_pending_refund_that_is_canceled_gives_its_amount_back_and_posts_nothing(
    session, pay_app, gateway, standin, control, postings
):
    standin.auto_notify = False
    order = _paid_order(session, gateway, control, pay_app)
    total = order.total_amount
    control.configure(refund_outcome="pending_canceled")

    refund = refund_order(session, gateway, order, Decimal("1000.00"))

    assert refund.status == RefundState.PENDING
    # Pending holds its amount: refunding everything else works, more than that does not.
    with pytest.raises(RefundError) as too_much:
        refund_order(session, gateway, order, total - Decimal("999.99"))
    assert too_much.value.code is RefundFailure.TOO_MUCH
    assert too_much.value.values["remaining"] == total - Decimal("1000.00")

    result = _recheck_later(session, gateway)

    assert result.checked == 1
    assert _state(session, refund) == RefundState.CANCELED
    assert session.get(Refund, refund.id).cancellation_reason == "rejected_by_payee"
    assert postings == []  # nothing reached the ledger
    order = session.get(Order, order.id)
    assert order.payment_status == PaymentStatus.PAID
    # The canceled amount is refundable again: the whole payment can now be refunded.
    control.configure(refund_outcome="succeeded")
    again = refund_order(session, gateway, order)
    assert again.status == RefundState.SUCCEEDED and again.amount == total
    assert postings == [again.id]
    # The job finds nothing more to ask about.
    assert _recheck_later(session, gateway).checked == 0


def test_a_pending_refund_that_succeeds_moves_the_order_and_posts_once(
    session, pay_app, gateway, standin, control, postings
):
    standin.auto_notify = False
    order = _paid_order(session, gateway, control, pay_app)
    control.configure(refund_outcome="pending")

    refund = refund_order(session, gateway, order, Decimal("1500.00"))

    assert refund.status == RefundState.PENDING
    assert _recheck_later(session, gateway).checked == 1  # still pending at YooKassa: asked, unchanged
    assert _state(session, refund) == RefundState.PENDING and postings == []

    control.settle_refund(refund.yookassa_refund_id, "succeeded")
    _recheck_later(session, gateway)
    standin.auto_notify = True
    control.send_notification("refund.succeeded", refund.yookassa_refund_id, times=2)  # late, repeated
    standin.wait_for_notifications(5)
    _recheck_later(session, gateway)

    assert _state(session, refund) == RefundState.SUCCEEDED
    assert postings == [refund.id]  # exactly once, whoever saw it first
    session.expire_all()
    assert session.get(Order, order.id).payment_status == PaymentStatus.PARTIALLY_REFUNDED


def test_the_success_notification_alone_settles_a_pending_refund(session, pay_app, gateway, standin, control, postings):
    order = _paid_order(session, gateway, control, pay_app)
    standin.wait_for_notifications(5)
    control.configure(refund_outcome="pending")
    refund = refund_order(session, gateway, order)
    assert refund.status == RefundState.PENDING

    control.settle_refund(refund.yookassa_refund_id, "succeeded")  # sends refund.succeeded to the shop
    standin.wait_for_notifications(5)

    assert _state(session, refund) == RefundState.SUCCEEDED
    assert postings == [refund.id]
    session.expire_all()
    assert session.get(Order, order.id).payment_status == PaymentStatus.REFUNDED


def test_an_unanswered_refund_is_sent_again_by_the_job_with_its_own_key(
    session, pay_app, gateway, standin, control, postings
):
    standin.auto_notify = False
    order = _paid_order(session, gateway, control, pay_app)
    control.configure(refund_outcome="pending_succeeded")
    control.add_fault("500", route="POST /refunds", after_commit=True)

    with pytest.raises(RefundError) as unanswered:
        refund_order(session, gateway, order, Decimal("100.00"))
    assert unanswered.value.code is RefundFailure.UNKNOWN
    refund = session.query(Refund).filter_by(order_id=order.id).one()
    assert refund.status == RefundState.UNKNOWN

    _recheck_later(session, gateway)  # repeated with the same key: YooKassa replays its pending answer
    assert _state(session, refund) == RefundState.PENDING
    _recheck_later(session, gateway)  # fetched: it succeeded meanwhile

    assert _state(session, refund) == RefundState.SUCCEEDED
    keys = [r["idempotence_key"] for r in control.requests() if r["path"] == "/refunds" and r["method"] == "POST"]
    assert len(keys) == 2 and len(set(keys)) == 1
    assert len(standin.refunds) == 1
    assert postings == [refund.id]


def test_staff_see_a_pending_and_a_declined_refund_in_russian(
    session, pay_app, gateway, standin, control, staff_client
):
    standin.auto_notify = False
    order = _paid_order(session, gateway, control, pay_app)
    control.configure(refund_outcome="pending")
    pending = refund_order(session, gateway, order, Decimal("100.00"))
    declined = refund_order(session, gateway, order, Decimal("200.00"))
    control.settle_refund(declined.yookassa_refund_id, "canceled")
    _recheck_later(session, gateway)

    page = staff_client.get(f"/crm/orders/{order.number}").get_data(as_text=True)

    assert _state(session, pending) == RefundState.PENDING
    assert "Возврат в обработке" in page and "Возврат отклонён" in page


def test_a_canceled_orders_refund_declined_later_is_made_again_with_a_new_key(
    session, pay_app, gateway, standin, control, postings
):
    standin.auto_notify = False
    order = _paid_order(session, gateway, control, pay_app)
    with pay_app.test_request_context():
        change_status(session, order, OrderStatus.CANCELED)
        session.commit()
    control.configure(refund_outcome="pending_canceled")

    first = refund_canceled_order(session, gateway, order)
    repeat = refund_canceled_order(session, gateway, order)  # «Повторить возврат» while it is pending
    assert first.status == RefundState.PENDING and repeat.id == first.id
    _recheck_later(session, gateway)
    assert _state(session, first) == RefundState.CANCELED

    control.configure(refund_outcome="succeeded")
    session.expire_all()
    second = refund_canceled_order(session, gateway, session.get(Order, order.id))

    assert second.id != first.id and second.status == RefundState.SUCCEEDED
    assert second.idempotence_key == f"{first.idempotence_key}-2"
    assert cancel_refund(session, order.id).id == second.id
    assert postings == [second.id]
    session.expire_all()
    assert session.get(Order, order.id).payment_status == PaymentStatus.REFUNDED
    assert refund_canceled_order(session, gateway, session.get(Order, order.id)).id == second.id  # nothing more

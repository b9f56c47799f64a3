"""The closing receipt (чек зачёта предоплаты) of a prepaid order when its goods are handed over: through the real
SDK's Receipt API to the stand-in (FFD 1.2, so ``measure`` is checked), once per payment, retried by the job."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storefront.db import utcnow
from storefront.order.models import Order, OrderStatus
from storefront.order.services import announce_status_change, change_status
from storefront.payment.attempts import PaymentPolicy, apply_payment_status, start_payment
from storefront.payment.closing import send_closing_receipt, send_closing_receipts
from storefront.payment.models import ClosingReceiptState, Payment, Refund
from storefront.payment.recheck import recheck_refund
from storefront.payment.refunds import refund_order
from tests.support.factories import make_order

POLICY = PaymentPolicy()


@pytest.fixture
def gateway(pay_app):
    return pay_app.extensions["payment_gateway"]


def _paid(session, gateway, control, pay_app) -> tuple[Order, Payment]:
    order = make_order(session)
    session.commit()
    payment = start_payment(session, gateway, order, pay_app.config["PUBLIC_BASE_URL"] + "/orders/x", POLICY)
    control.pay(payment.yookassa_payment_id)
    apply_payment_status(session, gateway, gateway.get_payment(payment.yookassa_payment_id), POLICY)
    session.expire_all()
    return session.get(Order, order.id), session.get(Payment, payment.id)


def _hand_over(session, pay_app, order: Order) -> None:
    """Confirm, ship, deliver: each change committed and announced, as the CRM does."""
    with pay_app.test_request_context():
        for status in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            previous = order.status
            change_status(session, order, status)
            session.commit()
            announce_status_change(order, previous)


def _receipt_requests(control) -> list[dict]:
    return [r for r in control.requests() if r["path"] == "/receipts" and r["method"] == "POST"]


def test_the_handover_sends_one_closing_receipt_settling_the_prepayment(session, pay_app, gateway, standin, control):
    standin.auto_notify = False
    order, payment = _paid(session, gateway, control, pay_app)
    assert all(item["measure"] == "piece" for item in payment.receipt["items"])
    assert {item["payment_mode"] for item in payment.receipt["items"]} == {"full_prepayment"}
    assert _receipt_requests(control) == []  # not before the goods are handed over

    _hand_over(session, pay_app, order)

    [receipt] = control.receipts()
    assert receipt["type"] == "payment" and receipt["payment_id"] == payment.yookassa_payment_id
    assert receipt["settlements"] == [
        {"type": "prepayment", "amount": {"value": f"{order.total_amount:.2f}", "currency": "RUB"}}
    ]
    assert {item["payment_mode"] for item in receipt["items"]} == {"full_payment"}
    assert {item["measure"] for item in receipt["items"]} == {"piece"}
    subjects = [item["payment_subject"] for item in receipt["items"]]
    assert subjects[-1] == "service" and set(subjects[:-1]) == {"commodity"}  # shipping last
    assert receipt["_customer"] == {"email": order.email}
    session.expire_all()
    payment = session.get(Payment, payment.id)
    assert payment.closing_receipt_status == ClosingReceiptState.SUCCEEDED
    assert payment.closing_receipt_id == receipt["id"] and payment.closing_receipt_at is not None

    # The job and a repeated call change nothing: one receipt per payment.
    assert send_closing_receipts(session, utcnow(), gateway=gateway) == "checked 0"
    assert send_closing_receipt(session, gateway, payment).startswith("nothing to do")
    assert len(_receipt_requests(control)) == 1


def test_a_failed_send_is_retried_by_the_job_with_the_same_key_and_data(session, pay_app, gateway, standin, control):
    standin.auto_notify = False
    order, payment = _paid(session, gateway, control, pay_app)
    control.add_fault("500", route="POST /receipts", after_commit=True)  # made, but the answer is lost
    control.add_fault("hang", route="POST /receipts", seconds=5)  # then no answer at all

    _hand_over(session, pay_app, order)
    session.expire_all()
    assert session.get(Payment, payment.id).closing_receipt_status == ClosingReceiptState.UNKNOWN

    assert send_closing_receipts(session, utcnow(), gateway=gateway) == "checked 1"  # hangs: still unknown
    assert send_closing_receipts(session, utcnow(), gateway=gateway) == "checked 1"  # answered

    session.expire_all()
    payment = session.get(Payment, payment.id)
    assert payment.closing_receipt_status == ClosingReceiptState.SUCCEEDED
    sent = _receipt_requests(control)
    assert len(sent) == 3
    assert len({r["idempotence_key"] for r in sent}) == 1 and all(r["body"] == sent[0]["body"] for r in sent)
    assert len(control.receipts()) == 1  # the stand-in replayed the first answer


def test_what_was_refunded_before_the_handover_is_left_out(session, pay_app, gateway, standin, control):
    standin.auto_notify = False
    order, payment = _paid(session, gateway, control, pay_app)
    control.configure(refund_outcome="pending")
    refund = refund_order(session, gateway, order, Decimal("500.00"))

    _hand_over(session, pay_app, order)
    session.expire_all()
    assert session.get(Payment, payment.id).closing_receipt_status is None  # waits for the refund's outcome
    assert control.receipts() == []

    control.settle_refund(refund.yookassa_refund_id, "succeeded")
    recheck_refund(session, gateway, session.get(Refund, refund.id))
    send_closing_receipts(session, utcnow(), gateway=gateway)

    [receipt] = control.receipts()
    remaining = order.total_amount - Decimal("500.00")
    assert receipt["settlements"][0]["amount"]["value"] == f"{remaining:.2f}"
    total = sum(Decimal(i["amount"]["value"]) * Decimal(i["quantity"]) for i in receipt["items"])
    assert total == remaining


def test_nothing_is_sent_when_everything_was_refunded_before_the_job_got_to_it(
    session, pay_app, gateway, standin, control
):
    standin.auto_notify = False
    order, payment = _paid(session, gateway, control, pay_app)
    with pay_app.test_request_context():
        for status in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            change_status(session, order, status)  # not announced: as if the handover's own send was lost
        session.commit()
    refund_order(session, gateway, order)  # the stand-in's default outcome: succeeded at once

    assert send_closing_receipts(session, utcnow(), gateway=gateway) == "checked 1"

    session.expire_all()
    assert session.get(Payment, payment.id).closing_receipt_status == ClosingReceiptState.NOT_NEEDED
    assert control.receipts() == [] and _receipt_requests(control) == []
    assert send_closing_receipts(session, utcnow(), gateway=gateway) == "checked 0"

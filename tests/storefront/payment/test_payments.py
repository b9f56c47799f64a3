"""Paying, notifications and refunds end to end: the app (served on 127.0.0.1) ⇄ the YooKassa
stand-in, through the real SDK, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.events import order_paid
from storefront.order.models import Order, OrderStatusChange, PaymentStatus
from storefront.payment.attempts import PaymentPolicy, apply_payment_status, start_payment
from storefront.payment.errors import RefundError, RefundFailure
from storefront.payment.models import AttemptStatus, Payment, PaymentNotification, Refund
from storefront.payment.outcomes import PaymentOutcomeKind
from storefront.payment.recheck import RecheckResult, recheck_open_payments
from storefront.payment.refunds import refund_order
from tests.support.factories import make_order
from tests.support.metrics import sample
from tests.support.web import guest_token

POLICY = PaymentPolicy()


@pytest.fixture
def gateway(pay_app):
    return pay_app.extensions["payment_gateway"]


@pytest.fixture
def paid_events():
    received: list[dict] = []

    def receiver(sender, **event):
        received.append(event)

    order_paid.connect(receiver)
    yield received
    order_paid.disconnect(receiver)


def _pay_url(pay_app, order: Order) -> str:
    return f"/orders/{order.number}/pay?t={guest_token(pay_app, order)}&method=bank_card"


def _started(session: Session, gateway, order: Order, pay_app) -> Payment:
    return start_payment(session, gateway, order, pay_app.config["PUBLIC_BASE_URL"] + "/orders/x", POLICY)


def _notify(pay_app, body: dict, **headers: str) -> requests.Response:
    return requests.post(
        pay_app.config["LIVE_URL"] + "/payments/yookassa/notifications",
        data=json.dumps(body),
        headers={"Content-Type": "application/json", **headers},
        timeout=10,
    )


def _reload(session: Session, model, key):
    session.expire_all()
    return session.get(model, key)


def _paid_count(session: Session, order: Order) -> int:
    return session.scalar(
        select(func.count(OrderStatusChange.id)).where(
            OrderStatusChange.order_id == order.id, OrderStatusChange.to_status == PaymentStatus.PAID
        )
    )


def test_paying_sends_the_buyer_to_yookassa_and_the_notification_marks_the_order_paid(
    session,
    pay_app,
    standin,
    control,
    paid_events,
    smtp_server,
):
    order = make_order(session)
    session.commit()
    client = pay_app.test_client()
    counted = {outcome: sample("mostik_payments_total", outcome=outcome) for outcome in ("pending", "succeeded")}

    response = client.get(_pay_url(pay_app, order))

    assert response.status_code == 302
    payment = session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert response.headers["Location"] == payment.confirmation_url
    assert payment.status == AttemptStatus.PENDING
    record = control.payment_record(payment.yookassa_payment_id)
    assert record["_idempotence_key"] == payment.idempotence_key
    assert record["amount"] == {"value": f"{order.total_amount:.2f}", "currency": "RUB"}
    assert record["metadata"]["order_number"] == order.number
    assert len(record["description"]) <= 128 and order.number in record["description"]
    assert receipt_total_of(record) == order.total_amount

    page = client.get(f"/orders/{order.number}?t={guest_token(pay_app, order)}").get_data(as_text=True)
    assert 'http-equiv="refresh" content="3; url=' in page and "wait=1" in page  # the first, shortest wait
    assert "Ждём подтверждения оплаты" in page

    control.pay(payment.yookassa_payment_id)
    assert standin.wait_for_notifications(10)

    assert _reload(session, Order, order.id).payment_status == PaymentStatus.PAID
    assert _reload(session, Payment, payment.id).status == AttemptStatus.SUCCEEDED
    assert [event["order_id"] for event in paid_events] == [order.id]
    assert paid_events[0]["amount"] == order.total_amount
    page = client.get(f"/orders/{order.number}?t={guest_token(pay_app, order)}").get_data(as_text=True)
    assert "Оплата получена" in page and 'http-equiv="refresh"' not in page
    mailbox = smtp_server[0]
    assert any(order.number in message["Subject"] for message in mailbox.messages)
    # /metrics: the attempt reached pending, then succeeded, each counted once.
    moved = {outcome: sample("mostik_payments_total", outcome=outcome) - n for outcome, n in counted.items()}
    assert moved == {"pending": 1, "succeeded": 1}


def receipt_total_of(record: dict) -> Decimal:
    items = record["_receipt"]["items"]
    return sum((Decimal(i["amount"]["value"]) * Decimal(i["quantity"]) for i in items), Decimal("0.00"))


def test_a_declined_payment_fails_the_attempt_and_a_retry_makes_a_new_attempt_with_a_new_key(
    session,
    pay_app,
    standin,
    control,
):
    order = make_order(session)
    session.commit()
    client = pay_app.test_client()
    client.get(_pay_url(pay_app, order))
    first = session.scalar(select(Payment).where(Payment.order_id == order.id))

    control.fail(first.yookassa_payment_id)
    assert standin.wait_for_notifications(10)

    assert _reload(session, Payment, first.id).status == AttemptStatus.CANCELED
    assert _reload(session, Order, order.id).payment_status == PaymentStatus.UNPAID
    page = client.get(f"/orders/{order.number}?t={guest_token(pay_app, order)}").get_data(as_text=True)
    assert "Оплата не прошла" in page and "Повторить оплату" in page

    response = client.get(_pay_url(pay_app, order))

    attempts = list(session.scalars(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)))
    assert len(attempts) == 2
    assert attempts[1].idempotence_key != attempts[0].idempotence_key
    assert response.headers["Location"] == attempts[1].confirmation_url


def test_an_open_attempt_is_reused_instead_of_creating_another(session, pay_app, gateway, standin):
    order = make_order(session)
    session.commit()
    first = _started(session, gateway, order, pay_app)
    again = _started(session, gateway, order, pay_app)
    assert again.id == first.id
    assert len(standin.payments) == 1


def test_the_same_notification_ten_times_changes_state_once(
    session,
    pay_app,
    gateway,
    standin,
    control,
    paid_events,
):
    standin.auto_notify = False
    order = make_order(session)
    session.commit()
    payment = _started(session, gateway, order, pay_app)
    control.pay(payment.yookassa_payment_id)

    control.send_notification("payment.succeeded", payment.yookassa_payment_id, times=10)
    assert standin.wait_for_notifications(15)

    assert _reload(session, Order, order.id).payment_status == PaymentStatus.PAID
    assert _paid_count(session, order) == 1
    assert len(paid_events) == 1
    stored = session.scalars(select(PaymentNotification)).all()
    assert len(stored) == 1 and stored[0].times_received == 10
    assert all(attempt["status"] == 200 for attempt in control.notifications())


def test_concurrent_identical_notifications_change_state_once(
    session,
    pay_app,
    gateway,
    standin,
    control,
    paid_events,
):
    standin.auto_notify = False
    order = make_order(session)
    session.commit()
    payment = _started(session, gateway, order, pay_app)
    control.pay(payment.yookassa_payment_id)
    body = {
        "type": "notification",
        "event": "payment.succeeded",
        "object": control.payment_record(payment.yookassa_payment_id),
    }
    body["object"] = {k: v for k, v in body["object"].items() if not k.startswith("_")}
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def deliver() -> None:
        barrier.wait()
        statuses.append(_notify(pay_app, body).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert statuses == [200] * 8
    assert _reload(session, Order, order.id).payment_status == PaymentStatus.PAID
    assert _paid_count(session, order) == 1
    assert len(paid_events) == 1
    assert session.scalar(select(PaymentNotification.times_received)) == 8


def test_a_notification_from_a_non_allowed_address_is_refused_and_changes_nothing(
    session,
    pay_app,
    gateway,
    standin,
    control,
):
    standin.auto_notify = False
    order = make_order(session)
    session.commit()
    payment = _started(session, gateway, order, pay_app)
    control.pay(payment.yookassa_payment_id)
    body = {"type": "notification", "event": "payment.succeeded", "object": {"id": payment.yookassa_payment_id}}
    client = pay_app.test_client()

    response = client.post("/payments/yookassa/notifications", json=body, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    spoofed = client.post(
        "/payments/yookassa/notifications",
        json=body,
        headers={"X-Forwarded-For": "185.71.76.5"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )

    assert response.status_code == 403 and spoofed.status_code == 403
    assert _reload(session, Order, order.id).payment_status == PaymentStatus.UNPAID
    assert session.scalar(select(func.count(PaymentNotification.id))) == 0


def test_a_malformed_notification_gets_400(pay_app):
    client = pay_app.test_client()
    assert client.post("/payments/yookassa/notifications", data=b"{not json").status_code == 400
    assert client.post("/payments/yookassa/notifications", json={"type": "notification"}).status_code == 400


def test_a_forged_notification_body_changes_nothing_because_the_refetch_disagrees(
    session,
    pay_app,
    gateway,
    standin,
    control,
):
    order = make_order(session)
    session.commit()
    payment = _started(session, gateway, order, pay_app)

    control.send_notification(
        "payment.succeeded",
        payment.yookassa_payment_id,
        overrides={"status": "succeeded", "paid": True, "amount": {"value": "1.00", "currency": "RUB"}},
    )
    assert standin.wait_for_notifications(10)

    assert _reload(session, Payment, payment.id).status == AttemptStatus.PENDING
    assert _reload(session, Order, order.id).payment_status == PaymentStatus.UNPAID
    stored = session.scalar(select(PaymentNotification))
    assert stored.body["object"]["amount"]["value"] == "1.00"
    assert stored.outcome == "no change"


def test_a_notification_for_an_unknown_payment_is_stored_and_answered_200(
    session,
    pay_app,
    standin,
    control,
):
    control.send_notification("payment.succeeded", "2d0ad2b0-000f-5000-9000-1b68e7b15f3f", overrides={"status": "x"})
    assert standin.wait_for_notifications(10)
    assert [attempt["status"] for attempt in control.notifications()] == [200]
    stored = session.scalar(select(PaymentNotification))
    assert stored.outcome == PaymentOutcomeKind.NOT_AT_GATEWAY


def test_a_fetched_amount_that_differs_from_the_order_flags_it_and_changes_nothing_else(
    session,
    pay_app,
    gateway,
    standin,
    control,
):
    standin.auto_notify = False
    order = make_order(session)
    session.commit()
    payment = _started(session, gateway, order, pay_app)
    control.pay(payment.yookassa_payment_id)
    order.total_amount += Decimal("100.00")  # e.g. staff edited the order meanwhile
    session.commit()

    outcome = apply_payment_status(session, gateway, gateway.get_payment(payment.yookassa_payment_id), POLICY)

    assert outcome.kind == PaymentOutcomeKind.NEEDS_REVIEW
    assert _reload(session, Order, order.id).payment_status == PaymentStatus.UNPAID
    reloaded = _reload(session, Payment, payment.id)
    assert reloaded.status == AttemptStatus.PENDING and "amount" in reloaded.needs_review


def test_a_500_after_commit_then_a_retry_with_the_same_key_makes_one_payment(
    session,
    pay_app,
    standin,
    control,
):
    order = make_order(session)
    session.commit()
    client = pay_app.test_client()
    control.add_fault("500", route="POST /payments", after_commit=True)

    first = client.get(_pay_url(pay_app, order))

    assert first.status_code == 503
    assert "Платёжный сервис сейчас не отвечает" in first.get_data(as_text=True)
    attempt = session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert attempt.status == AttemptStatus.UNKNOWN and attempt.yookassa_payment_id is None

    second = client.get(_pay_url(pay_app, order))

    assert second.status_code == 302
    assert session.scalar(select(func.count(Payment.id))) == 1
    assert len(standin.payments) == 1
    keys = {entry["idempotence_key"] for entry in control.requests() if entry["method"] == "POST"}
    assert keys == {attempt.idempotence_key}


def test_a_hung_gateway_shows_the_buyer_a_retry_message_within_the_deadline(
    session,
    pay_app,
    standin,
    control,
):
    order = make_order(session)
    session.commit()
    control.add_fault("hang", route="POST /payments", seconds=30)

    response = pay_app.test_client().get(_pay_url(pay_app, order))

    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "Платёжный сервис сейчас не отвечает" in html and "Повторить оплату" in html
    attempt = session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert attempt.status == AttemptStatus.UNKNOWN and "deadline" in attempt.last_error


def test_the_periodic_recheck_recovers_an_unknown_attempt_and_a_lost_notification(
    session,
    pay_app,
    gateway,
    standin,
    control,
):
    standin.auto_notify = False
    order = make_order(session)
    session.commit()
    control.add_fault("500", route="POST /payments", after_commit=True)
    pay_app.test_client().get(_pay_url(pay_app, order))
    attempt = session.scalar(select(Payment).where(Payment.order_id == order.id))
    later = attempt.updated_at + timedelta(minutes=10)

    assert recheck_open_payments(session, later, gateway=gateway, policy=POLICY) == RecheckResult(checked=1)
    attempt = _reload(session, Payment, attempt.id)
    assert attempt.status == AttemptStatus.PENDING and attempt.yookassa_payment_id in standin.payments

    control.pay(attempt.yookassa_payment_id)  # its notification is "lost" (auto_notify off)
    recheck_open_payments(session, attempt.updated_at + timedelta(minutes=10), gateway=gateway, policy=POLICY)
    assert _reload(session, Order, order.id).payment_status == PaymentStatus.PAID


def test_two_stage_payments_are_captured_while_the_order_is_payable(
    session,
    pay_app,
    gateway,
    standin,
    control,
):
    standin.auto_notify = False
    order = make_order(session)
    session.commit()
    two_stage = PaymentPolicy(two_stage=True)
    payment = start_payment(session, gateway, order, "http://127.0.0.1/return", two_stage)
    assert control.payment_record(payment.yookassa_payment_id)["_capture"] is False
    control.pay(payment.yookassa_payment_id)

    outcome = apply_payment_status(session, gateway, gateway.get_payment(payment.yookassa_payment_id), two_stage)

    assert outcome.kind == PaymentOutcomeKind.ORDER_PAID
    assert control.payment_record(payment.yookassa_payment_id)["status"] == "succeeded"
    assert _reload(session, Order, order.id).payment_status == PaymentStatus.PAID


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(
        st.tuples(st.integers(1, 40), st.decimals(Decimal("0.01"), Decimal("9999.99"), places=2)),
        min_size=1,
        max_size=12,
    ),
    discount_share=st.integers(0, 99),
    shipping=st.decimals(Decimal("0.00"), Decimal("3000.00"), places=2),
)
def test_receipt_items_add_up_to_the_payment_amount_for_random_carts(
    session,
    pay_app,
    gateway,
    standin,
    lines,
    discount_share,
    shipping,
):
    subtotal = sum((price * quantity for quantity, price in lines), Decimal("0.00"))
    discount = (subtotal * discount_share / 100).quantize(Decimal("0.01"))
    if discount >= subtotal:
        discount = Decimal("0.00")
    order = make_order(
        session,
        [(f"Товар {index}", quantity, price) for index, (quantity, price) in enumerate(lines)],
        discount=discount,
        shipping=shipping,
    )
    session.commit()

    payment = _started(session, gateway, order, pay_app)

    assert payment.status == AttemptStatus.PENDING  # the stand-in validated the receipt sum too
    items = payment.receipt["items"]
    total = sum((Decimal(i["amount"]["value"]) * int(i["quantity"]) for i in items), Decimal("0.00"))
    assert total == payment.amount == order.total_amount


def _paid_order(session, gateway, control, pay_app) -> Order:
    order = make_order(session)
    session.commit()
    payment = _started(session, gateway, order, pay_app)
    control.pay(payment.yookassa_payment_id)
    apply_payment_status(session, gateway, gateway.get_payment(payment.yookassa_payment_id), POLICY)
    return _reload(session, Order, order.id)


def test_a_partial_then_a_full_refund_moves_the_order_to_partially_refunded_then_refunded(
    session,
    pay_app,
    gateway,
    standin,
    control,
):
    standin.auto_notify = False
    order = _paid_order(session, gateway, control, pay_app)
    total = order.total_amount
    refunds_before = sample("mostik_refunds_total", outcome="succeeded")

    partial = refund_order(session, gateway, order, Decimal("1000.00"))

    assert partial.status == "succeeded"
    assert _reload(session, Order, order.id).payment_status == PaymentStatus.PARTIALLY_REFUNDED
    items = partial.receipt["items"]
    assert sum((Decimal(i["amount"]["value"]) * int(i["quantity"]) for i in items), Decimal(0)) == Decimal("1000.00")

    rest = refund_order(session, gateway, _reload(session, Order, order.id))

    assert rest.amount == total - Decimal("1000.00")
    assert _reload(session, Order, order.id).payment_status == PaymentStatus.REFUNDED
    record = control.payment_record(partial.payment.yookassa_payment_id)
    assert record["refunded_amount"]["value"] == f"{total:.2f}"
    assert session.scalar(select(func.count(Refund.id))) == 2
    assert sample("mostik_refunds_total", outcome="succeeded") == refunds_before + 2  # /metrics


def test_a_refund_beyond_the_paid_amount_is_refused(session, pay_app, gateway, standin, control):
    standin.auto_notify = False
    order = _paid_order(session, gateway, control, pay_app)

    with pytest.raises(RefundError) as too_much:
        refund_order(session, gateway, order, order.total_amount + Decimal("0.01"))
    assert too_much.value.code == RefundFailure.TOO_MUCH

    refund_order(session, gateway, order)
    with pytest.raises(RefundError) as nothing:
        refund_order(session, gateway, _reload(session, Order, order.id), Decimal("1.00"))
    assert nothing.value.code == RefundFailure.NOTHING_LEFT
    assert session.scalar(select(func.count(Refund.id))) == 1


def test_the_refund_command_refunds_and_explains_bad_input_in_russian(
    session,
    pay_app,
    gateway,
    standin,
    control,
):
    standin.auto_notify = False
    order = _paid_order(session, gateway, control, pay_app)
    runner = pay_app.test_cli_runner()

    bad = runner.invoke(args=["payment", "refund", order.number, "--amount", "abc"])
    missing = runner.invoke(args=["payment", "refund", "MK-2026-999999"])
    beyond = runner.invoke(args=["payment", "refund", order.number, "--amount", "999999,00"])
    done = runner.invoke(args=["payment", "refund", order.number, "--amount", "123,45"])

    assert bad.exit_code == 1 and "Это не сумма" in bad.output
    assert missing.exit_code == 1 and "не найден" in missing.output
    assert beyond.exit_code == 1 and "осталось вернуть" in beyond.output
    assert done.exit_code == 0 and "123,45" in done.output
    assert _reload(session, Order, order.id).payment_status == PaymentStatus.PARTIALLY_REFUNDED


def test_an_old_pending_attempt_that_expired_at_yookassa_is_replaced_by_a_new_one(
    session, pay_app, gateway, standin, control
):
    standin.auto_notify = False  # the «canceled» notification is lost
    order = make_order(session)
    session.commit()
    first = _started(session, gateway, order, pay_app)
    control.expire(first.yookassa_payment_id)
    first.updated_at = first.updated_at - timedelta(hours=1)
    session.commit()

    again = _started(session, gateway, order, pay_app)

    assert again.id != first.id and again.status == AttemptStatus.PENDING
    assert _reload(session, Payment, first.id).cancellation_reason == "expired_on_confirmation"


def test_a_refund_without_an_answer_is_repeated_with_its_own_key_and_refunds_once(
    session, pay_app, gateway, standin, control
):
    standin.auto_notify = False
    order = _paid_order(session, gateway, control, pay_app)
    control.add_fault("500", route="POST /refunds", after_commit=True)

    with pytest.raises(RefundError) as unknown:
        refund_order(session, gateway, order, Decimal("500.00"))
    assert unknown.value.code == RefundFailure.UNKNOWN
    assert _reload(session, Order, order.id).payment_status == PaymentStatus.PAID

    again = refund_order(session, gateway, _reload(session, Order, order.id), Decimal("500.00"))

    assert again.status == "succeeded"
    assert session.scalar(select(func.count(Refund.id))) == 1
    assert len(standin.refunds) == 1
    assert _reload(session, Order, order.id).payment_status == PaymentStatus.PARTIALLY_REFUNDED


def test_a_refund_notification_is_acted_on_once(session, pay_app, gateway, standin, control):
    standin.auto_notify = False
    order = _paid_order(session, gateway, control, pay_app)
    refund = refund_order(session, gateway, order, Decimal("10.00"))

    control.send_notification("refund.succeeded", refund.yookassa_refund_id, times=3)
    assert standin.wait_for_notifications(10)

    stored = session.scalar(select(PaymentNotification))
    assert stored.times_received == 3 and stored.outcome == "no change"
    changes = session.scalars(select(OrderStatusChange.to_status).where(OrderStatusChange.order_id == order.id)).all()
    assert changes.count(PaymentStatus.PARTIALLY_REFUNDED) == 1


def test_a_notification_whose_refetch_fails_is_answered_503_and_the_redelivery_applies_it(
    session, pay_app, gateway, standin, control
):
    order = make_order(session)
    session.commit()
    payment = _started(session, gateway, order, pay_app)
    control.add_fault("500", route="GET /payments/*", count=1)

    control.pay(payment.yookassa_payment_id)
    assert standin.wait_for_notifications(15)

    assert [attempt["status"] for attempt in control.notifications()] == [503, 200]
    assert _reload(session, Order, order.id).payment_status == PaymentStatus.PAID
    assert session.scalar(select(PaymentNotification.times_received)) == 2


def test_a_payment_started_near_the_end_of_the_short_hold_keeps_the_goods_while_the_buyer_pays(
    session: Session, gateway, pay_app
) -> None:
    """A card order holds its goods only briefly: a payment started five minutes before the end keeps them for the
    grace period (and the expiry job leaves the order alone); an order whose hold is over is not revived."""
    from storefront.db import utcnow
    from storefront.order.services import expire_unpaid_orders

    order = make_order(session)
    order.expires_at = utcnow() + timedelta(minutes=5)
    session.commit()
    started = utcnow()

    start_payment(session, gateway, order, pay_app.config["PUBLIC_BASE_URL"] + "/orders/x", POLICY)

    session.refresh(order)
    assert order.expires_at >= started + timedelta(minutes=15)
    assert expire_unpaid_orders(session, started + timedelta(minutes=10)) == "expired 0"
    assert expire_unpaid_orders(session, started + timedelta(minutes=16)) == "expired 1"

    late = make_order(session)
    late.expires_at = utcnow() - timedelta(minutes=1)  # over, the job has not run yet
    session.commit()
    start_payment(session, gateway, late, pay_app.config["PUBLIC_BASE_URL"] + "/orders/y", POLICY)
    session.refresh(late)
    assert late.expires_at < utcnow()

"""Payment use cases: start (or reuse) an attempt, apply a fetched payment/refund state, refund.

No Flask here: the gateway and the policy are passed in as values. Rules:

- **Keys before calls.** A new attempt (or refund, or capture/cancel) gets a fresh idempotence
  key that is committed before the API call. A call without a definite answer leaves the row
  ``unknown``; it is repeated with the SAME key and the same data (the stored request), never
  replaced. Only a definite failure (``canceled``, a refusal) makes the next attempt use a new key.
- **Fetched state only.** ``apply_payment_status`` takes a ``PaymentResult`` fetched from the API
  (never a notification body).
- **Forward only, once.** Every status change is a conditional UPDATE ``WHERE status IN (lower
  ranks)``; only the caller whose UPDATE moved the row does the side effects (order → paid,
  ``order_paid``), so any number of concurrent or repeated notifications change things once.
- **Amounts.** A fetched amount or currency that differs from ours flags the attempt for staff
  (``needs_review``) and changes nothing else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.db import rowcount, utcnow
from storefront.errors import ShopError
from storefront.events import order_paid, order_refunded
from storefront.jobs import periodic
from storefront.money import RUB, quantize_kopecks
from storefront.order.models import Order, OrderStatus
from storefront.order.services import TransitionNotAllowed, announce_status_change, change_status
from storefront.payment.errors import GatewayError, GatewayObjectNotFound, OutcomeUnknown, PaymentDeclined
from storefront.payment.gateway import (
    PaymentGateway,
    PaymentRequest,
    PaymentResult,
    RefundRequest,
    RefundResult,
    new_idempotence_key,
)
from storefront.payment.models import (
    OPEN_STATUSES,
    REFUND_RANK,
    STATUS_RANK,
    AttemptStatus,
    Payment,
    PaymentNotification,
    Refund,
    RefundState,
)
from storefront.payment.notifications import (
    PAYMENT_CANCELED,
    PAYMENT_SUCCEEDED,
    PAYMENT_WAITING_FOR_CAPTURE,
    REFUND_SUCCEEDED,
    Notification,
)
from storefront.payment.receipt import (
    SUBJECT_SERVICE,
    ReceiptItem,
    ReceiptLine,
    build_receipt,
    build_receipt_items,
    receipt_customer,
)

logger = logging.getLogger(__name__)


# ----- errors ------------------------------------------------------------------------------------


class PaymentError(ShopError):
    """Base of the payment use-case errors (the views turn them into Russian messages)."""


class OrderNotPayable(PaymentError):
    def __init__(self, number: str | None, status: str) -> None:
        self.status = status
        super().__init__(f"order {number} is {status}, it cannot be paid")


class PaymentUnavailable(PaymentError):
    """The gateway gave no answer (deadline, network, 5xx): the buyer should try again shortly."""


class PaymentRefused(PaymentError):
    """The gateway refused our request (a definite no); the attempt is failed."""


class RefundError(PaymentError):
    """A refund that cannot be made. ``code`` tells the CLI which message to show."""

    def __init__(self, code: str, message: str, **values: Any) -> None:
        self.code = code
        self.values = values
        super().__init__(message)


# ----- policy ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentPolicy:
    #: Two-stage (hold, then capture when the order is still payable, cancel otherwise).
    two_stage: bool = False
    shop_name: str = "Мостик"


def _short(error: Exception) -> str:
    return str(error)[:300]


def _rank(status: str) -> int:
    return STATUS_RANK[AttemptStatus(status)]


def _lower_ranks(status: AttemptStatus) -> list[str]:
    return [s.value for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]


# ----- starting a payment ------------------------------------------------------------------------


def latest_attempt(session: Session, order_id: int) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.order_id == order_id).order_by(Payment.id.desc()).limit(1))


def _receipt_for(order: Order) -> dict[str, Any]:
    lines = [ReceiptLine(line.title, line.quantity, line.unit_price) for line in order.lines]
    items = build_receipt_items(lines, discount=order.discount_amount, shipping=order.shipping_amount)
    return build_receipt(receipt_customer(email=order.email), items)


def _items_from_receipt(receipt: dict[str, Any]) -> list[ReceiptItem]:
    return [
        ReceiptItem(
            description=item["description"],
            quantity=int(Decimal(str(item["quantity"]))),
            unit_price=Decimal(item["amount"]["value"]),
            vat_code=int(item["vat_code"]),
            payment_subject=item["payment_subject"],
            payment_mode=item["payment_mode"],
        )
        for item in receipt.get("items", [])
    ]


def _payment_request(payment: Payment, order: Order) -> PaymentRequest:
    """The request of an attempt, rebuilt from what was stored: identical on every retry."""
    return PaymentRequest(
        amount=payment.amount,
        description=payment.description,
        return_url=payment.return_url,
        idempotence_key=payment.idempotence_key,
        metadata={"order_number": order.number or "", "order_id": str(order.id), "attempt_id": str(payment.id)},
        receipt_items=_items_from_receipt(payment.receipt),
        customer=payment.receipt.get("customer", {}),
        capture=payment.capture,
        currency=payment.currency,
    )


def _new_attempt(session: Session, order: Order, return_url: str, policy: PaymentPolicy) -> Payment:
    payment = Payment(
        order_id=order.id,
        idempotence_key=new_idempotence_key(),
        status=AttemptStatus.UNKNOWN,
        amount=order.total_amount,
        currency=order.currency,
        capture=not policy.two_stage,
        description=f"Заказ {order.number} в магазине «{policy.shop_name}»"[:128],
        return_url=return_url,
        receipt=_receipt_for(order),
    )
    session.add(payment)
    session.commit()  # the key exists before the call
    return payment


def _send_create(session: Session, gateway: PaymentGateway, payment: Payment, order: Order) -> Payment:
    """Create (or repeat the creation of) the attempt with its own key; record the answer."""
    try:
        result = gateway.create_payment(_payment_request(payment, order))
    except PaymentDeclined as declined:
        _record_result(session, payment, declined.result)
        session.commit()
        return payment
    except OutcomeUnknown as error:
        payment.last_error = _short(error)
        payment.checked_at = utcnow()
        session.commit()
        raise PaymentUnavailable(str(error)) from error
    except GatewayError as error:  # refused: fix the data, new key next time
        session.execute(
            update(Payment)
            .where(Payment.id == payment.id, Payment.status == AttemptStatus.UNKNOWN)
            .values(status=AttemptStatus.CANCELED, cancellation_party="merchant", cancellation_reason="refused")
        )
        payment.last_error = _short(error)
        session.commit()
        session.refresh(payment)
        raise PaymentRefused(str(error)) from error
    _record_result(session, payment, result)
    session.commit()
    return payment


def _record_result(session: Session, payment: Payment, result: PaymentResult) -> bool:
    """Store an answer to our own create/capture call (id, confirmation URL, forward status)."""
    payment.yookassa_payment_id = payment.yookassa_payment_id or result.payment_id
    if result.confirmation_url:
        payment.confirmation_url = result.confirmation_url
    payment.last_error = None
    payment.checked_at = utcnow()
    session.flush()
    return _move(session, payment, result)


def _move(session: Session, payment: Payment, result: PaymentResult) -> bool:
    """Forward-only conditional UPDATE to the fetched status; True when this call moved it."""
    target = AttemptStatus(result.status.value)
    values: dict[str, Any] = {"status": target, "updated_at": utcnow()}
    if target == AttemptStatus.CANCELED:
        values |= {
            "cancellation_party": result.cancellation_party,
            "cancellation_reason": result.cancellation_reason,
            "canceled_at": utcnow(),
        }
    if target == AttemptStatus.SUCCEEDED:
        values["succeeded_at"] = result.captured_at or utcnow()
    moved = rowcount(
        session.execute(
            update(Payment)
            .where(Payment.id == payment.id, Payment.status.in_(_lower_ranks(target)))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(payment)
    return moved == 1


#: A pending attempt older than this is re-fetched before the buyer is sent to pay it again.
REUSE_WITHOUT_CHECK = timedelta(minutes=10)


def start_payment(
    session: Session, gateway: PaymentGateway, order: Order, return_url: str, policy: PaymentPolicy
) -> Payment:
    """The attempt the buyer should pay now.

    An open attempt with a confirmation URL is reused; an ``unknown`` one is repeated with its
    own key and data; after a failed (canceled) attempt a new one with a new key is made.
    Raises ``OrderNotPayable``, ``PaymentUnavailable`` (no answer: try again), ``PaymentRefused``.
    """
    if order.status != OrderStatus.AWAITING_PAYMENT:
        raise OrderNotPayable(order.number, order.status)
    # One attempt at a time per order: lock the order row (PostgreSQL; SQLite serialises writers).
    session.execute(select(Order.id).where(Order.id == order.id).with_for_update())
    payment = latest_attempt(session, order.id)
    if (
        payment is not None
        and payment.status == AttemptStatus.PENDING
        and payment.updated_at <= utcnow() - REUSE_WITHOUT_CHECK
    ):
        # An old pending payment may have expired at YooKassa (a lost notification): ask first.
        session.commit()
        refresh_payment(session, gateway, payment, policy)
        session.execute(select(Order.id).where(Order.id == order.id).with_for_update())
        session.refresh(payment)
        session.refresh(order)
        if order.status != OrderStatus.AWAITING_PAYMENT:
            session.commit()
            raise OrderNotPayable(order.number, order.status)
    if payment is not None and payment.status in (AttemptStatus.PENDING, AttemptStatus.WAITING_FOR_CAPTURE):
        if payment.confirmation_url or payment.status == AttemptStatus.WAITING_FOR_CAPTURE:
            session.commit()
            return payment
    if payment is not None and payment.status == AttemptStatus.SUCCEEDED:
        session.commit()
        return payment
    if payment is None or payment.status == AttemptStatus.CANCELED or payment.amount != order.total_amount:
        payment = _new_attempt(session, order, return_url, policy)
    else:
        session.commit()
    return _send_create(session, gateway, payment, order)


# ----- applying fetched state --------------------------------------------------------------------


def _find_payment(session: Session, result: PaymentResult) -> Payment | None:
    payment = session.scalar(select(Payment).where(Payment.yookassa_payment_id == result.payment_id))
    if payment is not None:
        return payment
    # Our create had no answer, so we never learnt the id: the metadata names our attempt.
    attempt_id = result.metadata.get("attempt_id", "")
    if attempt_id.isdigit():
        payment = session.get(Payment, int(attempt_id))
        if payment is not None and payment.yookassa_payment_id is None:
            moved = rowcount(
                session.execute(
                    update(Payment)
                    .where(Payment.id == payment.id, Payment.yookassa_payment_id.is_(None))
                    .values(yookassa_payment_id=result.payment_id)
                )
            )
            session.commit()
            session.refresh(payment)
            if moved or payment.yookassa_payment_id == result.payment_id:
                return payment
    return None


def _amount_mismatch(payment: Payment, order: Order, result: PaymentResult) -> str | None:
    if result.currency != RUB or payment.currency != RUB:
        return f"currency {result.currency} instead of {payment.currency}"
    if result.amount != payment.amount or payment.amount != order.total_amount:
        return f"amount {result.amount} instead of {payment.amount} (order total {order.total_amount})"
    return None


def apply_payment_status(
    session: Session, gateway: PaymentGateway, result: PaymentResult, policy: PaymentPolicy
) -> str:
    """Act on a payment as FETCHED from the API. Returns what happened (for the notification log)."""
    payment = _find_payment(session, result)
    if payment is None:
        return "unknown payment"
    order = session.get(Order, payment.order_id)
    assert order is not None
    if result.status.value in (AttemptStatus.SUCCEEDED, AttemptStatus.WAITING_FOR_CAPTURE):
        mismatch = _amount_mismatch(payment, order, result)
        if mismatch:
            session.execute(update(Payment).where(Payment.id == payment.id).values(needs_review=mismatch[:300]))
            session.commit()
            logger.warning("payment %s of order %s needs review: %s", result.payment_id, order.number, mismatch)
            return "needs review: " + mismatch
    if _rank(payment.status) >= STATUS_RANK[AttemptStatus(result.status.value)]:
        session.commit()
        return "no change"
    if not _move(session, payment, result):
        session.commit()
        return "no change"
    if payment.status == AttemptStatus.SUCCEEDED:
        return _order_paid(session, payment, order)
    session.commit()
    if payment.status == AttemptStatus.WAITING_FOR_CAPTURE:
        return settle_held_payment(session, gateway, payment, policy)
    return f"applied: {payment.status}"


def _order_paid(session: Session, payment: Payment, order: Order) -> str:
    """This call moved the attempt to succeeded: the order becomes paid (once), in one commit."""
    previous = order.status
    try:
        change_status(session, order, OrderStatus.PAID, f"payment {payment.yookassa_payment_id}")
    except TransitionNotAllowed:
        # Expired or canceled meanwhile: the money is in, the order is not: staff must refund or revive it.
        note = f"succeeded while the order was {order.status}"
        session.execute(update(Payment).where(Payment.id == payment.id).values(needs_review=note))
        session.commit()
        logger.warning("payment %s of order %s: %s", payment.yookassa_payment_id, order.number, note)
        return "needs review: " + note
    session.commit()
    announce_status_change(order, previous)  # the buyer's «оплачен» email, history subscribers
    order_paid.send(
        None,
        order_id=order.id,
        number=order.number,
        amount=payment.amount,
        buyer_id=order.buyer_id,
        payment_id=payment.id,
    )
    return "applied: succeeded, order paid"


def settle_held_payment(session: Session, gateway: PaymentGateway, payment: Payment, policy: PaymentPolicy) -> str:
    """A held (``waiting_for_capture``) payment: capture it while the order is still payable, cancel otherwise."""
    order = session.get(Order, payment.order_id)
    assert order is not None
    if payment.settle_key is None:
        session.execute(
            update(Payment)
            .where(Payment.id == payment.id, Payment.settle_key.is_(None))
            .values(settle_key=new_idempotence_key())
        )
        session.commit()
        session.refresh(payment)
    capture = order.status == OrderStatus.AWAITING_PAYMENT
    try:
        if capture:
            result = gateway.capture_payment(payment.yookassa_payment_id or "", payment.settle_key or "")
        else:
            result = gateway.cancel_payment(payment.yookassa_payment_id or "", payment.settle_key or "")
    except PaymentDeclined as declined:
        result = declined.result
    except GatewayError as error:
        payment.last_error = _short(error)
        session.commit()
        return "settle failed: " + _short(error)
    return apply_payment_status(session, gateway, result, policy)


def refresh_payment(session: Session, gateway: PaymentGateway, payment: Payment, policy: PaymentPolicy) -> str:
    """Re-query one open attempt: repeat an unanswered create with its key, or fetch by id and apply."""
    order = session.get(Order, payment.order_id)
    assert order is not None
    if payment.yookassa_payment_id is None:
        # Repeat the create with the same key and data (even if the order expired meanwhile: if the
        # payment exists we must know it); a re-check never makes a new attempt.
        try:
            _send_create(session, gateway, payment, order)
        except PaymentError as error:
            return "still unknown: " + _short(error)
        if payment.status == AttemptStatus.UNKNOWN:
            return "still unknown"
        return f"recovered: {payment.status}"
    try:
        result = gateway.get_payment(payment.yookassa_payment_id)
    except GatewayError as error:
        payment.checked_at = utcnow()
        payment.last_error = _short(error)
        session.commit()
        return "fetch failed: " + _short(error)
    payment.checked_at = utcnow()
    session.commit()
    return apply_payment_status(session, gateway, result, policy)


# ----- notifications -----------------------------------------------------------------------------


def record_notification(session: Session, notification: Notification, source_ip: str) -> PaymentNotification:
    """Store a received notification once per (event, object id, object status); count repeats."""
    obj = notification.raw.get("object", {})
    status = obj.get("status") if isinstance(obj.get("status"), str) else ""
    key = (notification.event, notification.object_id, status[:32])
    now = utcnow()
    query = select(PaymentNotification).where(
        PaymentNotification.event == key[0],
        PaymentNotification.object_id == key[1],
        PaymentNotification.object_status == key[2],
    )
    stored = session.scalar(query)
    if stored is None:
        try:
            with session.begin_nested():
                stored = PaymentNotification(
                    event=key[0],
                    object_id=key[1],
                    object_status=key[2],
                    source_ip=source_ip[:45],
                    body=notification.raw,
                    received_at=now,
                    last_received_at=now,
                )
                session.add(stored)
            session.commit()
            return stored
        except IntegrityError:
            session.rollback()
            stored = session.scalar(query)
            assert stored is not None
    session.execute(
        update(PaymentNotification)
        .where(PaymentNotification.id == stored.id)
        .values(times_received=PaymentNotification.times_received + 1, last_received_at=now)
    )
    session.commit()
    return stored


def handle_notification(
    session: Session, gateway: PaymentGateway, notification: Notification, source_ip: str, policy: PaymentPolicy
) -> str:
    """Store the notification, re-fetch its object by id and act on the fetched object only.

    Raises ``OutcomeUnknown`` when the re-fetch got no answer (the view answers 503 so YooKassa
    delivers it again; the periodic re-check covers it too)."""
    stored = record_notification(session, notification, source_ip)
    outcome = _handle(session, gateway, notification, policy)
    session.execute(update(PaymentNotification).where(PaymentNotification.id == stored.id).values(outcome=outcome))
    session.commit()
    return outcome


def _handle(session: Session, gateway: PaymentGateway, notification: Notification, policy: PaymentPolicy) -> str:
    if notification.event in (PAYMENT_SUCCEEDED, PAYMENT_CANCELED, PAYMENT_WAITING_FOR_CAPTURE):
        try:
            result = gateway.get_payment(notification.object_id)
        except GatewayObjectNotFound:
            return "unknown payment (not found at the gateway)"
        return apply_payment_status(session, gateway, result, policy)
    if notification.event == REFUND_SUCCEEDED:
        try:
            refund = gateway.get_refund(notification.object_id)
        except GatewayObjectNotFound:
            return "unknown refund (not found at the gateway)"
        return apply_refund_status(session, refund)
    return "ignored event"


# ----- refunds -----------------------------------------------------------------------------------


def _refunded_total(session: Session, payment: Payment, states: tuple[str, ...]) -> Decimal:
    amounts = session.scalars(select(Refund.amount).where(Refund.payment_id == payment.id, Refund.status.in_(states)))
    return sum(amounts, Decimal("0.00"))


def refunded_amount(session: Session, payment: Payment) -> Decimal:
    return _refunded_total(session, payment, (RefundState.SUCCEEDED,))


def _refund_receipt(payment: Payment, amount: Decimal) -> dict[str, Any]:
    """A 54-FZ refund receipt for ``amount``: goods first (discount spread over them), then shipping."""
    items = _items_from_receipt(payment.receipt)
    goods = [item for item in items if item.payment_subject != SUBJECT_SERVICE]
    services = [item for item in items if item.payment_subject == SUBJECT_SERVICE]
    goods_total = sum((item.total for item in goods), Decimal("0.00"))
    if amount == payment.amount:
        refund_items = items
    elif amount <= goods_total:
        lines = [ReceiptLine(item.description, item.quantity, item.unit_price) for item in goods]
        refund_items = build_receipt_items(lines, discount=goods_total - amount)
    else:
        lines = [ReceiptLine(item.description, item.quantity, item.unit_price) for item in goods]
        shipping = amount - goods_total
        description = services[0].description if services else "Доставка"
        refund_items = build_receipt_items(lines, shipping=shipping, shipping_description=description)
    return build_receipt(payment.receipt.get("customer", {}), refund_items)


def _paid_payment(session: Session, order: Order) -> Payment:
    payment = session.scalar(
        select(Payment)
        .where(Payment.order_id == order.id, Payment.status == AttemptStatus.SUCCEEDED)
        .order_by(Payment.id.desc())
        .limit(1)
    )
    if payment is None:
        raise RefundError("not_paid", f"order {order.number} has no successful payment", number=order.number)
    return payment


def refund_order(
    session: Session,
    gateway: PaymentGateway,
    order: Order,
    amount: Decimal | None = None,
    idempotence_key: str | None = None,
) -> Refund:
    """Refund ``amount`` (all that is left when None) of the order's payment, with a refund receipt.

    Never beyond what was paid minus what is refunded or being refunded. A refund whose outcome is
    unknown is repeated with its own key first (so a repeated command never refunds twice).
    ``idempotence_key`` (a staff form's one-time token): a repeat with the same key, even a concurrent
    one, returns the refund the first made (the key is unique in the table) instead of refunding again.
    """
    session.execute(select(Order.id).where(Order.id == order.id).with_for_update())
    if idempotence_key is not None:
        done = session.scalar(select(Refund).where(Refund.idempotence_key == idempotence_key))
        if done is not None:
            return _repeat(session, gateway, done, order)
    payment = _paid_payment(session, order)
    unfinished = session.scalar(
        select(Refund).where(Refund.payment_id == payment.id, Refund.status == RefundState.UNKNOWN).limit(1)
    )
    if unfinished is not None:
        session.commit()
        _send_refund(session, gateway, unfinished, order)
        if amount is None or amount == unfinished.amount:
            return unfinished
    reserved = _refunded_total(session, payment, (RefundState.SUCCEEDED, RefundState.PENDING, RefundState.UNKNOWN))
    remaining = payment.amount - reserved
    if amount is None:
        amount = remaining
    if amount != quantize_kopecks(amount) or amount <= 0:
        raise RefundError("bad_amount", "the amount must be positive whole kopecks", amount=amount)
    if remaining <= 0:
        raise RefundError("nothing_left", "everything paid is already refunded", paid=payment.amount)
    if amount > remaining:
        raise RefundError("too_much", "more than is left to refund", amount=amount, remaining=remaining)
    refund = Refund(
        payment_id=payment.id,
        order_id=order.id,
        idempotence_key=idempotence_key or new_idempotence_key(),
        status=RefundState.UNKNOWN,
        amount=amount,
        currency=payment.currency,
        description=f"Возврат по заказу {order.number}",
        receipt=_refund_receipt(payment, amount),
    )
    session.add(refund)
    try:
        session.commit()  # the key exists before the call
    except IntegrityError:
        session.rollback()
        if idempotence_key is None:
            raise
        done = session.scalar(select(Refund).where(Refund.idempotence_key == idempotence_key))
        if done is None:
            raise
        return _repeat(session, gateway, done, order)  # a concurrent repeat of the same request won
    return _send_refund(session, gateway, refund, order)


def _repeat(session: Session, gateway: PaymentGateway, done: Refund, order: Order) -> Refund:
    """The refund an earlier request with the same key made; sent again (same key) if its outcome is unknown."""
    if done.order_id != order.id:
        raise RefundError("bad_key", "the key belongs to another order's refund")
    session.commit()
    if done.status == RefundState.UNKNOWN:
        return _send_refund(session, gateway, done, order)
    return done


def _send_refund(session: Session, gateway: PaymentGateway, refund: Refund, order: Order) -> Refund:
    payment = session.get(Payment, refund.payment_id)
    assert payment is not None
    request = RefundRequest(
        payment_id=payment.yookassa_payment_id or "",
        amount=refund.amount,
        idempotence_key=refund.idempotence_key,
        description=refund.description,
        receipt_items=_items_from_receipt(refund.receipt),
        customer=refund.receipt.get("customer", {}),
        currency=refund.currency,
    )
    try:
        result = gateway.create_refund(request)
    except OutcomeUnknown as error:
        refund.last_error = _short(error)
        session.commit()
        raise RefundError("unknown", "the gateway did not answer; run the command again") from error
    except GatewayError as error:
        session.execute(
            update(Refund)
            .where(Refund.id == refund.id, Refund.status == RefundState.UNKNOWN)
            .values(status=RefundState.CANCELED, cancellation_reason="refused", last_error=_short(error))
        )
        session.commit()
        raise RefundError("refused", str(error)) from error
    refund.yookassa_refund_id = refund.yookassa_refund_id or result.refund_id
    session.flush()
    apply_refund_status(session, result)
    session.refresh(refund)
    return refund


def apply_refund_status(session: Session, result: RefundResult) -> str:
    """Act on a refund as fetched from the API (forward only); succeeded refunds move the order."""
    refund = session.scalar(select(Refund).where(Refund.yookassa_refund_id == result.refund_id))
    if refund is None:
        session.commit()
        return "unknown refund"
    target = RefundState(result.status.value)
    lower = [state.value for state, rank in REFUND_RANK.items() if rank < REFUND_RANK[target]]
    moved = rowcount(
        session.execute(
            update(Refund)
            .where(Refund.id == refund.id, Refund.status.in_(lower))
            .values(status=target, cancellation_reason=result.cancellation_reason, last_error=None, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(refund)
    if not moved:
        session.commit()
        return "no change"
    if target != RefundState.SUCCEEDED:
        session.commit()
        return f"refund {target}"
    payment = session.get(Payment, refund.payment_id)
    order = session.get(Order, refund.order_id)
    assert payment is not None and order is not None
    fully = refunded_amount(session, payment) >= payment.amount
    wanted = OrderStatus.REFUNDED if fully else OrderStatus.PARTIALLY_REFUNDED
    previous = order.status
    if previous == wanted:
        session.commit()
        _announce_refund(order, refund)
        return "refund succeeded"
    try:
        change_status(session, order, wanted, f"refund {refund.yookassa_refund_id}: {refund.amount}")
    except TransitionNotAllowed:
        session.commit()
        logger.warning("refund of order %s succeeded but the order is %s", order.number, order.status)
        _announce_refund(order, refund)
        return "refund succeeded, order status unchanged"
    session.commit()
    announce_status_change(order, previous)
    _announce_refund(order, refund)
    return f"refund succeeded, order {wanted}"


def _announce_refund(order: Order, refund: Refund) -> None:
    """``order_refunded`` after the commit; only the call that moved the refund to succeeded gets here."""
    order_refunded.send(
        None,
        order_id=order.id,
        number=order.number,
        amount=refund.amount,
        buyer_id=order.buyer_id,
        refund_id=refund.id,
    )


# ----- the periodic re-check ---------------------------------------------------------------------

#: Set by ``storefront.payment.init_app`` (jobs only receive a session and the time).
_job_gateway: tuple[PaymentGateway, PaymentPolicy] | None = None
#: Attempts younger than this are left to the buyer's own return and the notifications.
RECHECK_AFTER = timedelta(minutes=2)


def configure_recheck(gateway: PaymentGateway | None, policy: PaymentPolicy) -> None:
    global _job_gateway
    _job_gateway = (gateway, policy) if gateway is not None else None


def open_attempts_due(session: Session, now: datetime, limit: int = 100) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.status.in_([s.value for s in OPEN_STATUSES]), Payment.updated_at <= now - RECHECK_AFTER)
            .order_by(Payment.updated_at)
            .limit(limit)
        )
    )


@periodic("recheck-open-payments", every=timedelta(minutes=5))
def recheck_open_payments(session: Session, now: datetime) -> str:
    """Payments stuck pending/unknown/held (a lost notification, a create without an answer): ask again."""
    if _job_gateway is None:
        return "no gateway"
    gateway, policy = _job_gateway
    checked = 0
    for payment in open_attempts_due(session, now):
        outcome = refresh_payment(session, gateway, payment, policy)
        logger.info("recheck payment attempt %s: %s", payment.id, outcome)
        # Touch it so a payment that stays pending is asked again only after RECHECK_AFTER.
        session.execute(update(Payment).where(Payment.id == payment.id).values(updated_at=utcnow()))
        session.commit()
        checked += 1
    return f"checked {checked}"

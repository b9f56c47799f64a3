"""Payment attempts: start (or reuse) an attempt, apply a fetched payment state, settle a held payment,
re-query an open attempt.

No Flask here: the gateway and the policy are passed in as values. These functions commit themselves, the
documented exception to "use cases flush, the caller commits" (``storefront.db``): a key must be committed
before the gateway call it protects. Rules (refunds follow them too):

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
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storefront.db import rowcount, utcnow
from storefront.events import order_paid, payment_captured
from storefront.money import RUB
from storefront.ops.metrics import PAYMENTS
from storefront.order.models import Order, PaymentStatus
from storefront.order.services import TransitionNotAllowed, change_payment_status, keep_while_paying
from storefront.outbox import expect_mail
from storefront.payment.errors import (
    GatewayError,
    OrderNotPayable,
    OutcomeUnknown,
    PaymentDeclined,
    PaymentError,
    PaymentRefused,
    PaymentUnavailable,
    short_error,
)
from storefront.payment.gateway import PaymentGateway, PaymentRequest, PaymentResult, new_idempotence_key
from storefront.payment.models import STATUS_RANK, AttemptStatus, Payment, YooKassaMethod
from storefront.payment.outcomes import PaymentOutcome, PaymentOutcomeKind
from storefront.payment.receipt import (
    ReceiptLine,
    build_receipt,
    build_receipt_items,
    items_from_receipt,
    receipt_customer,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentPolicy:
    #: Two-stage (hold, then capture when the order is still payable, cancel otherwise).
    two_stage: bool = False
    shop_name: str = "Мостик"
    #: A new attempt keeps the order's goods at least this long (``ORDER_PAYING_GRACE_MINUTES``).
    paying_grace: timedelta = timedelta(minutes=15)


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


def _payment_request(payment: Payment, order: Order) -> PaymentRequest:
    """The request of an attempt, rebuilt from what was stored: identical on every retry."""
    return PaymentRequest(
        amount=payment.amount,
        description=payment.description,
        return_url=payment.return_url,
        idempotence_key=payment.idempotence_key,
        metadata={"order_number": order.number or "", "order_id": str(order.id), "attempt_id": str(payment.id)},
        receipt_items=items_from_receipt(payment.receipt),
        customer=payment.receipt.get("customer", {}),
        capture=payment.capture,
        currency=payment.currency,
        payment_method=payment.method,
    )


def _new_attempt(
    session: Session, order: Order, return_url: str, policy: PaymentPolicy, method: YooKassaMethod
) -> Payment:
    payment = Payment(
        order_id=order.id,
        idempotence_key=new_idempotence_key(),
        status=AttemptStatus.UNKNOWN,
        amount=order.total_amount,
        currency=order.currency,
        method=method,
        # SBP has no two-stage payments (the API docs' SBP page: «Холдирование: нельзя платить в две стадии»).
        capture=method == YooKassaMethod.SBP or not policy.two_stage,
        description=f"Заказ {order.number} в магазине «{policy.shop_name}»"[:128],
        return_url=return_url,
        receipt=_receipt_for(order),
    )
    session.add(payment)
    # The buyer is about to pay: a hold about to end (a card order's is short) lasts while they do.
    keep_while_paying(session, order, utcnow(), policy.paying_grace)
    session.commit()  # the key exists before the call
    session.refresh(order)
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
        payment.last_error = short_error(error)
        payment.checked_at = utcnow()
        session.commit()
        PAYMENTS.labels("unanswered").inc()
        raise PaymentUnavailable(str(error)) from error
    except GatewayError as error:  # refused: fix the data, new key next time
        session.execute(
            update(Payment)
            .where(Payment.id == payment.id, Payment.status == AttemptStatus.UNKNOWN)
            .values(status=AttemptStatus.CANCELED, cancellation_party="merchant", cancellation_reason="refused")
        )
        payment.last_error = short_error(error)
        session.commit()
        PAYMENTS.labels("refused").inc()
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
    if moved == 1:
        PAYMENTS.labels(target.value).inc()  # once per status an attempt reaches, whichever process moved it
    return moved == 1


#: A pending attempt older than this is re-fetched before the buyer is sent to pay it again.
REUSE_WITHOUT_CHECK = timedelta(minutes=10)


def start_payment(
    session: Session,
    gateway: PaymentGateway,
    order: Order,
    return_url: str,
    policy: PaymentPolicy,
    method: YooKassaMethod = YooKassaMethod.BANK_CARD,
) -> Payment:
    """The attempt the buyer should pay now, by ``method`` (card or SBP).

    An open attempt of the same method with a confirmation URL is reused (a pending one of the other method is
    left to expire: YooKassa cancels only held payments); an ``unknown`` one is repeated with its own key and
    data; after a failed (canceled) attempt a new one with a new key is made.
    Raises ``OrderNotPayable``, ``PaymentUnavailable`` (no answer: try again), ``PaymentRefused``.
    """
    if not order.awaiting_payment:
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
        if not order.awaiting_payment:
            session.commit()
            raise OrderNotPayable(order.number, order.status)
    if payment is not None and payment.status == AttemptStatus.WAITING_FOR_CAPTURE:
        session.commit()
        return payment
    if payment is not None and payment.status == AttemptStatus.PENDING and payment.confirmation_url:
        if payment.method == method:
            session.commit()
            return payment
        payment = None  # the buyer switched between card and SBP: a new attempt
    if payment is not None and payment.status == AttemptStatus.SUCCEEDED:
        session.commit()
        return payment
    if payment is None or payment.status == AttemptStatus.CANCELED or payment.amount != order.total_amount:
        payment = _new_attempt(session, order, return_url, policy, method)
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
) -> PaymentOutcome:
    """Act on a payment as FETCHED from the API. Returns what happened (its text goes to the notification log)."""
    payment = _find_payment(session, result)
    if payment is None:
        return PaymentOutcome(PaymentOutcomeKind.UNKNOWN_PAYMENT)
    order = session.get(Order, payment.order_id)
    assert order is not None
    if result.status.value in (AttemptStatus.SUCCEEDED, AttemptStatus.WAITING_FOR_CAPTURE):
        mismatch = _amount_mismatch(payment, order, result)
        if mismatch:
            session.execute(update(Payment).where(Payment.id == payment.id).values(needs_review=mismatch[:300]))
            session.commit()
            logger.warning("payment %s of order %s needs review: %s", result.payment_id, order.number, mismatch)
            return PaymentOutcome(PaymentOutcomeKind.NEEDS_REVIEW, mismatch)
    if _rank(payment.status) >= STATUS_RANK[AttemptStatus(result.status.value)]:
        session.commit()
        return PaymentOutcome(PaymentOutcomeKind.NO_CHANGE)
    if not _move(session, payment, result):
        session.commit()
        return PaymentOutcome(PaymentOutcomeKind.NO_CHANGE)
    if payment.status == AttemptStatus.SUCCEEDED:
        return _order_paid(session, payment, order)
    session.commit()
    if payment.status == AttemptStatus.WAITING_FOR_CAPTURE:
        return settle_held_payment(session, gateway, payment, policy)
    return PaymentOutcome(PaymentOutcomeKind.APPLIED, payment.status)


def _order_paid(session: Session, payment: Payment, order: Order) -> PaymentOutcome:
    """This call moved the attempt to succeeded: the order becomes paid (once), in one commit."""
    payment_captured.send(None, session=session, order_id=order.id, payment_id=payment.id)
    try:
        change_payment_status(
            session, order, PaymentStatus.PAID, reference=payment.yookassa_payment_id or "", amount=payment.amount
        )
    except TransitionNotAllowed:
        # Expired or canceled meanwhile: the money is in, the order is not: staff must refund or revive it.
        note = f"succeeded while the order was {order.status}"
        session.execute(update(Payment).where(Payment.id == payment.id).values(needs_review=note))
        session.commit()
        logger.warning("payment %s of order %s: %s", payment.yookassa_payment_id, order.number, note)
        return PaymentOutcome(PaymentOutcomeKind.NEEDS_REVIEW, note)
    expect_mail(session, "order_status", order_id=order.id, event="paid")
    session.commit()
    order_paid.send(
        None,
        order_id=order.id,
        number=order.number,
        amount=payment.amount,
        buyer_id=order.buyer_id,
        payment_id=payment.id,
    )
    return PaymentOutcome(PaymentOutcomeKind.ORDER_PAID)


def settle_held_payment(
    session: Session, gateway: PaymentGateway, payment: Payment, policy: PaymentPolicy
) -> PaymentOutcome:
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
    capture = order.awaiting_payment
    try:
        if capture:
            result = gateway.capture_payment(payment.yookassa_payment_id or "", payment.settle_key or "")
        else:
            result = gateway.cancel_payment(payment.yookassa_payment_id or "", payment.settle_key or "")
    except PaymentDeclined as declined:
        result = declined.result
    except GatewayError as error:
        payment.last_error = short_error(error)
        session.commit()
        return PaymentOutcome(PaymentOutcomeKind.SETTLE_FAILED, short_error(error))
    return apply_payment_status(session, gateway, result, policy)


def refresh_payment(
    session: Session, gateway: PaymentGateway, payment: Payment, policy: PaymentPolicy
) -> PaymentOutcome:
    """Re-query one open attempt: repeat an unanswered create with its key, or fetch by id and apply."""
    order = session.get(Order, payment.order_id)
    assert order is not None
    if payment.yookassa_payment_id is None:
        # Repeat the create with the same key and data (even if the order expired meanwhile: if the
        # payment exists we must know it); a re-check never makes a new attempt.
        try:
            _send_create(session, gateway, payment, order)
        except PaymentError as error:
            return PaymentOutcome(PaymentOutcomeKind.STILL_UNKNOWN, short_error(error))
        if payment.status == AttemptStatus.UNKNOWN:
            return PaymentOutcome(PaymentOutcomeKind.STILL_UNKNOWN)
        return PaymentOutcome(PaymentOutcomeKind.RECOVERED, payment.status)
    try:
        result = gateway.get_payment(payment.yookassa_payment_id)
    except GatewayError as error:
        payment.checked_at = utcnow()
        payment.last_error = short_error(error)
        session.commit()
        return PaymentOutcome(PaymentOutcomeKind.FETCH_FAILED, short_error(error))
    payment.checked_at = utcnow()
    session.commit()
    return apply_payment_status(session, gateway, result, policy)

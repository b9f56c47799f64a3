"""Refunds: refund (part of) an order's payment with a 54-FZ refund receipt, apply a fetched refund state.

The rules of ``attempts`` hold here too: the refund's key is committed before the call, an unanswered
refund is repeated with the same key, states move forward only and only the caller that moved a refund
to succeeded moves the order and sends ``order_refunded``. So these functions commit themselves, the documented
exception to "use cases flush, the caller commits" (``storefront.db``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.db import rowcount, utcnow
from storefront.events import order_refunded, refund_succeeded
from storefront.money import quantize_kopecks
from storefront.ops.metrics import REFUNDS
from storefront.order.models import Order, OrderLine, PaymentStatus
from storefront.order.services import TransitionNotAllowed, change_payment_status
from storefront.outbox import expect_mail
from storefront.payment.errors import GatewayError, OutcomeUnknown, RefundError, RefundFailure, short_error
from storefront.payment.gateway import PaymentGateway, RefundRequest, RefundResult, new_idempotence_key
from storefront.payment.models import REFUND_RANK, AttemptStatus, Payment, Refund, RefundLine, RefundState
from storefront.payment.outcomes import RefundOutcome
from storefront.payment.receipt import (
    SUBJECT_SERVICE,
    ReceiptLine,
    build_receipt,
    build_receipt_items,
    items_from_receipt,
)

logger = logging.getLogger(__name__)


def _refunded_total(session: Session, payment: Payment, states: tuple[str, ...]) -> Decimal:
    amounts = session.scalars(select(Refund.amount).where(Refund.payment_id == payment.id, Refund.status.in_(states)))
    return sum(amounts, Decimal("0.00"))


def refunded_amount(session: Session, payment: Payment) -> Decimal:
    return _refunded_total(session, payment, (RefundState.SUCCEEDED,))


def receipt_for_amount(payment: Payment, amount: Decimal, chosen: list[OrderLine] | None = None) -> dict[str, Any]:
    """A 54-FZ receipt for ``amount`` of the payment (a refund's, or the closing receipt of what was not refunded):
    goods first (the difference spread over them as a discount), then shipping. A refund for ``chosen`` order lines
    (at most their amount) lists those lines' goods only."""
    if chosen:
        chosen_total = sum((line.line_amount for line in chosen), Decimal("0.00"))
        if amount <= chosen_total:
            chosen_goods = [ReceiptLine(line.title, line.quantity, line.unit_price) for line in chosen]
            refund_items = build_receipt_items(chosen_goods, discount=chosen_total - amount)
            return build_receipt(payment.receipt.get("customer", {}), refund_items)
    items = items_from_receipt(payment.receipt)
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
        raise RefundError(
            RefundFailure.NOT_PAID, f"order {order.number} has no successful payment", number=order.number
        )
    return payment


def refund_order(
    session: Session,
    gateway: PaymentGateway,
    order: Order,
    amount: Decimal | None = None,
    idempotence_key: str | None = None,
    lines: Collection[int] = (),
) -> Refund:
    """Refund ``amount`` (all that is left when None) of the order's payment, with a refund receipt.

    ``lines``: the ids of the order lines the refund is for (a dispute's lines, staff's choice); stored with the
    refund so the ledger allocates it to those lines' suppliers only. None given: the whole order.

    Never beyond what was paid minus what is refunded or being refunded. A refund whose outcome is
    unknown is repeated with its own key first (so a repeated command never refunds twice).
    ``idempotence_key`` (a staff form's one-time token): a repeat with the same key, even a concurrent
    one, returns the refund the first made (the key is unique in the table) instead of refunding again.
    With a key, another key's refund still without an answer is never adopted (``IN_PROGRESS``): only the
    request that made a refund reports and audits it. Without one (the command line) it is sent again first.
    """
    session.execute(select(Order.id).where(Order.id == order.id).with_for_update())
    if idempotence_key is not None:
        done = session.scalar(select(Refund).where(Refund.idempotence_key == idempotence_key))
        if done is not None:
            return _repeat(session, gateway, done, order)
    payment = _paid_payment(session, order)
    chosen = _chosen_lines(order, lines)
    unfinished = session.scalar(
        select(Refund).where(Refund.payment_id == payment.id, Refund.status == RefundState.UNKNOWN).limit(1)
    )
    if unfinished is not None and idempotence_key is not None and unfinished.idempotence_key == idempotence_key:
        # This form's own refund, committed by a simultaneous submit after the look-up above: the same refund.
        return _repeat(session, gateway, unfinished, order)
    if unfinished is not None and idempotence_key is not None:
        # Another form's (or the cancel's) refund, its answer still awaited: it is theirs to report and audit.
        # Adopting it would make two requests report one refund; this one makes nothing and says so.
        reserved = _refunded_total(session, payment, (RefundState.SUCCEEDED, RefundState.PENDING, RefundState.UNKNOWN))
        session.commit()
        raise RefundError(
            RefundFailure.IN_PROGRESS,
            "another refund of this order awaits the payment service's answer",
            amount=unfinished.amount,
            remaining=payment.amount - reserved,
        )
    if unfinished is not None:  # the command line (no key): finish the unanswered refund first
        session.commit()
        _send_refund(session, gateway, unfinished, order)
        if amount is None or amount == unfinished.amount:
            return unfinished
    reserved = _refunded_total(session, payment, (RefundState.SUCCEEDED, RefundState.PENDING, RefundState.UNKNOWN))
    remaining = payment.amount - reserved
    if amount is None:
        amount = remaining
    if amount != quantize_kopecks(amount) or amount <= 0:
        raise RefundError(RefundFailure.BAD_AMOUNT, "the amount must be positive whole kopecks", amount=amount)
    if remaining <= 0:
        raise RefundError(RefundFailure.NOTHING_LEFT, "everything paid is already refunded", paid=payment.amount)
    if amount > remaining:
        raise RefundError(RefundFailure.TOO_MUCH, "more than is left to refund", amount=amount, remaining=remaining)
    refund = Refund(
        payment_id=payment.id,
        order_id=order.id,
        idempotence_key=idempotence_key or new_idempotence_key(),
        status=RefundState.UNKNOWN,
        amount=amount,
        currency=payment.currency,
        description=f"Возврат по заказу {order.number}",
        receipt=receipt_for_amount(payment, amount, chosen),
        lines=[RefundLine(order_line_id=line.id) for line in chosen],
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


def _chosen_lines(order: Order, line_ids: Collection[int]) -> list[OrderLine]:
    """The order's lines among ``line_ids``, in the order's own order; ``BAD_LINES`` for an id not of the order."""
    wanted = set(line_ids)
    chosen = [line for line in order.lines if line.id in wanted]
    if len(chosen) != len(wanted):
        raise RefundError(RefundFailure.BAD_LINES, "a chosen line is not the order's", number=order.number)
    return chosen


def _repeat(session: Session, gateway: PaymentGateway, done: Refund, order: Order) -> Refund:
    """The refund an earlier request with the same key made; sent again (same key) if its outcome is unknown."""
    if done.order_id != order.id:
        raise RefundError(RefundFailure.BAD_KEY, "the key belongs to another order's refund")
    session.commit()
    if done.status == RefundState.UNKNOWN:
        return _send_refund(session, gateway, done, order)
    return done


def resend_refund(session: Session, gateway: PaymentGateway, refund: Refund, order: Order) -> Refund:
    """Send an unanswered refund again, with its own key and data (the re-check job)."""
    return _send_refund(session, gateway, refund, order)


def _send_refund(session: Session, gateway: PaymentGateway, refund: Refund, order: Order) -> Refund:
    payment = session.get(Payment, refund.payment_id)
    assert payment is not None
    request = RefundRequest(
        payment_id=payment.yookassa_payment_id or "",
        amount=refund.amount,
        idempotence_key=refund.idempotence_key,
        description=refund.description,
        receipt_items=items_from_receipt(refund.receipt),
        customer=refund.receipt.get("customer", {}),
        currency=refund.currency,
    )
    try:
        result = gateway.create_refund(request)
    except OutcomeUnknown as error:
        refund.last_error = short_error(error)
        session.commit()
        REFUNDS.labels("unanswered").inc()
        raise RefundError(RefundFailure.UNKNOWN, "the gateway did not answer; run the command again") from error
    except GatewayError as error:
        session.execute(
            update(Refund)
            .where(Refund.id == refund.id, Refund.status == RefundState.UNKNOWN)
            .values(status=RefundState.CANCELED, cancellation_reason="refused", last_error=short_error(error))
        )
        session.commit()
        REFUNDS.labels("refused").inc()
        raise RefundError(RefundFailure.REFUSED, str(error)) from error
    refund.yookassa_refund_id = refund.yookassa_refund_id or result.refund_id
    session.flush()
    apply_refund_status(session, result)
    session.refresh(refund)
    return refund


def apply_refund_status(session: Session, result: RefundResult) -> RefundOutcome:
    """Act on a refund as fetched from the API (forward only); succeeded refunds move the order."""
    refund = session.scalar(select(Refund).where(Refund.yookassa_refund_id == result.refund_id))
    if refund is None:
        session.commit()
        return RefundOutcome.UNKNOWN_REFUND
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
        return RefundOutcome.NO_CHANGE
    REFUNDS.labels(target.value).inc()
    if target != RefundState.SUCCEEDED:
        session.commit()
        return RefundOutcome(f"refund {target}")  # pending or canceled
    payment = session.get(Payment, refund.payment_id)
    order = session.get(Order, refund.order_id)
    assert payment is not None and order is not None
    refund_succeeded.send(None, session=session, order_id=order.id, refund_id=refund.id)
    fully = refunded_amount(session, payment) >= payment.amount
    wanted = PaymentStatus.REFUNDED if fully else PaymentStatus.PARTIALLY_REFUNDED
    try:
        change_payment_status(session, order, wanted, reference=refund.yookassa_refund_id or "", amount=refund.amount)
    except TransitionNotAllowed:
        expect_mail(session, "order_refund", order_id=order.id, refund_id=refund.id)
        session.commit()
        logger.warning("refund of order %s succeeded but the order is %s", order.number, order.payment_status)
        _announce_refund(order, refund)
        return RefundOutcome.SUCCEEDED_ORDER_UNCHANGED
    expect_mail(session, "order_refund", order_id=order.id, refund_id=refund.id)
    session.commit()
    _announce_refund(order, refund)
    return RefundOutcome.ORDER_REFUNDED if fully else RefundOutcome.ORDER_PARTIALLY_REFUNDED


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

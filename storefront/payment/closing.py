"""The closing receipt (чек зачёта предоплаты) of a prepaid order, sent once when the goods are handed over.

The payment's receipt said ``full_prepayment`` (the buyer paid before getting the goods). 54-FZ wants a second
receipt when the goods are handed over: the same goods with ``payment_mode`` ``full_payment`` and one settlement
of type ``prepayment`` (the money already received), sent through ``POST /v3/receipts`` («Чеки при платежах» in
the 54-FZ docs: «если в чеке прихода были товары с предоплатой, при их выдаче сформируйте чек зачета
предоплаты»). What was refunded (succeeded refunds) before the handover is left out; while a refund is still
unanswered or pending the receipt waits, since what remains is not known yet.

Exactly once per payment: the receipt's idempotence key and its data are fixed on the payment row by one
conditional UPDATE and committed before the call; every retry (the periodic job, a repeated handover) sends the
same key and the same data, so YooKassa makes one receipt whatever happens. Like ``attempts`` this commits itself,
the documented payment exception to "use cases flush, the caller commits" (``storefront.db``).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from storefront.db import utcnow
from storefront.jobs import extension, periodic
from storefront.order.models import Order, OrderStatus
from storefront.payment.errors import GatewayError, OutcomeUnknown, short_error
from storefront.payment.gateway import ClosingReceiptRequest, PaymentGateway, new_idempotence_key
from storefront.payment.models import AttemptStatus, ClosingReceiptState, Payment, Refund, RefundState
from storefront.payment.receipt import PAYMENT_MODE_CLOSING, build_receipt, items_from_receipt
from storefront.payment.refunds import receipt_for_amount, refunded_amount

logger = logging.getLogger(__name__)

#: The order statuses in which the buyer has the goods.
HANDED_OVER = (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
#: Closing receipts still to send: none made yet, or made without an answer.
_DUE = (None, ClosingReceiptState.UNKNOWN)


def closing_receipt_for(session: Session, payment: Payment) -> dict[str, Any] | None:
    """The closing receipt of what the payment paid and was not refunded, or None when everything was refunded."""
    remaining = payment.amount - refunded_amount(session, payment)
    if remaining <= 0:
        return None
    receipt = payment.receipt if remaining == payment.amount else receipt_for_amount(payment, remaining)
    items = [dataclasses.replace(item, payment_mode=PAYMENT_MODE_CLOSING) for item in items_from_receipt(receipt)]
    return build_receipt(receipt.get("customer", {}), items)


def _refund_unsettled(session: Session, payment: Payment) -> bool:
    unsettled = (RefundState.UNKNOWN, RefundState.PENDING)
    return (
        session.scalar(select(Refund.id).where(Refund.payment_id == payment.id, Refund.status.in_(unsettled)).limit(1))
        is not None
    )


def send_closing_receipt(session: Session, gateway: PaymentGateway, payment: Payment) -> str:
    """Send (or repeat, with its key and data) the payment's closing receipt; what happened, for the log."""
    order = session.get(Order, payment.order_id)
    assert order is not None
    session.execute(select(Order.id).where(Order.id == order.id).with_for_update())
    session.refresh(payment)
    session.refresh(order)
    if payment.status != AttemptStatus.SUCCEEDED or payment.closing_receipt_status not in _DUE:
        session.commit()
        return f"nothing to do ({payment.closing_receipt_status or payment.status})"
    if order.status not in HANDED_OVER:
        session.commit()
        return "not handed over yet"
    if payment.closing_receipt_key is None:
        if _refund_unsettled(session, payment):
            session.commit()
            return "waiting for a refund's outcome"
        receipt = closing_receipt_for(session, payment)
        values: dict[str, Any] = (
            {"closing_receipt_status": ClosingReceiptState.NOT_NEEDED, "closing_receipt_at": utcnow()}
            if receipt is None
            else {
                "closing_receipt_key": new_idempotence_key(),
                "closing_receipt": receipt,
                "closing_receipt_status": ClosingReceiptState.UNKNOWN,
            }
        )
        session.execute(
            update(Payment)
            .where(Payment.id == payment.id, Payment.closing_receipt_key.is_(None))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        session.commit()  # the key and the data exist before the call
        session.refresh(payment)
        if payment.closing_receipt_status == ClosingReceiptState.NOT_NEEDED:
            return "not needed: everything was refunded"
    assert payment.closing_receipt is not None and payment.closing_receipt_key is not None
    request = ClosingReceiptRequest(
        payment_id=payment.yookassa_payment_id or "",
        idempotence_key=payment.closing_receipt_key,
        receipt_items=items_from_receipt(payment.closing_receipt),
        customer=payment.closing_receipt.get("customer", {}),
    )
    try:
        result = gateway.create_closing_receipt(request)
    except OutcomeUnknown as error:
        payment.closing_receipt_error = short_error(error)
        session.commit()
        return f"no answer: {short_error(error)}"
    except GatewayError as error:
        # Refused: the data must be fixed by hand (a new key), so it is not retried; staff see the reason.
        _record(session, payment, ClosingReceiptState.CANCELED, None, short_error(error))
        logger.warning("closing receipt of order %s refused: %s", order.number, error)
        return f"refused: {short_error(error)}"
    known = {state.value for state in ClosingReceiptState}
    state = ClosingReceiptState(result.status) if result.status in known else ClosingReceiptState.PENDING
    _record(session, payment, state, result.receipt_id, None)
    return f"sent: {state}"


def _record(
    session: Session, payment: Payment, state: ClosingReceiptState, receipt_id: str | None, error: str | None
) -> None:
    session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.closing_receipt_status == ClosingReceiptState.UNKNOWN)
        .values(
            closing_receipt_status=state,
            closing_receipt_id=receipt_id,
            closing_receipt_error=error,
            closing_receipt_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    session.refresh(payment)


def closing_receipts_due(session: Session, limit: int = 100) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment)
            .join(Order, Order.id == Payment.order_id)
            .where(
                Payment.status == AttemptStatus.SUCCEEDED,
                Payment.needs_review.is_(None),
                or_(
                    Payment.closing_receipt_status.is_(None),
                    Payment.closing_receipt_status == ClosingReceiptState.UNKNOWN,
                ),
                Order.status.in_([status.value for status in HANDED_OVER]),
            )
            .order_by(Payment.id)
            .limit(limit)
        )
    )


@periodic("send-closing-receipts", every=timedelta(minutes=5), needs={"gateway": extension("payment_gateway")})
def send_closing_receipts(session: Session, now: datetime, *, gateway: PaymentGateway | None) -> str:
    """Closing receipts of handed-over orders not sent yet, or sent without an answer: send (again, same key)."""
    if gateway is None:
        return "no gateway"
    outcomes = []
    for payment in closing_receipts_due(session):
        outcome = send_closing_receipt(session, gateway, payment)
        logger.info("closing receipt of payment attempt %s: %s", payment.id, outcome)
        outcomes.append(outcome)
    return f"checked {len(outcomes)}"


def send_on_handover(sender: object, **fields: Any) -> None:
    """``order_status_changed`` receiver: the goods were handed over, send the closing receipt now (the job retries)."""
    if fields.get("to_status") not in HANDED_OVER:
        return
    gateway = current_app.extensions.get("payment_gateway")
    if gateway is None:
        return
    from storefront.extensions import db

    with Session(db.engine) as session:
        try:
            for payment in session.scalars(
                select(Payment).where(
                    Payment.order_id == fields["order_id"],
                    Payment.status == AttemptStatus.SUCCEEDED,
                    Payment.needs_review.is_(None),
                )
            ):
                logger.info(
                    "closing receipt of order %s: %s",
                    fields.get("number"),
                    send_closing_receipt(session, gateway, payment),
                )
        except Exception:  # the handover is committed; the periodic job sends what this missed
            logger.exception("closing receipt of order %s failed", fields.get("number"))

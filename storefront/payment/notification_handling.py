"""Handling a YooKassa notification: store it once (repeats counted), re-fetch its object by id through
the API and act on the fetched state only (``attempts.apply_payment_status``, ``refunds.apply_refund_status``).
Parsing the body is ``notifications.py``. Like ``attempts`` it commits itself, the documented payment exception
to "use cases flush, the caller commits" (``storefront.db``): the stored notification and each state are committed
before the next gateway call."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.db import utcnow
from storefront.payment.attempts import PaymentPolicy, apply_payment_status
from storefront.payment.errors import GatewayObjectNotFound
from storefront.payment.gateway import PaymentGateway
from storefront.payment.models import PaymentNotification
from storefront.payment.notifications import (
    PAYMENT_CANCELED,
    PAYMENT_SUCCEEDED,
    PAYMENT_WAITING_FOR_CAPTURE,
    REFUND_SUCCEEDED,
    Notification,
)
from storefront.payment.outcomes import PaymentOutcome, PaymentOutcomeKind, RefundOutcome
from storefront.payment.refunds import apply_refund_status


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
) -> PaymentOutcome | RefundOutcome:
    """Store the notification, re-fetch its object by id and act on the fetched object only.

    Raises ``OutcomeUnknown`` when the re-fetch got no answer (the view answers 503 so YooKassa
    delivers it again; the periodic re-check covers it too)."""
    stored = record_notification(session, notification, source_ip)
    outcome = _handle(session, gateway, notification, policy)
    session.execute(update(PaymentNotification).where(PaymentNotification.id == stored.id).values(outcome=str(outcome)))
    session.commit()
    return outcome


def _handle(
    session: Session, gateway: PaymentGateway, notification: Notification, policy: PaymentPolicy
) -> PaymentOutcome | RefundOutcome:
    if notification.event in (PAYMENT_SUCCEEDED, PAYMENT_CANCELED, PAYMENT_WAITING_FOR_CAPTURE):
        try:
            result = gateway.get_payment(notification.object_id)
        except GatewayObjectNotFound:
            return PaymentOutcome(PaymentOutcomeKind.NOT_AT_GATEWAY)
        return apply_payment_status(session, gateway, result, policy)
    if notification.event == REFUND_SUCCEEDED:
        try:
            refund = gateway.get_refund(notification.object_id)
        except GatewayObjectNotFound:
            return RefundOutcome.NOT_AT_GATEWAY
        return apply_refund_status(session, refund)
    return PaymentOutcome(PaymentOutcomeKind.IGNORED_EVENT)

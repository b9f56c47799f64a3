"""The periodic re-checks of open payment attempts (a lost notification, a create without an answer) and of open
refunds (pending at YooKassa, or sent without an answer).

It commits per attempt, the documented payment exception to "use cases flush, the caller commits" (``storefront.db``):
each attempt's state is committed before the next gateway call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storefront.db import utcnow
from storefront.jobs import extension, periodic
from storefront.order.models import Order
from storefront.payment.attempts import PaymentPolicy, refresh_payment
from storefront.payment.errors import GatewayError, RefundError
from storefront.payment.gateway import PaymentGateway
from storefront.payment.models import OPEN_STATUSES, Payment, Refund, RefundState
from storefront.payment.outcomes import RefundOutcome
from storefront.payment.refunds import apply_refund_status, resend_refund

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecheckResult:
    """One run of the re-check: how many open attempts were asked about (none without a gateway)."""

    checked: int = 0
    no_gateway: bool = False

    def __str__(self) -> str:
        return "no gateway" if self.no_gateway else f"checked {self.checked}"


#: Attempts younger than this are left to the buyer's own return and the notifications.
RECHECK_AFTER = timedelta(minutes=2)


def open_attempts_due(session: Session, now: datetime, limit: int = 100) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.status.in_([s.value for s in OPEN_STATUSES]), Payment.updated_at <= now - RECHECK_AFTER)
            .order_by(Payment.updated_at)
            .limit(limit)
        )
    )


@periodic(
    "recheck-open-payments",
    every=timedelta(minutes=5),
    needs={"gateway": extension("payment_gateway"), "policy": extension("payment_policy")},
)
def recheck_open_payments(
    session: Session, now: datetime, *, gateway: PaymentGateway | None, policy: PaymentPolicy
) -> RecheckResult:
    """Payments stuck pending/unknown/held (a lost notification, a create without an answer): ask again."""
    if gateway is None:
        return RecheckResult(no_gateway=True)
    checked = 0
    for payment in open_attempts_due(session, now):
        outcome = refresh_payment(session, gateway, payment, policy)
        logger.info("recheck payment attempt %s: %s", payment.id, outcome)
        # Touch it so a payment that stays pending is asked again only after RECHECK_AFTER.
        session.execute(update(Payment).where(Payment.id == payment.id).values(updated_at=utcnow()))
        session.commit()
        checked += 1
    return RecheckResult(checked=checked)


def open_refunds_due(session: Session, now: datetime, limit: int = 100) -> list[Refund]:
    return list(
        session.scalars(
            select(Refund)
            .where(
                Refund.status.in_([RefundState.UNKNOWN.value, RefundState.PENDING.value]),
                Refund.updated_at <= now - RECHECK_AFTER,
            )
            .order_by(Refund.updated_at)
            .limit(limit)
        )
    )


def recheck_refund(session: Session, gateway: PaymentGateway, refund: Refund) -> RefundOutcome | str:
    """Settle one open refund: an unanswered one is sent again with its own key, a pending one is fetched by id.

    The API ends a pending refund ``succeeded`` (with a ``refund.succeeded`` notification) or ``canceled`` (with no
    notification at all), so this is how a canceled refund is learnt and its amount released.
    """
    if refund.yookassa_refund_id is None:
        order = session.get(Order, refund.order_id)
        assert order is not None
        try:
            resend_refund(session, gateway, refund, order)
        except RefundError as error:
            session.rollback()
            return f"resent: {error.code}"
        session.refresh(refund)
        return f"resent: {refund.status}"
    try:
        result = gateway.get_refund(refund.yookassa_refund_id)
    except GatewayError as error:
        session.rollback()
        return f"fetch failed: {error}"
    return apply_refund_status(session, result)


@periodic("recheck-open-refunds", every=timedelta(minutes=5), needs={"gateway": extension("payment_gateway")})
def recheck_open_refunds(session: Session, now: datetime, *, gateway: PaymentGateway | None) -> RecheckResult:
    """Refunds still pending at YooKassa or without an answer: ask again until they succeed or are canceled."""
    if gateway is None:
        return RecheckResult(no_gateway=True)
    checked = 0
    for refund in open_refunds_due(session, now):
        outcome = recheck_refund(session, gateway, refund)
        logger.info("recheck refund %s: %s", refund.id, outcome)
        # Touch a refund that stays open so it is asked again only after RECHECK_AFTER.
        session.execute(
            update(Refund)
            .where(Refund.id == refund.id, Refund.status.in_([RefundState.UNKNOWN.value, RefundState.PENDING.value]))
            .values(updated_at=utcnow())
        )
        session.commit()
        checked += 1
    return RecheckResult(checked=checked)

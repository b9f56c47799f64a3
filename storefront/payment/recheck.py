"""The periodic re-check of open payment attempts (a lost notification, a create without an answer).

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
from storefront.payment.attempts import PaymentPolicy, refresh_payment
from storefront.payment.gateway import PaymentGateway
from storefront.payment.models import OPEN_STATUSES, Payment

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

"""The checkout's side of paying: after placement the buyer lands on ``payment.pay``, which asks
the configured starter where to send them. The YooKassa integration provides a starter built on
``gateway.PaymentGateway``; until then orders simply wait for payment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from storefront.order.models import Order


@dataclass(frozen=True)
class PaymentStart:
    """Where to send the buyer to pay (YooKassa's confirmation_url), or None to stay on our page."""

    redirect_url: str | None


class PaymentStarter(Protocol):
    def start_payment(self, session: Session, order: Order, return_url: str) -> PaymentStart:
        """Create (or reuse) a payment attempt for the order."""
        ...


class NoOnlinePayment:
    """Until online payment exists: the order waits for payment and the page says so."""

    def start_payment(self, session: Session, order: Order, return_url: str) -> PaymentStart:
        return PaymentStart(redirect_url=None)

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
    #: Whether the buyer can pay online (and so chooses between card and SBP on the pay page).
    online: bool

    def start_payment(self, session: Session, order: Order, return_url: str, method: str = "bank_card") -> PaymentStart:
        """Create (or reuse) a payment attempt for the order, by ``method`` (``bank_card`` or ``sbp``)."""
        ...


class NoOnlinePayment:
    """Until online payment exists: the order waits for payment and the page says so."""

    online = False

    def start_payment(self, session: Session, order: Order, return_url: str, method: str = "bank_card") -> PaymentStart:
        return PaymentStart(redirect_url=None)


class YooKassaStarter:
    """The pay step through a ``PaymentGateway`` (YooKassa): reuse or create an attempt, send the
    buyer to its confirmation page. Raises ``errors.PaymentError`` subclasses for the view."""

    online = True

    def __init__(self, gateway: object, policy: object) -> None:
        self.gateway = gateway
        self.policy = policy

    def start_payment(self, session: Session, order: Order, return_url: str, method: str = "bank_card") -> PaymentStart:
        from storefront.payment.attempts import start_payment
        from storefront.payment.models import AttemptStatus, YooKassaMethod

        payment = start_payment(
            session,
            self.gateway,  # type: ignore[arg-type]
            order,
            return_url,
            self.policy,  # type: ignore[arg-type]
            YooKassaMethod(method),
        )
        if payment.status == AttemptStatus.PENDING and payment.confirmation_url:
            return PaymentStart(payment.confirmation_url)
        # Held, paid or declined at once: the order page tells the buyer which.
        return PaymentStart(return_url)

"""The refund that goes with canceling a paid order: everything still paid, returned once.

The cancel itself is ``storefront.order.services.change_status`` (one conditional UPDATE: of two staff members
canceling at once, one wins). The refund's idempotence key comes from the cancel, not from a form: it is the same
for every request and every retry (the staff page's «Повторить возврат», ``flask payment refund``), so however many
times it is asked for, YooKassa and our ``refunds`` table (the key is unique) see one refund.
Like ``refund_order`` this commits itself (the key is committed before the gateway call).
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storefront.order.models import MONEY_IN, Order, OrderStatus
from storefront.payment.gateway import PaymentGateway
from storefront.payment.models import Refund, RefundState
from storefront.payment.refunds import refund_order


def cancel_refund_key(order_id: int) -> str:
    """The one idempotence key of a canceled order's refund."""
    return f"order-{order_id}-cancel"


def _cancel_refunds(session: Session, order_id: int) -> list[Refund]:
    """The refunds made for the order's cancel, oldest first: the first has the cancel's key; one the payment
    service declined (pending, then ``canceled``) is followed by one with the key ``…-2``, ``…-3``."""
    base = cancel_refund_key(order_id)
    return list(
        session.scalars(
            select(Refund)
            .where(
                Refund.order_id == order_id,
                or_(Refund.idempotence_key == base, Refund.idempotence_key.like(f"{base}-%")),
            )
            .order_by(Refund.id)
        )
    )


def cancel_refund(session: Session, order_id: int) -> Refund | None:
    """The latest refund made for the order's cancel, if one was started."""
    made = _cancel_refunds(session, order_id)
    return made[-1] if made else None


def refund_is_due(order: Order) -> bool:
    """A canceled order still holds the buyer's money (wholly or in part): it must go back."""
    return order.status == OrderStatus.CANCELED and order.payment_status in MONEY_IN


def refund_canceled_order(session: Session, gateway: PaymentGateway, order: Order) -> Refund | None:
    """Refund all that is left of a canceled order's payment (with the 54-FZ refund receipt ``refund_order``
    builds), or return the refund an earlier call made (sent again with its key if its outcome is unknown).

    None when nothing is due (not canceled, or the money was never in). Raises ``RefundError`` like
    ``refund_order`` (``UNKNOWN``: the gateway did not answer; the refund stays to be repeated with its key).
    """
    if order.status != OrderStatus.CANCELED:
        return None
    made = _cancel_refunds(session, order.id)
    if not made and order.payment_status not in MONEY_IN:
        return None
    key = made[-1].idempotence_key if made else cancel_refund_key(order.id)  # the latest, repeated with its key
    if made and made[-1].status == RefundState.CANCELED and order.payment_status in MONEY_IN:
        # Declined by the payment service after it was accepted: the money is still due, with a new key.
        key = f"{cancel_refund_key(order.id)}-{len(made) + 1}"
    return refund_order(session, gateway, order, None, idempotence_key=key)

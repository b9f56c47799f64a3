"""Orders ready to ship and the carriers, for the fulfilment tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.db import utcnow
from storefront.fulfilment.models import Carrier
from storefront.fulfilment.services import seed_carriers
from storefront.order.models import Order, OrderStatus, PaymentStatus
from tests.support.factories import make_order

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=utcnow().tzinfo)


def carrier(session: Session, code: str) -> Carrier:
    seed_carriers(session)
    found = session.scalar(select(Carrier).where(Carrier.code == code))
    assert found is not None
    return found


def confirmed_order(
    session: Session,
    quantities: Sequence[int] = (2, 3),
    status: OrderStatus = OrderStatus.CONFIRMED,
    email: str = "anna@example.ru",
) -> Order:
    """A paid order, confirmed by the supplier, with one line per quantity."""
    lines = [(f"Товар {n + 1}", quantity, Decimal("100.00")) for n, quantity in enumerate(quantities)]
    order = make_order(session, lines, email=email)
    order.status, order.payment_status = status, PaymentStatus.PAID
    session.flush()
    return order

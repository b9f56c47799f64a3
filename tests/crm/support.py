"""Helpers for CRM tests: staff users, signing in through the real form, paid orders built directly."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from crm.reorder.services import ReorderPolicy, update_buyer_stats
from crm.staff.services import create_staff
from storefront.db import utcnow
from storefront.order.models import Order, OrderStatus
from storefront.payment.models import AttemptStatus, Payment, Refund, RefundState
from tests.web.shop_helpers import CSRF_RE

PASSWORD = "staff password 123"


def make_staff(session: Session, role: str, email: str | None = None):
    return create_staff(session, email=email or f"{role}@mostik.local", role=role, password=PASSWORD)


def crm_csrf(client: FlaskClient, path: str = "/crm/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def crm_login(client: FlaskClient, email: str, password: str = PASSWORD):
    return client.post("/crm/login", data={"csrf_token": crm_csrf(client), "email": email, "password": password})


def order_row(buyer_id: int, status: OrderStatus, amount: Decimal, paid_at: datetime | None) -> Order:
    """An unsaved order of ``buyer_id`` for ``amount`` (no lines, no payment), shipped to St Petersburg."""
    return Order(
        placement_token=secrets.token_hex(16),
        buyer_id=buyer_id,
        status=status,
        email="buyer@example.ru",
        phone="+79161234567",
        contact_name="Иван Петров",
        region_code="78",
        city="Санкт-Петербург",
        postcode="191186",
        street="Невский пр., д. 1",
        recipient="Иван Петров",
        recipient_phone="+79161234567",
        shipping_method_name="СДЭК",
        shipping_min_days=8,
        shipping_max_days=12,
        subtotal_amount=amount,
        tier_discount_amount=Decimal("0"),
        promo_discount_amount=Decimal("0"),
        shipping_amount=Decimal("0"),
        total_amount=amount,
        vat_amount=Decimal("0"),
        paid_at=paid_at,
    )


def paid_order(
    session: Session, buyer_id: int, amount: Decimal | str, paid_at: datetime | None = None, refunded: str | None = None
) -> Order:
    """An order of ``buyer_id`` paid by one succeeded payment at ``paid_at`` (optionally partly refunded), with the
    buyer's reorder statistics updated as the payment and refund events update them."""
    paid_at = paid_at or utcnow()
    amount = Decimal(amount)
    order = order_row(buyer_id, OrderStatus.PAID, amount, paid_at)
    session.add(order)
    session.flush()
    order.number = f"MK-2026-{order.id:06d}"
    payment = Payment(
        order_id=order.id,
        idempotence_key=secrets.token_hex(16),
        status=AttemptStatus.SUCCEEDED,
        amount=amount,
        description=f"Заказ {order.number}",
        return_url="http://127.0.0.1/",
        succeeded_at=paid_at,
    )
    session.add(payment)
    session.flush()
    if refunded is not None:
        session.add(
            Refund(
                payment_id=payment.id,
                order_id=order.id,
                idempotence_key=secrets.token_hex(16),
                status=RefundState.SUCCEEDED,
                amount=Decimal(refunded),
            )
        )
    session.commit()
    if buyer_id is not None:
        update_buyer_stats(session, buyer_id, policy=ReorderPolicy())
    return order


def days_ago(days: float, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=days)

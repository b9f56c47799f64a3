"""Builders for the closing-document tests: a company's order walked to «delivered» through the real use cases."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from io import BytesIO

from pypdf import PdfReader
from sqlalchemy.orm import Session

from storefront.order.models import Order, OrderStatus, PaymentStatus
from storefront.order.services import change_payment_status, change_status
from tests.support.factories import make_order

LINES = (
    ("Чехол для iPhone 15, силикон, чёрный", 120, Decimal("299.90")),
    ("Кабель USB-C 1 м", 37, Decimal("149.00")),
    ("Зарядное устройство 20 Вт", 3, Decimal("1099.99")),
)


def company_order(
    session: Session,
    *,
    buyer_id: int | None = None,
    company: bool = True,
    discount: Decimal = Decimal("777.77"),
    shipping: Decimal = Decimal("1450.00"),
    email: str = "buh@romashka.ru",
) -> Order:
    order = make_order(session, LINES, discount=discount, shipping=shipping, email=email)
    order.buyer_id = buyer_id
    if company:
        order.buyer_kind = "company"
        order.company_name = "ООО «Ромашка»"
        order.inn = "7707083893"
        order.kpp = "770701001"
        order.legal_address = "125009, Москва, ул. Тверская, д. 1"
    session.flush()
    return order


def pay(session: Session, order: Order, when: datetime, reference: str = "PP-1042") -> None:
    change_payment_status(session, order, PaymentStatus.PAID, reference=reference, amount=order.total_amount, now=when)


def deliver(session: Session, order: Order, when: datetime) -> None:
    """Paid → confirmed → shipped → delivered (the last step issues the УПД of a company)."""
    if order.payment_status == PaymentStatus.UNPAID:
        pay(session, order, when)
    for step in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        change_status(session, order, step, now=when)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as an accountant's software extracts it, with every kind of space made plain."""
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    return text.replace("\xa0", " ").replace("\u202f", " ")


def plain(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")

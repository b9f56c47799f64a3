"""The builders of test data, storefront and CRM: the one place tests make rows.

Every builder takes the session, adds and ``flush()``es, and returns the object; none commits (the services
they go through flush too: the entry point commits). A test whose data must be seen by another connection (the
test client's requests, a live server thread, a CLI runner, racing threads on PostgreSQL) calls
``session.commit()`` itself.
"""

from __future__ import annotations

import dataclasses
import itertools
import secrets
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from crm.campaigns.models import Campaign
from crm.campaigns.sender_settings import SenderSettings
from crm.campaigns.services import CampaignData, save_campaign
from crm.reorder.services import ReorderPolicy, update_buyer_stats
from crm.segments.models import Segment
from crm.staff.services import create_staff
from storefront.account.models import Buyer, BuyerKind, Consent, ConsentKind
from storefront.account.services import hash_password
from storefront.catalog.models import Category, Product, ProductStatus, Supplier
from storefront.catalog.services import set_price_breaks
from storefront.config import SETTINGS
from storefront.db import utcnow
from storefront.fx.cbr import RateQuote, RateSheet
from storefront.fx.services import store_rates
from storefront.order.models import Order, OrderLine, OrderStatus, PaymentStatus
from storefront.order.totals import compute_totals
from storefront.payment.models import AttemptStatus, Payment, Refund, RefundState
from storefront.shipping.services import seed_shipping_methods
from storefront.slugs import make_slug

_sequence = itertools.count(1)

#: The reorder policy of an app with default settings (the defaults are declared once, in storefront.config).
REORDER_POLICY = ReorderPolicy.from_config({setting.key: setting.default for setting in SETTINGS})


def load_rates(session: Session, usd: str = "80.0000", cny: str = "11.0000", on: date | None = None) -> None:
    quotes = {
        code: RateQuote(code, 1, Decimal(value), Decimal(value), None, None, None)
        for code, value in (("USD", usd), ("CNY", cny))
    }
    store_rates(session, RateSheet(on or date(2026, 11, 25), quotes), "test")


def create_category(
    session: Session, name: str = "Обувь", parent: Category | None = None, **fields: object
) -> Category:
    number = next(_sequence)
    category = Category(
        name=name,
        slug=fields.pop("slug", None) or f"{make_slug(name)}-{number}",
        parent=parent,
        position=number,
        **fields,
    )
    session.add(category)
    session.flush()
    return category


def create_supplier(session: Session, city: str = "Гуанчжоу", **fields: object) -> Supplier:
    number = next(_sequence)
    supplier = Supplier(name=fields.pop("name", f"Фабрика №{number}"), slug=f"supplier-{number}", city=city, **fields)
    session.add(supplier)
    session.flush()
    return supplier


def create_product(
    session: Session,
    category: Category,
    supplier: Supplier,
    title: str = "Кроссовки мужские беговые",
    breaks: Sequence[tuple[int, str]] = ((1, "10.00"), (10, "9.00"), (50, "8.00")),
    currency: str = "USD",
    **fields: object,
) -> Product:
    number = next(_sequence)
    product = Product(
        category=category,
        supplier=supplier,
        sku=fields.pop("sku", f"T-{number:07d}"),
        title=title,
        slug=make_slug(title),
        currency=currency,
        source_price_from=Decimal("0.01"),
        moq=fields.pop("moq", 1),
        stock=fields.pop("stock", 100),
        status=fields.pop("status", ProductStatus.ACTIVE),
        published_at=fields.pop("published_at", utcnow() - timedelta(days=number)),
        **fields,
    )
    session.add(product)
    session.flush()
    set_price_breaks(session, product, [(quantity, Decimal(price)) for quantity, price in breaks])
    return product


def create_buyer(
    session: Session,
    email: str = "buyer@example.ru",
    password: str = "correct horse battery",
    company: bool = False,
    **fields: object,
) -> Buyer:
    buyer = Buyer(
        email=email,
        password_hash=hash_password(password),
        name=fields.pop("name", "Иван Петров"),
        phone=fields.pop("phone", "+79161234567"),
        **fields,
    )
    if company:
        buyer.kind = BuyerKind.COMPANY
        buyer.company_name = "ООО «Ромашка»"
        buyer.inn = "7707083893"
        buyer.kpp = "770701001"
        buyer.legal_address = "125009, Москва, ул. Тверская, д. 1"
    session.add(buyer)
    session.flush()
    buyer.consents.append(
        Consent(
            email=email,
            kind=ConsentKind.PERSONAL_DATA,
            text_version="pd-2026-11",
            granted_at=utcnow(),
            source_page="/account/register",
        )
    )
    session.flush()
    return buyer


def create_shop(session: Session, stock: int = 100, moq: int = 1, weight_grams: int = 500) -> Product:
    """Rates, the seeded carriers, and one product (USD breaks 10/9/8 from 1/10/50 pcs) ready to order."""
    load_rates(session)
    seed_shipping_methods(session)
    category, supplier = create_category(session), create_supplier(session)
    return create_product(session, category, supplier, stock=stock, moq=moq, weight_grams=weight_grams)


def make_order(
    session: Session,
    lines: Sequence[tuple[str, int, Decimal]] = (("Кроссовки мужские беговые", 2, Decimal("1999.90")),),
    *,
    discount: Decimal = Decimal("0.00"),
    shipping: Decimal = Decimal("450.00"),
    email: str = "anna@example.ru",
) -> Order:
    """An order awaiting payment, built directly (the checkout is tested elsewhere)."""
    amounts = [price * quantity for _title, quantity, price in lines]
    totals = compute_totals(amounts, promo_fixed=discount, shipping=shipping)
    now = utcnow()
    order = Order(
        placement_token=secrets.token_hex(16),
        status=OrderStatus.NEW,
        payment_status=PaymentStatus.UNPAID,
        email=email,
        phone="+79161234567",
        contact_name="Анна Смирнова",
        region_code="78",
        city="Санкт-Петербург",
        postcode="191186",
        street="Невский пр., д. 1",
        recipient="Анна Смирнова",
        recipient_phone="+79161234567",
        shipping_method_name="СДЭК до пункта выдачи",
        shipping_min_days=8,
        shipping_max_days=12,
        subtotal_amount=totals.subtotal,
        tier_discount_amount=totals.tier_discount,
        promo_discount_amount=totals.promo_discount,
        shipping_amount=totals.shipping,
        total_amount=totals.total,
        vat_amount=totals.vat,
        expires_at=now + timedelta(hours=24),
        lines=[
            OrderLine(
                sku=f"SKU-{index}",
                title=title,
                quantity=quantity,
                unit_price=price,
                line_amount=price * quantity,
                commission_bp=1000,
            )
            for index, (title, quantity, price) in enumerate(lines)
        ],
    )
    session.add(order)
    session.flush()
    order.number = f"MK-{now.year}-{order.id:06d}"
    session.flush()
    return order


PASSWORD = "staff password 123"


def make_staff(session: Session, role: str, email: str | None = None):
    return create_staff(session, email=email or f"{role}@mostik.local", role=role, password=PASSWORD)


def order_row(
    buyer_id: int,
    status: OrderStatus,
    amount: Decimal,
    paid_at: datetime | None,
    payment_status: PaymentStatus = PaymentStatus.PAID,
) -> Order:
    """An unsaved order of ``buyer_id`` for ``amount`` (no lines, no payment), shipped to St Petersburg."""
    return Order(
        placement_token=secrets.token_hex(16),
        buyer_id=buyer_id,
        status=status,
        payment_status=payment_status,
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
    order = order_row(buyer_id, OrderStatus.NEW, amount, paid_at)
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
    session.flush()
    if buyer_id is not None:
        update_buyer_stats(session, buyer_id, policy=REORDER_POLICY)
    return order


def days_ago(days: float, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=days)


BODY_HTML = (
    "<p>Здравствуйте, {{ buyer.first_name }}!</p>"
    '<p>Новая коллекция: <a href="https://shop.example.ru/catalog/obuv?sort=new">смотреть</a>.</p>'
    "<p>Ваш промокод: {{ promo_code }}</p>"
)
BODY_TEXT = "Здравствуйте, {{ buyer.first_name }}!\nНовая коллекция: https://shop.example.ru/catalog/obuv?sort=new\n"


def create_recipient(
    session: Session,
    email: str,
    name: str = "Анна Смирнова",
    marketing: bool = True,
    confirmed: bool = True,
    **fields: Any,
) -> Buyer:
    """A buyer (no password: tests never sign in as them) with or without a marketing consent (confirmed from the
    address unless ``confirmed=False``)."""
    created = Buyer(email=email, name=name, **fields)
    session.add(created)
    session.flush()
    if marketing:
        session.add(
            Consent(
                buyer_id=created.id,
                email=email,
                kind=ConsentKind.MARKETING,
                text_version="mk-2026-11",
                granted_at=utcnow(),
                source_page="/account/register",
                confirmed_at=utcnow() if confirmed else None,  # double opt-in: only a confirmed one counts
            )
        )
    session.flush()
    return created


def create_segment(session: Session, name: str = "Все покупатели") -> Segment:
    created = Segment(name=name, definition={"op": "and", "conditions": []})
    session.add(created)
    session.flush()
    return created


def create_campaign(session: Session, **overrides: Any) -> Campaign:
    seg = overrides.pop("segment", None) or create_segment(session)
    fields: dict[str, Any] = {
        "name": "Осенняя распродажа",
        "segment_id": seg.id,
        "subject": "{{ buyer.first_name }}, скидки на обувь",
        "body_html": BODY_HTML,
        "body_text": BODY_TEXT,
        **overrides,
    }
    return save_campaign(session, None, CampaignData(**fields), None)


def sender_settings(app: Flask, **overrides: Any) -> SenderSettings:
    with app.app_context():
        base = SenderSettings.from_config(app.config)
    return dataclasses.replace(base, rate_per_second=0, **overrides)


def shipment_in_a_batch(session: Session, order: Order) -> tuple[Any, Any]:
    """A shipment of ``order`` in a cargo batch with one leg (for the fulfilment routes)."""
    from sqlalchemy import select

    from storefront.fulfilment.models import Carrier, LegMode, Shipment
    from storefront.fulfilment.services import add_leg, add_to_batch, create_batch, seed_carriers

    seed_carriers(session)
    cdek = session.scalars(select(Carrier).where(Carrier.code == "cdek")).one()
    shipment = Shipment(order_id=order.id, carrier_id=cdek.id, tracking_number="1234567890", shipped_at=utcnow())
    session.add(shipment)
    batch = create_batch(session)
    add_leg(session, batch, "Харбин", "Забайкальск", LegMode.RAIL)
    add_to_batch(session, batch, [shipment])
    session.flush()
    return shipment, batch


def png_bytes(width: int = 64, height: int = 48, color: str = "red") -> bytes:
    """A small real PNG."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def dispute_with_photo(session: Session, order: Order, media_root: str) -> Any:
    """An open inspection dispute on ``order`` (about its first line) with one stored photo, built directly (the
    opening rules are tested in tests/storefront/protection)."""
    from pathlib import Path

    from storefront.protection.models import Dispute, DisputeLine
    from storefront.protection.photos import check_photo, write_photo
    from storefront.protection.services import append_message

    photo = check_photo(png_bytes(), 10_000_000, 40_000_000)
    write_photo(Path(media_root), photo)
    now = utcnow()
    dispute = Dispute(
        order_id=order.id,
        kind="inspection",
        reason="defect",
        description="Треснул корпус",
        opened_at=now,
        answer_due_at=now + timedelta(days=5),
    )
    if order.lines:
        dispute.lines.append(DisputeLine(order_line_id=order.lines[0].id, quantity=1))
    append_message(dispute, "Треснул корпус", [photo], now, author_name=order.contact_name)
    order.under_dispute = True
    session.add(dispute)
    session.flush()
    return dispute, photo.file_name


def pay_through_standin(session: Session, pay_app: Flask, pay: Callable[[str], object], order: Order) -> Order:
    """``order`` paid for real: a payment started through the SDK, paid at the YooKassa stand-in with ``pay`` (the
    stand-in's or its control client's), and its state applied as the return page would."""
    from storefront.payment.attempts import PaymentPolicy, apply_payment_status, start_payment

    gateway = pay_app.extensions["payment_gateway"]
    session.commit()
    payment = start_payment(session, gateway, order, pay_app.config["PUBLIC_BASE_URL"] + "/orders/x", PaymentPolicy())
    pay(payment.yookassa_payment_id or "")
    with pay_app.app_context():  # a buyer's paid order reaches the CRM's receivers, which use the app's engine
        apply_payment_status(session, gateway, gateway.get_payment(payment.yookassa_payment_id), PaymentPolicy())
    session.expire_all()
    paid = session.get(Order, order.id)
    assert paid is not None
    return paid


def company_upd(session: Session) -> Any:
    """A company's order walked to «delivered» with its УПД (for the document routes). Commits."""
    from storefront.documents.upd import upd_for_order
    from storefront.order.services import change_payment_status, change_status

    order = make_order(session, email="buh@romashka.ru")
    order.buyer_kind, order.company_name, order.inn, order.kpp = "company", "ООО «Ромашка»", "7707083893", "770701001"
    session.flush()
    change_payment_status(session, order, PaymentStatus.PAID, reference="PP-1", amount=order.total_amount)
    for step in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        change_status(session, order, step)
    session.commit()
    return upd_for_order(session, order.id)

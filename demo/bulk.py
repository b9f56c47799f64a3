"""Bulk data for the benchmarks at 100,000s of buyers and millions of orders (Core bulk inserts, ids from 1,
deterministic for a given size and seed apart from the idempotence keys and ``now``).

``fill_buyers_and_orders`` is the data of ``bench.tiers``, ``bench.reorder`` and ``bench.buyer_list``;
``bench.segments`` adds ``fill_segment_data``. The demo CRM for ``make run`` is ``demo.buyers`` (realistic, through
the domain services, up to 20,000 buyers); this module is the fast, plain one.
"""

from __future__ import annotations

import random
import secrets
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import case, insert, select, update
from sqlalchemy.orm import Session

from crm.buyers.models import BuyerProfile
from crm.staff.models import Role, StaffUser
from demo import load_data
from storefront.account.models import Address, Buyer, Consent, Tier
from storefront.catalog.models import Category, Product, Supplier
from storefront.db import utcnow
from storefront.order.models import Order, OrderLine
from storefront.payment.models import Payment, Refund

#: Region code → the city of the buyers' main addresses (``demo/data/bulk.json``).
CITIES: dict[str, str] = load_data("bulk.json")["regions"]
REGIONS = tuple(CITIES)

BATCH = 10_000


def fill_buyers_and_orders(session: Session, buyers: int, orders: int, seed: int = 6) -> None:
    """``buyers`` buyers and ``orders`` paid orders (one succeeded payment each, 5 % partly refunded) over the last
    500 days, ids from 1, with Core bulk inserts; commits. ANALYZE on PostgreSQL."""
    rng = random.Random(seed)
    now = utcnow()
    for start in range(0, buyers, BATCH):
        session.execute(
            insert(Buyer),
            [
                {"id": i + 1, "email": f"b{i + 1}@bench.local", "name": f"Покупатель {i + 1}"}
                for i in range(start, min(start + BATCH, buyers))
            ],
        )
    for start in range(0, orders, BATCH):
        order_rows, payment_rows, refund_rows = [], [], []
        for i in range(start, min(start + BATCH, orders)):
            order_id = i + 1
            amount = Decimal(rng.randint(50_000, 80_000_000)) / 100
            age_days = rng.random() * 500
            paid_at = now - timedelta(days=age_days)
            refunded = rng.random() < 0.05
            order_rows.append(
                {
                    "id": order_id, "number": f"MK-B-{order_id:07d}", "placement_token": secrets.token_hex(8),
                    "buyer_id": rng.randint(1, buyers), "status": _status_at_age(age_days),
                    "payment_status": "partially_refunded" if refunded else "paid", "email": "b@bench.local",
                    "phone": "+79161234567", "contact_name": "Покупатель", "region_code": "78", "city": "СПб",
                    "postcode": "191186", "street": "Невский, 1", "recipient": "Покупатель",
                    "recipient_phone": "+79161234567", "shipping_method_name": "СДЭК", "shipping_min_days": 8,
                    "shipping_max_days": 12, "subtotal_amount": amount, "tier_discount_amount": Decimal(0),
                    "promo_discount_amount": Decimal(0), "shipping_amount": Decimal(0), "total_amount": amount,
                    "vat_amount": Decimal(0), "paid_at": paid_at,
                }
            )  # fmt: skip
            payment_rows.append(
                {
                    "id": order_id, "order_id": order_id, "idempotence_key": secrets.token_hex(8),
                    "status": "succeeded", "amount": amount, "description": "bench", "return_url": "/",
                    "succeeded_at": paid_at,
                }
            )  # fmt: skip
            if refunded:
                refund_rows.append(
                    {
                        "payment_id": order_id, "order_id": order_id, "idempotence_key": secrets.token_hex(8),
                        "status": "succeeded", "amount": (amount / 3).quantize(Decimal("0.01")),
                    }
                )  # fmt: skip
        session.execute(insert(Order), order_rows)
        session.execute(insert(Payment), payment_rows)
        if refund_rows:
            session.execute(insert(Refund), refund_rows)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("ANALYZE"))
        session.commit()


def _status_at_age(days: float) -> str:
    """Where a paid order's goods are after ``days``: recent orders still wait on the order desk."""
    for limit, status in ((1, "new"), (2, "confirmed"), (3, "packed"), (16, "shipped"), (26, "delivered")):
        if days < limit:
            return status
    return "completed"


def fill_segment_data(session: Session, buyers: int, orders: int, seed: int = 8) -> None:
    """What segments read beyond ``fill_buyers_and_orders``' buyers, orders and payments: a main address per buyer,
    marketing consents, tiers, managers, first-touch UTM, one order line per order in a small category tree.
    Commits."""
    rng = random.Random(seed)
    now = utcnow()
    supplier = Supplier(name="Фабрика", slug="bench-supplier", city="Гуанчжоу")
    session.add(supplier)
    roots = [Category(id=n + 1, name=name, slug=f"bench-{n + 1}", position=n)
             for n, name in enumerate(("Обувь", "Сумки", "Одежда", "Электроника"))]  # fmt: skip
    session.add_all(roots)
    session.flush()
    children = [
        Category(id=10 + n, parent_id=roots[n % 4].id, name=f"Подкатегория {n}", slug=f"bench-sub-{n}", position=n)
        for n in range(12)
    ]
    session.add_all(children)
    session.flush()
    leaves = [c.id for c in roots + children]
    session.execute(
        insert(Product),
        [
            {"id": n + 1, "supplier_id": supplier.id, "category_id": leaves[n % len(leaves)], "sku": f"SEG-{n + 1}",
             "title": f"Товар {n + 1}", "slug": f"tovar-{n + 1}", "currency": "USD", "source_price_from": 10}
            for n in range(200)
        ],
    )  # fmt: skip
    for start in range(0, orders, BATCH):
        session.execute(
            insert(OrderLine),
            [
                {"order_id": i + 1, "product_id": rng.randint(1, 200), "sku": "SEG", "title": "Товар", "quantity": 10,
                 "unit_price": 100, "line_amount": 1000, "commission_bp": 800}
                for i in range(start, min(start + BATCH, orders))
            ],
        )  # fmt: skip
    managers = [
        StaffUser(email=f"manager{n}@bench.local", role=Role.ACCOUNT_MANAGER, name=f"Менеджер {n}", password_hash="x")
        for n in range(5)
    ]
    session.add_all(managers)
    session.flush()
    for start in range(0, buyers, BATCH):
        ids = range(start + 1, min(start + BATCH, buyers) + 1)
        addresses, consents, profiles = [], [], []
        for buyer_id in ids:
            region = rng.choice(REGIONS)
            addresses.append({"buyer_id": buyer_id, "region_code": region, "city": CITIES[region],
                              "postcode": "191186", "street": "ул. Ленина, 1", "recipient": "Получатель",
                              "phone": "+79161234567"})  # fmt: skip
            if rng.random() < 0.6:
                consents.append({"buyer_id": buyer_id, "email": f"b{buyer_id}@bench.local", "kind": "marketing",
                                 "text_version": "mk", "granted_at": now, "source_page": "/",
                                 "withdrawn_at": now if rng.random() < 0.1 else None,
                                 "confirmed_at": now})  # fmt: skip
            if rng.random() < 0.3:
                profiles.append({"buyer_id": buyer_id, "manager_id": rng.choice(managers).id, "spend_12m": 0})
        session.execute(insert(Address), addresses)
        session.execute(insert(Consent), consents)
        if profiles:
            session.execute(insert(BuyerProfile), profiles)
    tier_ids = dict(session.execute(select(Tier.position, Tier.id)).all())
    session.execute(
        update(Buyer).values(
            tier_id=case({n: tier_ids[n] for n in tier_ids}, value=Buyer.id % 7, else_=None),
            kind=case((Buyer.id % 3 == 0, "company"), else_="person"),
            first_utm_source=case({0: "yandex", 1: "google", 2: "vk"}, value=Buyer.id % 6, else_=None),
        )
    )
    session.execute(update(Order).where(Order.id % 50 == 0).values(status="canceled"))
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("ANALYZE"))
        session.commit()

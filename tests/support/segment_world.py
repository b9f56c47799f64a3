"""A small random world of buyers for segment tests, and the Python reference filter the SQL must agree with.

The reference is written from the field semantics in ``crm.segments.fields`` (its docstring), independently of
the SQL: it reads the rows back as Python objects and decides each condition by hand.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from crm.buyers.models import BuyerProfile
from crm.reorder.models import BuyerStats
from crm.reorder.services import recalc_reorders
from crm.staff.models import Role, StaffUser
from crm.tiers.services import seed_tiers, tiers_in_order
from storefront.account.models import Address, Buyer, BuyerKind, Consent, ConsentKind
from storefront.catalog.models import Category, Product
from storefront.money import to_minor
from storefront.order.models import Order, OrderLine, OrderStatus, PaymentStatus
from storefront.payment.models import AttemptStatus, Payment, Refund, RefundState
from tests.support.factories import REORDER_POLICY, create_category, create_product, create_supplier, order_row

MOSCOW = ZoneInfo("Europe/Moscow")
REGIONS = ("77", "78", "50", "47", "66")
CITIES = ("Москва", "Санкт-Петербург", "Пушкин", "Екатеринбург", "Химки")
UTM_SOURCES = ("yandex", "google", "vk", "email")
#: (goods, money) of the random orders.
STATUSES = (
    (OrderStatus.NEW, PaymentStatus.PAID),
    (OrderStatus.COMPLETED, PaymentStatus.PAID),
    (OrderStatus.SHIPPED, PaymentStatus.PAID),
    (OrderStatus.CANCELED, PaymentStatus.PAID),
    (OrderStatus.CANCELED, PaymentStatus.REFUNDED),
    (OrderStatus.DELIVERED, PaymentStatus.PARTIALLY_REFUNDED),
    (OrderStatus.NEW, PaymentStatus.UNPAID),
)


@dataclass
class BuyerFacts:
    id: int
    tier: str | None
    regions: list[str]
    cities: list[str]
    kind: str
    spend_12m: int
    spend_total: int
    order_count: int
    last_paid_at: datetime | None
    categories: set[int]
    manager: int | None
    consent: bool
    created_at: datetime
    utm_source: str | None
    #: ``crm_buyer_stats.status`` after a full recompute (issue 7 tests how it is derived); None without a row.
    reorder_status: str | None = None


@dataclass
class World:
    now: datetime
    facts: list[BuyerFacts]
    tier_codes: list[str]
    manager_ids: list[int]
    #: category id → parent id
    categories: dict[int, int | None]


def build_world(session: Session, seed: int, buyers: int = 40, now: datetime | None = None) -> World:
    """``buyers`` random buyers with addresses, consents, managers and orders (paid, refunded, canceled …) and
    their reorder statistics; flushed, not committed."""
    rng = random.Random(seed)
    now = now or datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    seed_tiers(session)
    tiers = tiers_in_order(session)
    managers = [
        StaffUser(email=f"m{n}-{seed}@mostik.local", role=Role.ACCOUNT_MANAGER, name=f"Менеджер {n}", password_hash="x")
        for n in range(2)
    ]
    session.add_all(managers)
    supplier = create_supplier(session)
    shoes = create_category(session, "Обувь")
    sneakers = create_category(session, "Кроссовки", parent=shoes)
    bags = create_category(session, "Сумки")
    products = [
        create_product(session, category, supplier, title=f"Товар {n}")
        for n, category in enumerate((shoes, sneakers, sneakers, bags))
    ]
    session.flush()
    for n in range(buyers):
        # Registration instants cluster around Moscow midnights, where a UTC date would differ.
        created = now - timedelta(
            days=rng.randint(0, 40), hours=rng.choice((0, 20, 21, 3)), minutes=rng.choice((0, 1, 59))
        )
        buyer = Buyer(
            email=f"seg{seed}-{n}@example.ru",
            name=f"Покупатель {n}",
            phone="+79161234567",
            kind=rng.choice((BuyerKind.PERSON, BuyerKind.COMPANY)),
            tier_id=rng.choice([None, *[tier.id for tier in tiers]]),
            first_utm_source=rng.choice((None, *UTM_SOURCES)),
        )
        buyer.created_at = created
        session.add(buyer)
        session.flush()
        for position in range(rng.choice((0, 1, 1, 2))):
            session.add(
                Address(
                    buyer_id=buyer.id,
                    region_code=rng.choice(REGIONS),
                    city=rng.choice(CITIES),
                    postcode="101000",
                    street="ул. Ленина, 1",
                    recipient="Получатель",
                    phone="+79161234567",
                    position=rng.choice((0, 1, position)),
                )
            )
        consent = rng.choice(("none", "granted", "withdrawn", "pd"))
        if consent != "none":
            kind = ConsentKind.PERSONAL_DATA if consent == "pd" else ConsentKind.MARKETING
            session.add(
                Consent(
                    buyer_id=buyer.id,
                    email=buyer.email,
                    kind=kind,
                    text_version="v1",
                    granted_at=now,
                    source_page="/",
                    withdrawn_at=now if consent == "withdrawn" else None,
                    confirmed_at=now if kind == ConsentKind.MARKETING else None,
                )
            )
        profile = rng.choice(("none", "unassigned", 0, 1))
        if profile != "none":
            manager_id = None if profile == "unassigned" else managers[profile].id
            session.add(BuyerProfile(buyer_id=buyer.id, manager_id=manager_id))
        for _ in range(rng.choice((0, 0, 1, 2, 3))):
            status, money = rng.choice(STATUSES)
            days = rng.choice((rng.randint(0, 900), 364, 365, 366, 0, 1, 30))
            paid_at = None if money == PaymentStatus.UNPAID else now - timedelta(days=days, hours=rng.randint(0, 23))
            amount = Decimal(rng.randint(100, 5_000_000)) / 100
            order = order_row(buyer.id, status, amount, paid_at, money)
            session.add(order)
            session.flush()
            product = rng.choice(products)
            session.add(
                OrderLine(
                    order_id=order.id,
                    product_id=product.id,
                    sku=product.sku,
                    title=product.title,
                    quantity=1,
                    unit_price=amount,
                    line_amount=amount,
                    commission_bp=500,
                )
            )
            if paid_at is None:
                continue
            payment = Payment(
                order_id=order.id,
                idempotence_key=secrets.token_hex(16),
                status=rng.choice((AttemptStatus.SUCCEEDED, AttemptStatus.SUCCEEDED, AttemptStatus.CANCELED)),
                amount=amount,
                description="Заказ",
                return_url="http://127.0.0.1/",
                succeeded_at=paid_at,
            )
            session.add(payment)
            session.flush()
            if rng.random() < 0.4:
                session.add(
                    Refund(
                        payment_id=payment.id,
                        order_id=order.id,
                        idempotence_key=secrets.token_hex(16),
                        status=rng.choice((RefundState.SUCCEEDED, RefundState.CANCELED)),
                        amount=(amount / 3).quantize(Decimal("0.01")),
                    )
                )
    session.flush()
    recalc_reorders(session, now, policy=REORDER_POLICY)
    return World(
        now=now,
        facts=read_facts(session, now),
        tier_codes=[tier.code for tier in tiers],
        manager_ids=[manager.id for manager in managers],
        categories={category.id: category.parent_id for category in session.query(Category)},
    )


def read_facts(session: Session, now: datetime) -> list[BuyerFacts]:
    """Each buyer's field values, computed in Python from the rows."""
    since = now - timedelta(days=365)
    products = {product.id: product.category_id for product in session.query(Product)}
    facts = []
    for buyer in session.query(Buyer).order_by(Buyer.id):
        addresses = sorted(session.query(Address).filter_by(buyer_id=buyer.id), key=lambda a: (a.position, a.id))
        orders = session.query(Order).filter_by(buyer_id=buyer.id).all()
        # The statistics' «paid orders»: a succeeded payment whose refunds leave something (net > 0).
        spend = {"12m": 0, "total": 0}
        paid_instants = []
        paid_orders = []
        for order in orders:
            for payment in session.query(Payment).filter_by(order_id=order.id, status=AttemptStatus.SUCCEEDED):
                refunded = sum(
                    to_minor(refund.amount)
                    for refund in session.query(Refund).filter_by(payment_id=payment.id, status=RefundState.SUCCEEDED)
                )
                net = to_minor(payment.amount) - refunded
                if net <= 0:
                    continue
                paid_instants.append(payment.succeeded_at)
                paid_orders.append(order)
                spend["total"] += net
                if payment.succeeded_at >= since:
                    spend["12m"] += net
        categories = {
            products[line.product_id]
            for order in paid_orders
            for line in session.query(OrderLine).filter_by(order_id=order.id)
            if line.product_id is not None
        }
        profile = session.get(BuyerProfile, buyer.id)
        stats = session.get(BuyerStats, buyer.id)
        consents = session.query(Consent).filter_by(buyer_id=buyer.id).all()
        facts.append(
            BuyerFacts(
                id=buyer.id,
                tier=buyer.tier.code if buyer.tier else None,
                regions=[a.region_code for a in addresses],
                cities=[a.city for a in addresses],
                kind=buyer.kind,
                spend_12m=spend["12m"],
                spend_total=spend["total"],
                order_count=len(paid_instants),
                last_paid_at=max(paid_instants, default=None),
                categories=categories,
                manager=profile.manager_id if profile else None,
                consent=any(c.kind == ConsentKind.MARKETING and c.withdrawn_at is None for c in consents),
                created_at=buyer.created_at,
                utm_source=buyer.first_utm_source,
                reorder_status=str(stats.status) if stats else None,
            )
        )
    return facts


# --- the reference filter -------------------------------------------------------------------------------------


def _compare(op: str, actual: Any, value: Any) -> bool:
    if op == "is_empty":
        return actual is None
    if op == "is_not_empty":
        return actual is not None
    if op in ("ne", "not_in") and actual is None:
        return True
    if actual is None:
        return False
    if op == "eq":
        return actual == value
    if op == "ne":
        return actual != value
    if op == "in":
        return actual in value
    if op == "not_in":
        return actual not in value
    if op == "gt":
        return actual > value
    if op == "gte":
        return actual >= value
    if op == "lt":
        return actual < value
    if op == "lte":
        return actual <= value
    if op == "between":
        return value[0] <= actual <= value[1]
    if op == "contains":
        return value in actual
    raise AssertionError(op)


def _kopecks(value: Any) -> int:
    return to_minor(Decimal(str(value).replace(",", ".")))


def reference_match(world: World, facts: BuyerFacts, condition: dict[str, Any]) -> bool:
    field, op, value = condition["field"], condition["operator"], condition.get("value")
    if field in ("spend_12m", "spend_total"):
        value = [_kopecks(v) for v in value] if isinstance(value, list) else _kopecks(value)
        return _compare(op, getattr(facts, field), value)
    if field == "days_since_last_order":
        days = None if facts.last_paid_at is None else (world.now - facts.last_paid_at) // timedelta(days=1)
        return _compare(op, days, value)
    if field == "registered":
        day = facts.created_at.astimezone(MOSCOW).date()
        value = [date.fromisoformat(v) for v in value] if isinstance(value, list) else date.fromisoformat(value)
        return _compare(op, day, value)
    if field == "categories":
        wanted = set(value)
        wanted |= {child for child, parent in world.categories.items() if parent in wanted}
        bought = bool(facts.categories & wanted)
        return bought if op == "in" else not bought
    if field == "marketing_consent":
        return facts.consent == value
    if field in ("region", "city"):
        # Any saved address; «not equal» / «none of» = no address has it; «not set» = no address at all.
        values = facts.regions if field == "region" else facts.cities
        if op == "is_empty":
            return not values
        if op in ("ne", "not_in"):
            return not any(_compare("eq" if op == "ne" else "in", each, value) for each in values)
        return any(_compare(op, each, value) for each in values)
    if field == "utm_source":
        value = [v.lower() for v in value] if isinstance(value, list) else value.lower() if value else value
    return _compare(op, getattr(facts, {"manager": "manager"}.get(field, field)), value)


def reference_filter(world: World, definition: dict[str, Any]) -> set[int]:
    def holds(facts: BuyerFacts, group: dict[str, Any]) -> bool:
        results = [
            holds(facts, item) if "conditions" in item else reference_match(world, facts, item)
            for item in group["conditions"]
        ]
        if not results:
            return True  # an empty group matches everyone, whatever its op
        return all(results) if group["op"] == "and" else any(results)

    return {facts.id for facts in world.facts if holds(facts, definition)}

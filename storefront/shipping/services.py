"""Shipping quotes for a cart's weight and region, and the seeded carriers. No Flask here.

Rounding: weight is charged per started kilogram (at least 1 kg); the price is
base + per_kg × kilograms, in kopecks exactly (rates are whole kopecks).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storefront.errors import ShopError
from storefront.shipping.models import ShippingMethod, ShippingRate
from storefront.shipping.regions import REGIONS, zone_for

ZERO = Decimal("0.00")


class ShippingUnavailable(ShopError):
    """The method does not exist, is off, or does not deliver to this region."""


@dataclass(frozen=True)
class ShippingQuote:
    method_id: int
    code: str
    name: str
    description: str
    amount: Decimal
    min_days: int
    max_days: int
    is_free: bool


def chargeable_kg(weight_grams: int) -> int:
    """Started kilograms, at least one."""
    return max(1, -(-max(weight_grams, 0) // 1000))


def quote_method(
    method: ShippingMethod, zone: int, weight_grams: int, goods_amount: Decimal, free_for_tier: bool
) -> ShippingQuote | None:
    rate = next((r for r in method.rates if r.zone == zone), None)
    if rate is None or not method.is_active:
        return None
    amount = rate.base_amount + rate.per_kg_amount * chargeable_kg(weight_grams)
    free = free_for_tier or (method.free_threshold_amount is not None and goods_amount >= method.free_threshold_amount)
    return ShippingQuote(
        method.id,
        method.code,
        method.name,
        method.description,
        ZERO if free else amount,
        rate.min_days,
        rate.max_days,
        free,
    )


def list_quotes(
    session: Session, region_code: str | None, weight_grams: int, goods_amount: Decimal, free_for_tier: bool = False
) -> list[ShippingQuote]:
    """Every active method that delivers to the region, cheapest first. Empty for an unknown region."""
    if not region_code or region_code not in REGIONS:
        return []
    zone = zone_for(region_code)
    methods = session.scalars(
        select(ShippingMethod)
        .where(ShippingMethod.is_active.is_(True))
        .order_by(ShippingMethod.position, ShippingMethod.id)
        .options(selectinload(ShippingMethod.rates))
    )
    quotes = [quote_method(m, zone, weight_grams, goods_amount, free_for_tier) for m in methods]
    return sorted((q for q in quotes if q is not None), key=lambda q: (q.amount, q.max_days))


def get_quote(
    session: Session, method_id: int, region_code: str, weight_grams: int, goods_amount: Decimal, free_for_tier: bool
) -> ShippingQuote:
    method = session.get(ShippingMethod, method_id)
    if method is None or region_code not in REGIONS:
        raise ShippingUnavailable(method_id)
    quote = quote_method(method, zone_for(region_code), weight_grams, goods_amount, free_for_tier)
    if quote is None:
        raise ShippingUnavailable(method_id)
    return quote


# Carriers from China to Russian regions, late 2026 tariffs (roubles): base per parcel, per kg,
# and days door to door from the supplier's city, for zones 1..5.
SEED_METHODS = (
    (
        "pochta",
        "Почта России",
        "Почта России",
        "Международная посылка до отделения Почты России по индексу.",
        None,
        (
            (1, "390", "95", 14, 21),
            (2, "420", "110", 15, 23),
            (3, "450", "125", 16, 25),
            (4, "480", "120", 15, 22),
            (5, "450", "105", 12, 20),
        ),
    ),
    (
        "cdek-pickup",
        "СДЭК — пункт выдачи",
        "СДЭК",
        "Доставка до пункта выдачи СДЭК, хранение 7 дней.",
        "150000",
        (
            (1, "490", "160", 8, 12),
            (2, "540", "175", 9, 13),
            (3, "590", "190", 10, 15),
            (4, "620", "185", 9, 14),
            (5, "560", "150", 7, 11),
        ),
    ),
    (
        "cdek-courier",
        "СДЭК — курьер до двери",
        "СДЭК",
        "Курьер привезёт заказ по адресу в удобный интервал.",
        "250000",
        (
            (1, "790", "170", 8, 12),
            (2, "860", "185", 9, 14),
            (3, "920", "200", 10, 16),
            (4, "950", "195", 9, 15),
            (5, "880", "160", 7, 12),
        ),
    ),
    (
        "harbin-cargo",
        "Сборный груз через склад в Харбине",
        "Мостик Карго",
        "Консолидация на нашем складе в Харбине, автодоставка через Забайкальск. Дешевле всего за килограмм.",
        None,
        (
            (1, "1500", "42", 20, 30),
            (2, "1500", "46", 22, 32),
            (3, "1500", "50", 24, 35),
            (4, "1300", "40", 18, 26),
            (5, "1100", "32", 14, 22),
        ),
    ),
)


def seed_shipping_methods(session: Session) -> int:
    """Create the standard carriers if missing (safe to run again); returns how many were added. Flushes;
    the caller commits."""
    existing = set(session.scalars(select(ShippingMethod.code)))
    added = 0
    for position, (code, name, carrier, description, free_from, rates) in enumerate(SEED_METHODS):
        if code in existing:
            continue
        method = ShippingMethod(
            code=code,
            name=name,
            carrier=carrier,
            description=description,
            free_threshold_amount=Decimal(free_from) if free_from else None,
            position=position,
        )
        for zone, base, per_kg, min_days, max_days in rates:
            method.rates.append(
                ShippingRate(
                    zone=zone,
                    base_amount=Decimal(base),
                    per_kg_amount=Decimal(per_kg),
                    min_days=min_days,
                    max_days=max_days,
                )
            )
        session.add(method)
        added += 1
    session.flush()
    return added


def free_shipping_from(session: Session) -> Decimal | None:
    """The lowest goods total from which some active method ships free for everyone (None: no such method)."""
    return session.scalar(
        select(func.min(ShippingMethod.free_threshold_amount)).where(
            ShippingMethod.is_active.is_(True), ShippingMethod.free_threshold_amount.is_not(None)
        )
    )

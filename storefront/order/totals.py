"""Order totals. Every rounding rule for an order is here, once:

1. Line amount = unit price (already whole kopecks) × quantity: exact.
2. Goods subtotal = sum of line amounts.
3. Tier discount = subtotal × tier percent, rounded half up to the kopeck.
4. Promo discount on what is left after the tier discount: percent rounded half up to the
   kopeck, or a fixed amount; never more than what is left.
5. Shipping is added after discounts (discounts never apply to shipping).
6. Total = subtotal − tier discount − promo discount + shipping.
7. VAT is included in prices: VAT = total × 22 / 122, rounded half up to the kopeck.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from storefront.money import quantize_kopecks

VAT_RATE_BP = 2200
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tier_discount: Decimal
    promo_discount: Decimal
    shipping: Decimal
    total: Decimal
    vat: Decimal

    @property
    def goods_after_discounts(self) -> Decimal:
        return self.subtotal - self.tier_discount - self.promo_discount


def percent_of(amount: Decimal, basis_points: int) -> Decimal:
    return quantize_kopecks(amount * basis_points / Decimal(10000))


def vat_included(total: Decimal, rate_bp: int = VAT_RATE_BP) -> Decimal:
    return quantize_kopecks(total * rate_bp / (Decimal(10000) + rate_bp))


def compute_totals(
    line_amounts: list[Decimal],
    *,
    tier_discount_bp: int = 0,
    promo_percent_bp: int = 0,
    promo_fixed: Decimal | None = None,
    shipping: Decimal = ZERO,
) -> Totals:
    subtotal = quantize_kopecks(sum(line_amounts, ZERO))
    tier_discount = percent_of(subtotal, tier_discount_bp)
    remaining = subtotal - tier_discount
    promo_discount = percent_of(remaining, promo_percent_bp) if promo_percent_bp else ZERO
    if promo_fixed is not None:
        promo_discount += quantize_kopecks(promo_fixed)
    promo_discount = min(promo_discount, remaining)
    total = remaining - promo_discount + quantize_kopecks(shipping)
    return Totals(subtotal, tier_discount, promo_discount, quantize_kopecks(shipping), total, vat_included(total))

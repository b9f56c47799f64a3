"""Order totals. Every rounding rule for an order is here, once:

1. Line amount = unit price (already whole kopecks) × quantity: exact.
2. Goods subtotal = sum of line amounts.
3. Tier discount = subtotal × tier percent, rounded half up to the kopeck.
4. Promo discount on what is left after the tier discount: percent rounded half up to the
   kopeck, or a fixed amount; never more than what is left.
5. Shipping is added after discounts (discounts never apply to shipping).
6. Total = subtotal − tier discount − promo discount + shipping.
7. VAT is included in prices: VAT = total × 22 / 122, rounded half up to the kopeck.
8. A document that lists the order in parts (the УПД's lines) splits the discounts and the order's VAT over the
   parts in proportion to their amounts, whole kopecks by the largest remainder (``apportion``), so its columns
   add up to the order's own discount, VAT and total exactly; the VAT is never computed again per part.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def apportion(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``amount`` (whole kopecks, ≥ 0) split in proportion to ``weights`` (≥ 0): each part rounded down to the
    kopeck, the kopecks left go to the largest remainders (the earlier part on a tie). The parts sum to ``amount``
    exactly; all-zero weights put everything on the first part."""
    if not weights:
        return []
    kopecks = int(quantize_kopecks(amount) * 100)
    scaled = [int(quantize_kopecks(weight) * 100) for weight in weights]
    whole = sum(scaled)
    if whole == 0:
        return [quantize_kopecks(amount) if index == 0 else ZERO for index in range(len(weights))]
    shares = [kopecks * part // whole for part in scaled]
    remainders = sorted(range(len(weights)), key=lambda index: (-(kopecks * scaled[index] % whole), index))
    for index in remainders[: kopecks - sum(shares)]:
        shares[index] += 1
    return [Decimal(share) / 100 for share in shares]


@dataclass(frozen=True)
class TaxedPart:
    """One part of an order as a document lists it: with VAT, the VAT in it, and without VAT."""

    gross: Decimal
    vat: Decimal

    @property
    def net(self) -> Decimal:
        return self.gross - self.vat


def split_order(
    line_amounts: Sequence[Decimal], discount: Decimal, shipping: Decimal, vat: Decimal
) -> tuple[list[TaxedPart], TaxedPart | None]:
    """The order's goods lines after their share of ``discount``, and shipping (None when free), each with its
    share of the order's ``vat`` (rule 8). The parts' gross amounts sum to the order's total, their VAT to its
    VAT."""
    discounts = apportion(discount, line_amounts)
    grosses = [quantize_kopecks(amount) - share for amount, share in zip(line_amounts, discounts, strict=True)]
    shipping = quantize_kopecks(shipping)
    if shipping > 0:
        grosses.append(shipping)
    vats = apportion(vat, grosses)
    parts = [TaxedPart(gross, part_vat) for gross, part_vat in zip(grosses, vats, strict=True)]
    if shipping > 0:
        return parts[:-1], parts[-1]
    return parts, None

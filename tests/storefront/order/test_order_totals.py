"""Order totals: rounding written once (storefront.order.totals)."""

from decimal import Decimal

from storefront.order.totals import compute_totals, vat_included
from storefront.shipping.services import chargeable_kg


def test_totals_without_discounts_include_vat_22_percent():
    totals = compute_totals([Decimal("920.00"), Decimal("1000.00")], shipping=Decimal("500.00"))
    assert totals.subtotal == Decimal("1920.00")
    assert totals.total == Decimal("2420.00")
    assert totals.vat == Decimal("436.39")  # 2420 × 22 / 122 = 436.393…


def test_tier_then_promo_discounts_round_half_up_and_skip_shipping():
    totals = compute_totals(
        [Decimal("333.35")], tier_discount_bp=500, promo_percent_bp=1000, shipping=Decimal("100.00")
    )
    assert totals.tier_discount == Decimal("16.67")  # 16.6675 → 16.67
    assert totals.promo_discount == Decimal("31.67")  # 10 % of 316.68 = 31.668 → 31.67
    assert totals.total == Decimal("385.01")


def test_a_fixed_promo_never_exceeds_the_goods():
    totals = compute_totals([Decimal("100.00")], promo_fixed=Decimal("500.00"), shipping=Decimal("50.00"))
    assert totals.promo_discount == Decimal("100.00")
    assert totals.total == Decimal("50.00")


def test_vat_of_zero_is_zero_and_weights_round_up_to_started_kilograms():
    assert vat_included(Decimal("0.00")) == Decimal("0.00")
    assert [chargeable_kg(g) for g in (0, 1, 1000, 1001)] == [1, 1, 1, 2]

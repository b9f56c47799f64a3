from dataclasses import dataclass
from decimal import Decimal

import pytest

from storefront.catalog.pricing import QuantityError, break_for_quantity, next_break, validate_quantity


@dataclass
class Break:
    min_quantity: int
    unit_price: Decimal


BREAKS = [Break(10, Decimal("9.00")), Break(1, Decimal("10.00")), Break(50, Decimal("8.00"))]


@pytest.mark.parametrize(
    ("quantity", "price"),
    [(1, "10.00"), (9, "10.00"), (10, "9.00"), (11, "9.00"), (49, "9.00"), (50, "8.00"), (10**9, "8.00")],
)
def test_the_break_with_the_largest_threshold_not_above_the_quantity_applies(quantity, price):
    assert break_for_quantity(BREAKS, quantity).unit_price == Decimal(price)


@pytest.mark.parametrize("quantity", [0, -1])
def test_non_positive_quantities_have_no_price(quantity):
    with pytest.raises(QuantityError):
        break_for_quantity(BREAKS, quantity)


def test_a_quantity_below_the_first_threshold_has_no_price():
    with pytest.raises(QuantityError):
        break_for_quantity([Break(5, Decimal("3.00"))], 4)


@pytest.mark.parametrize(("quantity", "moq", "ok"), [(4, 5, False), (5, 5, True), (6, 5, True), (0, 1, False)])
def test_quantity_below_moq_is_invalid(quantity, moq, ok):
    if ok:
        validate_quantity(quantity, moq)
    else:
        with pytest.raises(QuantityError):
            validate_quantity(quantity, moq)


def test_next_break_tells_how_many_more_pieces_make_it_cheaper():
    step = next_break(BREAKS, 7)
    assert (step.more_quantity, step.min_quantity, step.unit_price) == (3, 10, Decimal("9.00"))
    assert next_break(BREAKS, 50) is None

"""Pure price rules: which wholesale break applies, and whether a quantity may be ordered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


class BreakLike(Protocol):
    min_quantity: int
    unit_price: Decimal


class QuantityError(ValueError):
    """A quantity that cannot be ordered (below MOQ, not positive)."""


@dataclass(frozen=True)
class BreakStep:
    """The next cheaper break: how many more pieces, and the unit price there."""

    more_quantity: int
    min_quantity: int
    unit_price: Decimal


def validate_quantity(quantity: int, moq: int) -> None:
    if quantity < 1:
        raise QuantityError("quantity must be positive")
    if quantity < moq:
        raise QuantityError(f"below the minimum order quantity of {moq}")


def break_for_quantity(breaks: Sequence[BreakLike], quantity: int) -> BreakLike:
    """The break with the largest threshold ≤ ``quantity``.

    Raises ``QuantityError`` when no break covers the quantity (it is below the first threshold).
    """
    if quantity < 1:
        raise QuantityError("quantity must be positive")
    chosen: BreakLike | None = None
    for price_break in breaks:
        if price_break.min_quantity <= quantity and (chosen is None or price_break.min_quantity > chosen.min_quantity):
            chosen = price_break
    if chosen is None:
        raise QuantityError("no price break covers this quantity")
    return chosen


def next_break(breaks: Sequence[BreakLike], quantity: int) -> BreakStep | None:
    """The nearest break above ``quantity`` with a lower unit price, if any."""
    current = break_for_quantity(breaks, quantity)
    above = sorted((b for b in breaks if b.min_quantity > quantity), key=lambda b: b.min_quantity)
    for price_break in above:
        if price_break.unit_price < current.unit_price:
            return BreakStep(price_break.min_quantity - quantity, price_break.min_quantity, price_break.unit_price)
    return None

"""Catalogue use cases that write: price breaks and the set-based rouble-price recompute."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy import BigInteger, case, literal, type_coerce, update
from sqlalchemy.orm import Session

from storefront.catalog.models import PriceBreak, Product
from storefront.db import rowcount
from storefront.fx.services import MissingRate, Pricing, current_pricing
from storefront.money import RATE_SCALE, to_decimal


class InvalidPriceBreaks(ValueError):
    """Price breaks that cannot be sold by: empty, duplicate thresholds, non-positive prices."""


def validate_price_breaks(breaks: Iterable[tuple[int, Decimal]], moq: int) -> list[tuple[int, Decimal]]:
    """Sorted (min_quantity, unit_price) pairs; the first threshold must cover the MOQ."""
    result = sorted((int(quantity), to_decimal(price)) for quantity, price in breaks)
    if not result:
        raise InvalidPriceBreaks("a product needs at least one price break")
    thresholds = [quantity for quantity, _ in result]
    if len(set(thresholds)) != len(thresholds):
        raise InvalidPriceBreaks("two price breaks share a threshold")
    if thresholds[0] < 1 or any(price <= 0 for _, price in result):
        raise InvalidPriceBreaks("thresholds start at 1 piece and prices are positive")
    if thresholds[0] > moq:
        raise InvalidPriceBreaks(f"the first break ({thresholds[0]}) must not be above the MOQ ({moq})")
    return result


def set_price_breaks(
    session: Session, product: Product, breaks: Sequence[tuple[int, Decimal]], pricing: Pricing | None = None
) -> None:
    """Replace a product's breaks and refresh its lowest price in both currencies. Flushes."""
    valid = validate_price_breaks(breaks, product.moq)
    if product.price_breaks:
        # Delete the old rows first: the new ones may reuse their (product, threshold) keys.
        product.price_breaks.clear()
        session.flush()
    assign_price_breaks(product, valid, pricing or current_pricing(session))
    session.flush()


def assign_price_breaks(product: Product, valid: Sequence[tuple[int, Decimal]], pricing: Pricing) -> None:
    """Give a product (with no breaks left in the database) these validated breaks and their lowest prices."""
    product.price_breaks = [PriceBreak(min_quantity=q, unit_price=p) for q, p in valid]
    product.source_price_from = min(price for _, price in valid)
    try:
        product.price_rub_from = pricing.to_rub(product.source_price_from, product.currency)
    except MissingRate:
        product.price_rub_from = None


def recompute_rouble_prices(session: Session, pricing: Pricing | None = None) -> int:
    """Recompute every product's ``price_rub_from`` in one UPDATE; returns rows changed.

    The SQL mirrors ``money.convert_minor`` in integer arithmetic: minor units × scaled factor,
    half-up to the policy's step. Products in a currency with no loaded rate get NULL (unsellable
    until rates arrive) rather than a stale price. Flushes; the caller commits.
    """
    pricing = pricing or current_pricing(session)
    step = pricing.rounding.step_minor
    divisor = RATE_SCALE * step
    factors = {currency: pricing.factor_scaled(currency) for currency in pricing.rates}
    # The column holds integer minor units; strip the Decimal conversion to do integer SQL.
    source_minor = type_coerce(Product.__table__.c.source_price_from, BigInteger)
    factor = case(
        *((Product.currency == currency, literal(value)) for currency, value in factors.items()),
        else_=None,
    )
    new_price = (source_minor * factor + literal(divisor // 2)) // literal(divisor) * literal(step)
    new_price = type_coerce(new_price, BigInteger)
    current_price = type_coerce(Product.__table__.c.price_rub_from, BigInteger)
    result = session.execute(
        update(Product.__table__)
        # Only rows whose price moves are written; updated_at is left alone (a derived price is not an edit).
        .where(current_price.is_distinct_from(new_price))
        .values(price_rub_from=new_price, updated_at=Product.__table__.c.updated_at),
        execution_options={"synchronize_session": False},
    )
    session.expire_all()
    return rowcount(result)

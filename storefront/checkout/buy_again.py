"""«Купить снова»: the products a buyer has bought, at today's prices, and putting some or all back in the cart.

No Flask here. "Bought" = a line of one of the buyer's paid orders (paid, shipped, delivered, completed or
partly refunded); a product appears once, with its most recent line (date and quantity).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storefront.cart.models import Cart
from storefront.cart.services import (
    AboveStock,
    BelowMinimum,
    CartError,
    ProductUnavailable,
    add_to_cart,
    check_quantity,
)
from storefront.catalog.models import Product, ProductStatus
from storefront.catalog.pricing import break_for_quantity
from storefront.errors import ShopError
from storefront.fx.services import MissingRate, Pricing
from storefront.order.models import MONEY_IN, Order, OrderLine, OrderStatus

#: How many products the page lists (the most recently bought first).
LIMIT = 200


class Availability:
    IN_STOCK = "in_stock"
    OUT_OF_STOCK = "out_of_stock"
    DISCONTINUED = "discontinued"  # removed from the catalogue, or taken off sale (draft)
    ARCHIVED = "archived"


@dataclass(frozen=True)
class BuyAgainItem:
    product_id: int | None
    title: str
    sku: str
    product: Product | None
    availability: str
    #: Today's unit price for the last quantity (its price break); None when the product has no price now.
    unit_price: Decimal | None
    last_ordered_at: datetime
    last_quantity: int
    times_ordered: int

    @property
    def can_add(self) -> bool:
        return self.availability == Availability.IN_STOCK and self.unit_price is not None

    @property
    def suggested_quantity(self) -> int:
        """The last quantity, kept within today's MOQ and stock: what the quantity field starts with."""
        if self.product is None:
            return self.last_quantity
        return max(self.product.cap_to_stock(self.last_quantity), self.product.moq)


def _availability(product: Product | None) -> str:
    if product is None or product.status == ProductStatus.DRAFT:
        return Availability.DISCONTINUED
    if product.status == ProductStatus.ARCHIVED:
        return Availability.ARCHIVED
    return Availability.IN_STOCK if product.orderable_stock else Availability.OUT_OF_STOCK


def _today_price(product: Product | None, quantity: int, pricing: Pricing) -> Decimal | None:
    if product is None or not product.price_breaks:
        return None
    try:
        chosen = break_for_quantity(product.price_breaks, max(quantity, product.moq))
        return pricing.to_rub(chosen.unit_price, product.currency)
    except (MissingRate, ValueError):
        return None


def list_buy_again(session: Session, buyer_id: int, pricing: Pricing, limit: int = LIMIT) -> list[BuyAgainItem]:
    """Distinct products from the buyer's paid orders, most recently bought first."""
    bought_at = func.coalesce(Order.paid_at, Order.created_at)
    ranked = (
        select(
            OrderLine.id.label("line_id"),
            OrderLine.product_id.label("product_id"),
            OrderLine.sku.label("sku"),
            OrderLine.title.label("title"),
            OrderLine.quantity.label("quantity"),
            bought_at.label("bought_at"),
            func.row_number()
            .over(partition_by=(OrderLine.product_id, OrderLine.sku), order_by=(bought_at.desc(), OrderLine.id.desc()))
            .label("rn"),
            func.count().over(partition_by=(OrderLine.product_id, OrderLine.sku)).label("times"),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.buyer_id == buyer_id,
            Order.payment_status.in_(MONEY_IN),  # bought: paid, not wholly refunded, not canceled
            Order.status != OrderStatus.CANCELED,
        )
        .subquery()
    )
    rows = session.execute(
        select(ranked).where(ranked.c.rn == 1).order_by(ranked.c.bought_at.desc(), ranked.c.line_id.desc()).limit(limit)
    ).all()
    ids = [row.product_id for row in rows if row.product_id is not None]
    products = {
        product.id: product
        for product in session.scalars(
            select(Product).where(Product.id.in_(ids)).options(selectinload(Product.price_breaks))
        )
    }
    items = []
    for row in rows:
        product = products.get(row.product_id) if row.product_id is not None else None
        items.append(
            BuyAgainItem(
                product_id=row.product_id,
                title=product.title if product is not None else row.title,
                sku=row.sku,
                product=product,
                availability=_availability(product),
                unit_price=_today_price(product, row.quantity, pricing),
                last_ordered_at=row.bought_at,
                last_quantity=row.quantity,
                times_ordered=row.times,
            )
        )
    return items


class NotBoughtBefore(ShopError):
    """A product id that is not among the buyer's bought products (a tampered form)."""


class QuantitiesRefused(ShopError):
    """Typed quantities that MOQ or stock do not allow, by product id; the caller rolls back (nothing is added)."""

    def __init__(self, refused: dict[int, BelowMinimum | AboveStock]) -> None:
        super().__init__(sorted(refused))
        self.refused = refused


@dataclass(frozen=True)
class AddOutcome:
    title: str
    wanted: int
    added: int
    #: 'added', 'quantity_changed' (MOQ or stock), 'unavailable'
    outcome: str


def check_typed_quantities(
    items: list[BuyAgainItem], quantities: dict[int, int]
) -> dict[int, BelowMinimum | AboveStock]:
    """Typed quantities that MOQ or stock refuse whatever the cart holds, by product id (checked before the buyer
    is asked whether to replace the cart or add to it)."""
    products = {item.product_id: item.product for item in items if item.product is not None}
    refused: dict[int, BelowMinimum | AboveStock] = {}
    for product_id, quantity in quantities.items():
        product = products.get(product_id)
        if product is None:
            continue  # not bought before: ``add_bought_to_cart`` refuses it
        try:
            check_quantity(product, quantity)
        except (BelowMinimum, AboveStock) as error:
            refused[product_id] = error
    return refused


def add_bought_to_cart(
    session: Session,
    buyer_id: int,
    cart: Cart,
    product_ids: list[int] | None,
    pricing: Pricing,
    quantities: dict[int, int] | None = None,
) -> list[AddOutcome]:
    """Put the chosen products (None: all that can be bought) in the cart: at the quantity the buyer typed
    (``quantities``, checked against MOQ and stock together with what the cart holds), else at the last quantity
    kept within MOQ and stock. ``NotBoughtBefore`` (nothing changed) if an id is not among the buyer's products;
    ``QuantitiesRefused`` if a typed quantity is not allowed (the caller rolls back). Flushes; the caller commits."""
    typed = quantities or {}
    refused: dict[int, BelowMinimum | AboveStock] = {}
    items = list_buy_again(session, buyer_id, pricing)
    by_id = {item.product_id: item for item in items if item.product_id is not None}
    if product_ids is None:
        chosen = items
    else:
        unknown = [product_id for product_id in product_ids if product_id not in by_id]
        if unknown:
            raise NotBoughtBefore(unknown)
        chosen = [by_id[product_id] for product_id in dict.fromkeys(product_ids)]
    report = []
    for item in chosen:
        product = item.product
        if product is None or not item.can_add:
            report.append(AddOutcome(item.title, item.last_quantity, 0, "unavailable"))
            continue
        if product.id in typed:
            try:
                add_to_cart(session, cart, product.id, typed[product.id])
            except (BelowMinimum, AboveStock) as error:
                refused[product.id] = error
                continue
            except CartError:
                report.append(AddOutcome(item.title, typed[product.id], 0, "unavailable"))
                continue
            report.append(AddOutcome(item.title, typed[product.id], typed[product.id], "added"))
            continue
        quantity = item.suggested_quantity
        try:
            add_to_cart(session, cart, product.id, quantity)
        except (ProductUnavailable, BelowMinimum, AboveStock, CartError):  # refused before any change
            report.append(AddOutcome(item.title, item.last_quantity, 0, "unavailable"))
            continue
        outcome = "added" if quantity == item.last_quantity else "quantity_changed"
        report.append(AddOutcome(item.title, item.last_quantity, quantity, outcome))
    if refused:
        raise QuantitiesRefused(refused)
    return report

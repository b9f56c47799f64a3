"""Cart use cases: add, change, remove, merge at sign-in, and price the cart. No Flask here.

Rules: a line's quantity is at least the product's MOQ and at most its stock; only active
products can be bought. The unit price is the current price break's, in roubles.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from storefront.cart.models import Cart, CartLine
from storefront.catalog.models import Product, ProductStatus
from storefront.catalog.pricing import break_for_quantity, next_break
from storefront.db import rowcount, utcnow
from storefront.errors import ShopError
from storefront.fx.services import MissingRate, Pricing
from storefront.jobs import periodic

#: Largest quantity accepted on one line (bigger numbers are typing mistakes, not orders).
MAX_QUANTITY = 1_000_000


class CartError(ShopError):
    """A cart change that is not allowed; the view says what is."""


class ProductUnavailable(CartError):
    def __init__(self, product_id: int) -> None:
        super().__init__(product_id)
        self.product_id = product_id


class BelowMinimum(CartError):
    def __init__(self, product: Product) -> None:
        super().__init__(product.id)
        self.product = product
        self.moq = product.moq


class AboveStock(CartError):
    def __init__(self, product: Product) -> None:
        super().__init__(product.id)
        self.product = product
        self.stock = product.stock if product.stock is not None else MAX_QUANTITY


def new_token() -> str:
    return secrets.token_urlsafe(32)


def find_cart_by_token(session: Session, token: str) -> Cart | None:
    return session.scalars(select(Cart).where(Cart.token == token, Cart.buyer_id.is_(None))).first()


def find_buyer_cart(session: Session, buyer_id: int) -> Cart | None:
    return session.scalars(select(Cart).where(Cart.buyer_id == buyer_id)).first()


def get_or_create_cart(session: Session, *, buyer_id: int | None, token: str | None) -> Cart:
    """The buyer's cart, or the guest cart for ``token``; created (and flushed) when missing."""
    cart = find_buyer_cart(session, buyer_id) if buyer_id else (find_cart_by_token(session, token) if token else None)
    if cart is None:
        cart = Cart(token=new_token(), buyer_id=buyer_id)
        session.add(cart)
        session.flush()
    return cart


def _purchasable(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None or product.status != ProductStatus.ACTIVE or not product.orderable_stock:
        raise ProductUnavailable(product_id)
    return product


def check_quantity(product: Product, quantity: int) -> None:
    if quantity < product.moq:
        raise BelowMinimum(product)
    if not product.within_stock(quantity) or quantity > MAX_QUANTITY:
        raise AboveStock(product)


def _line_for(cart: Cart, product_id: int) -> CartLine | None:
    return next((line for line in cart.lines if line.product_id == product_id), None)


def add_to_cart(session: Session, cart: Cart, product_id: int, quantity: int) -> CartLine:
    """Add ``quantity`` pieces (to what is already in the cart); checks before it changes anything. Flushes; the
    caller commits."""
    product = _purchasable(session, product_id)
    line = _line_for(cart, product_id)
    total = quantity + (line.quantity if line else 0)
    check_quantity(product, total)
    if line is None:
        line = CartLine(product=product, quantity=total)
        cart.lines.append(line)
    else:
        line.quantity = total
    cart.updated_at = utcnow()
    session.flush()
    return line


def set_quantity(session: Session, cart: Cart, product_id: int, quantity: int) -> CartLine:
    """Flushes; the caller commits."""
    line = _line_for(cart, product_id)
    if line is None:
        raise ProductUnavailable(product_id)
    product = _purchasable(session, product_id)
    check_quantity(product, quantity)
    line.quantity = quantity
    cart.updated_at = utcnow()
    session.flush()
    return line


def remove_from_cart(session: Session, cart: Cart, product_id: int) -> None:
    """Flushes; the caller commits."""
    line = _line_for(cart, product_id)
    if line is not None:
        cart.lines.remove(line)
    session.flush()


def merge_carts(session: Session, guest: Cart | None, buyer_id: int) -> Cart:
    """Move a guest cart into the buyer's at sign-in: quantities added, kept within MOQ and stock. Flushes;
    the caller (the sign-in view, through ``user_logged_in``) commits."""
    cart = get_or_create_cart(session, buyer_id=buyer_id, token=None)
    if guest is None or guest.id == cart.id:
        session.flush()
        return cart
    for guest_line in list(guest.lines):
        product = session.get(Product, guest_line.product_id)
        if product is None or product.status != ProductStatus.ACTIVE or not product.orderable_stock:
            continue
        line = _line_for(cart, product.id)
        total = guest_line.quantity + (line.quantity if line else 0)
        total = product.cap_to_stock(max(total, product.moq))
        if total < product.moq:
            continue
        if line is None:
            cart.lines.append(CartLine(product=product, quantity=total))
        else:
            line.quantity = total
    session.delete(guest)
    session.flush()
    return cart


def clear_cart(session: Session, cart: Cart) -> None:
    """Empty the cart (after an order is placed); flushes, the caller commits."""
    cart.lines.clear()
    session.flush()


@dataclass(frozen=True)
class PricedLine:
    product: Product
    quantity: int
    unit_price: Decimal
    line_amount: Decimal
    #: "Add N more for X ₽ apiece" when a cheaper break is near.
    more_quantity: int | None = None
    more_unit_price: Decimal | None = None
    #: A reason the line cannot be ordered as is: 'unavailable', 'below_moq', 'above_stock', 'no_price'.
    problem: str | None = None


@dataclass
class PricedCart:
    lines: list[PricedLine] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.line_amount for line in self.lines if line.problem is None), Decimal("0.00"))

    @property
    def weight_grams(self) -> int:
        return sum(line.product.weight_grams * line.quantity for line in self.lines if line.problem is None)

    @property
    def count(self) -> int:
        return len(self.lines)

    @property
    def pieces(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def has_problems(self) -> bool:
        return any(line.problem for line in self.lines)

    @property
    def orderable(self) -> list[PricedLine]:
        return [line for line in self.lines if line.problem is None]

    def fingerprint(self) -> str:
        """What the buyer saw: product, quantity and unit price of each line. Checkout compares it."""
        return ";".join(f"{line.product.id}:{line.quantity}:{line.unit_price}" for line in self.orderable)


def is_near(quantity: int, more_quantity: int) -> bool:
    """A cheaper break is "near" when it needs at most half as many pieces again (or up to 10)."""
    return more_quantity <= max(10, quantity // 2)


def price_line(product: Product, quantity: int, pricing: Pricing) -> PricedLine:
    if product.status != ProductStatus.ACTIVE or not product.orderable_stock:
        return PricedLine(product, quantity, Decimal("0.00"), Decimal("0.00"), problem="unavailable")
    try:
        chosen = break_for_quantity(product.price_breaks, quantity)
        unit_price = pricing.to_rub(chosen.unit_price, product.currency)
        step = next_break(product.price_breaks, quantity)
        more = None
        if step is not None and is_near(quantity, step.more_quantity):
            more = (step.more_quantity, pricing.to_rub(step.unit_price, product.currency))
    except (MissingRate, ValueError):
        return PricedLine(product, quantity, Decimal("0.00"), Decimal("0.00"), problem="no_price")
    problem = "below_moq" if quantity < product.moq else ("above_stock" if not product.within_stock(quantity) else None)
    return PricedLine(
        product,
        quantity,
        unit_price,
        unit_price * quantity,
        more_quantity=more[0] if more else None,
        more_unit_price=more[1] if more else None,
        problem=problem,
    )


def price_cart(session: Session, cart: Cart | None, pricing: Pricing) -> PricedCart:
    if cart is None:
        return PricedCart()
    products = _load_products(session, [line.product_id for line in cart.lines])
    return PricedCart([price_line(products[line.product_id], line.quantity, pricing) for line in cart.lines])


def _load_products(session: Session, ids: Sequence[int]) -> dict[int, Product]:
    if not ids:
        return {}
    rows = session.scalars(select(Product).where(Product.id.in_(ids)).options(selectinload(Product.price_breaks)))
    return {product.id: product for product in rows}


#: Guest carts untouched this long are deleted (the cookie lives as long).
GUEST_CART_LIFETIME = timedelta(days=60)


@periodic("purge-guest-carts", every=timedelta(days=1))
def purge_guest_carts(session: Session, now: datetime) -> str:
    """Delete guest carts nobody has touched for ``GUEST_CART_LIFETIME`` (buyers' carts stay)."""
    stale = select(Cart.id).where(Cart.buyer_id.is_(None), Cart.updated_at < now - GUEST_CART_LIFETIME)
    session.execute(delete(CartLine).where(CartLine.cart_id.in_(stale)))
    purged = rowcount(
        session.execute(delete(Cart).where(Cart.buyer_id.is_(None), Cart.updated_at < now - GUEST_CART_LIFETIME))
    )
    session.commit()
    return f"purged {purged}"

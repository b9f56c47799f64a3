"""Placing orders at the service level: stock reservation races (PostgreSQL threads), idempotency, transitions."""

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.cart.models import Cart, CartLine
from storefront.catalog.models import Product
from storefront.checkout.services import Contact, Destination, announce_placement, build_quote, place_order
from storefront.db import utcnow
from storefront.fx.services import current_pricing
from storefront.order.holds import HoldPolicy
from storefront.order.models import Order, OrderStatus, PaymentStatus
from storefront.order.services import OutOfStock, TransitionNotAllowed, change_payment_status, change_status
from storefront.shipping.models import ShippingMethod
from tests.support.factories import create_shop

DESTINATION = Destination("77", "Москва", "101000", "ул. Тверская, 1", "Иван", "+79161234567")


def _cart(session: Session, product: Product, quantity: int, token: str) -> Cart:
    cart = Cart(token=token, lines=[CartLine(product_id=product.id, quantity=quantity)])
    session.add(cart)
    session.commit()
    return cart


def _place(session: Session, cart: Cart, token: str):
    pricing = current_pricing(session)
    method_id = session.scalars(select(ShippingMethod.id).order_by(ShippingMethod.id)).first()
    quote = build_quote(
        session, cart, pricing, region_code="77", shipping_method_id=method_id, promo_code=None, tier=None, now=utcnow()
    )
    result = place_order(
        session,
        cart,
        pricing,
        placement_token=token,
        seen_fingerprint=quote.fingerprint,
        buyer=None,
        contact=Contact("guest@example.ru", "+79161234567", "Гость", {}),
        destination=DESTINATION,
        shipping_method_id=method_id,
        promo_code=None,
        consent=None,
        now=utcnow(),
        holds=HoldPolicy(),
    )
    session.commit()  # as the checkout view does
    announce_placement(result)
    return result


def test_placing_with_the_same_token_returns_the_first_order(session):
    product = create_shop(session)
    cart = _cart(session, product, 2, "cart-a")
    first = _place(session, cart, "token-1234567890abcdef")
    cart = _cart(session, product, 2, "cart-b")
    again = _place(session, cart, "token-1234567890abcdef")
    assert first.created and not again.created and again.order.id == first.order.id
    assert session.scalar(select(func.count(Order.id))) == 1
    session.refresh(product)
    assert product.stock == 98


def test_transitions_follow_the_design_and_cancel_releases_stock(session):
    product = create_shop(session, stock=5)
    order = _place(session, _cart(session, product, 5, "cart-a"), "token-abcdefghijklmnop").order
    with pytest.raises(TransitionNotAllowed):
        change_status(session, order, OrderStatus.DELIVERED)
    change_status(session, order, OrderStatus.CANCELED, "by staff")
    session.commit()
    session.refresh(product)
    assert product.stock == 5
    with pytest.raises(TransitionNotAllowed):
        change_payment_status(session, order, PaymentStatus.PAID)  # money for a canceled order is not taken


@pytest.mark.postgres_only
def test_the_last_units_go_to_one_of_two_buyers_racing(app, session):
    """Eight threads, each its own connection, race for 3 units of which each wants 2."""
    product = create_shop(session, stock=3)
    session.commit()
    carts = [_cart(session, product, 2, f"race-{n}") for n in range(8)]
    engine = session.get_bind()
    barrier = threading.Barrier(len(carts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy(cart_id: int, n: int) -> None:
        with Session(engine) as own:
            cart = own.get(Cart, cart_id)
            barrier.wait()
            try:
                _place(own, cart, f"race-token-{n:02d}-abcdefgh")
                result = "ok"
            except OutOfStock:
                result = "out"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=buy, args=(cart.id, n)) for n, cart in enumerate(carts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["out"] * 7
    session.expire_all()
    assert session.get(Product, product.id).stock == 1
    assert session.scalar(select(func.count(Order.id))) == 1
    assert session.scalars(select(Order)).one().subtotal_amount == Decimal("1840.00")

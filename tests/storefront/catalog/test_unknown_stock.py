"""A product whose stock is unknown (NULL: the feed gave none) and a supplier whose kind and rating are unknown.

Carts and orders are limited by a known stock only; MOQ still holds; pages and cards state no figure.
"""

from __future__ import annotations

from sqlalchemy import select

from storefront.cart.models import Cart, CartLine
from storefront.catalog.models import Product
from storefront.catalog.queries import count_by_city, list_supplier_cities
from storefront.catalog.text import description_markup, sanitise_description
from storefront.checkout.services import Contact, Destination, build_quote, place_order
from storefront.db import utcnow
from storefront.fx.services import current_pricing
from storefront.order.holds import HoldPolicy
from storefront.shipping.models import ShippingMethod
from tests.support.factories import create_category, create_product, create_shop, create_supplier, load_rates
from tests.support.web import add_to_cart


def _lines(session):
    session.expire_all()
    return [(line.product_id, line.quantity) for line in session.scalars(select(CartLine).order_by(CartLine.id))]


def test_a_cart_takes_any_quantity_of_an_unknown_stock_but_keeps_the_moq(client, session):
    product = create_shop(session, moq=5)
    product.stock = None
    session.commit()
    assert add_to_cart(client, product.id, 3).status_code == 303  # back to the product with the MOQ message
    assert add_to_cart(client, product.id, 5000).status_code == 303
    assert _lines(session) == [(product.id, 5000)]
    page = client.get("/cart").get_data(as_text=True)
    assert "в наличии только" not in page
    assert 'max="' not in page.split(f'id="qty-{product.id}"')[1].split(">")[0]


def test_a_known_stock_still_limits_the_cart(client, session):
    product = create_shop(session, stock=12, moq=5)
    session.commit()
    above = add_to_cart(client, product.id, 13)
    assert above.status_code == 303
    assert "В наличии только 12 штук." in client.get(above.location).get_data(as_text=True)


def test_an_order_for_an_unknown_stock_is_placed_and_leaves_it_unknown(session):
    product = create_shop(session)
    product.stock = None
    cart = Cart(token="cart-unknown", lines=[CartLine(product_id=product.id, quantity=700)])
    session.add(cart)
    session.commit()
    pricing = current_pricing(session)
    method_id = session.scalars(select(ShippingMethod.id).order_by(ShippingMethod.id)).first()
    quote = build_quote(
        session, cart, pricing, region_code="77", shipping_method_id=method_id, promo_code=None, tier=None, now=utcnow()
    )
    result = place_order(
        session,
        cart,
        pricing,
        placement_token="token-unknown-stock-0001",
        seen_fingerprint=quote.fingerprint,
        buyer=None,
        contact=Contact("guest@example.ru", "+79161234567", "Гость", {}),
        destination=Destination("77", "Москва", "101000", "ул. Тверская, 1", "Иван", "+79161234567"),
        shipping_method_id=method_id,
        promo_code=None,
        consent=None,
        now=utcnow(),
        holds=HoldPolicy(),
    )
    assert result.created
    session.expire_all()
    assert session.get(Product, product.id).stock is None


def test_cards_and_pages_state_no_stock_figure_and_no_invented_lead_time(client, session):
    load_rates(session)
    category = create_category(session, "Декор")
    supplier = create_supplier(session, city="Нинбо")
    unknown = create_product(session, category, supplier, title="Шар стеклянный", stock=None)
    to_order = create_product(session, category, supplier, title="Гирлянда", stock=0)
    slow = create_product(session, category, supplier, title="Ёлка", stock=0, lead_time_days=20)
    session.commit()

    listing = client.get(f"/catalog/{category.slug}").get_data(as_text=True)
    assert listing.count("наличие уточняйте") == 1
    assert "под заказ, 20 дней" in listing
    assert "под заказ, 0 дней" not in listing and listing.count("под заказ<") == 1

    page = client.get(f"/product/{unknown.id}-{unknown.slug}").get_data(as_text=True)
    assert "наличие уточняйте" in page and "штук в наличии" not in page
    page = client.get(f"/product/{to_order.id}-{to_order.slug}").get_data(as_text=True)
    assert "под заказ" in page and "0 дней" not in page
    page = client.get(f"/product/{slow.id}-{slow.slug}").get_data(as_text=True)
    assert "под заказ, 20 дней" in page


def test_a_supplier_without_kind_rating_or_city_shows_nothing_and_is_no_filter_value(client, session):
    load_rates(session)
    category = create_category(session, "Декор")
    known = create_supplier(session, city="Иу", is_factory=True, rating_tenths=47)
    unknown = create_supplier(session, city="")
    create_product(session, category, known, title="Шар")
    product = create_product(session, category, unknown, title="Гирлянда")
    session.commit()

    card = client.get(f"/product/{product.id}-{product.slug}").get_data(as_text=True)
    card = card.split('class="supplier-card"')[1].split("</aside>")[0]
    assert "Рейтинг" not in card and "фабрика" not in card and "торговая компания" not in card

    assert count_by_city(session, [category.id]) == [("Иу", 1)]
    assert list_supplier_cities(session) == ["Иу"]
    listing = client.get(f"/catalog/{category.slug}").get_data(as_text=True)
    assert 'name="city" value=""' not in listing


def test_descriptions_are_sanitised_and_plain_text_keeps_its_lines():
    dirty = '<h2 class="x">Размеры</h2><p style="a">A<br/>B</p><table><tr><td>1</td></tr></table><a href="/">x</a>'
    assert sanitise_description(dirty) == "<p><b>Размеры</b></p><p>A<br>B</p>1x"
    assert sanitise_description("  просто текст\nвторая строка  ") == "просто текст\nвторая строка"
    assert str(description_markup("a < b\nc & d")) == "a &lt; b<br>\nc &amp; d"
    assert str(description_markup("<p onclick='x()'>ok</p><script>bad()</script>")) == "<p>ok</p>"

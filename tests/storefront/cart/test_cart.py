"""Cart: add within MOQ and stock, break hints, header counter, bad quantities, tampered cookie, merge at sign-in."""

import pytest
from sqlalchemy import func, select

from storefront.cart.models import Cart, CartLine
from tests.support.factories import create_buyer, create_shop
from tests.support.web import add_to_cart, csrf_token, login


def _lines(session):
    session.expire_all()
    return [(line.product_id, line.quantity) for line in session.scalars(select(CartLine).order_by(CartLine.id))]


def test_adding_shows_the_break_price_and_the_next_break_hint(client, session):
    product = create_shop(session, moq=5)
    session.commit()
    response = add_to_cart(client, product.id, 8)
    assert response.status_code == 303
    page = client.get("/cart").get_data(as_text=True)
    assert "920,00\xa0₽ за штуку" in page  # 10 USD × 80 × 1.15
    assert "Добавьте ещё 2 шт., чтобы цена стала 828,00\xa0₽ за штуку." in page
    assert "1 товар" in page


@pytest.mark.parametrize("quantity", ["0", "-1", "1000000000", "abc", ""])
def test_bad_quantities_are_refused_in_russian_and_change_nothing(client, session, quantity):
    product = create_shop(session)
    session.commit()
    response = add_to_cart(client, product.id, quantity)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "штук" in page or "Укажите" in page or "Неверное" in page
    assert _lines(session) == []


def test_below_moq_and_above_stock_go_back_to_the_product_with_the_typed_quantity(client, session):
    product = create_shop(session, stock=120, moq=50)
    session.commit()
    below = add_to_cart(client, product.id, 3)
    assert below.status_code == 303
    assert below.location.startswith(f"/product/{product.id}-")
    assert "quantity=3" in below.location
    page = client.get(below.location).get_data(as_text=True)
    assert "Минимальный заказ — 50 штук." in page
    assert 'id="add-qty"' in page and 'value="3"' in page
    above = add_to_cart(client, product.id, 121)
    assert above.status_code == 303
    page = client.get(above.location).get_data(as_text=True)
    assert "В наличии только 120 штук." in page
    assert 'value="121"' in page
    assert _lines(session) == []


def test_a_garbage_quantity_typed_on_the_product_stays_a_russian_400(client, session):
    product = create_shop(session, moq=50)
    session.commit()
    response = add_to_cart(client, product.id, "пятьдесят")
    assert response.status_code == 400
    assert "Укажите" in response.get_data(as_text=True) or "Неверное" in response.get_data(as_text=True)


def test_a_missing_product_is_refused(client, session):
    create_shop(session)
    session.commit()
    response = add_to_cart(client, 999999, 1)
    assert response.status_code == 400
    assert "Этот товар нельзя заказать." in response.get_data(as_text=True)


def test_header_counter_uses_russian_plurals(client, session):
    from tests.support.factories import create_category, create_product, create_supplier

    create_shop(session)
    session.commit()
    category, supplier = create_category(session), create_supplier(session)
    products = [create_product(session, category, supplier, title=f"Товар {n}") for n in range(2)]
    session.commit()
    for product in products:
        add_to_cart(client, product.id, 1)
    assert "2 товара" in client.get("/").get_data(as_text=True)


def test_update_and_remove(client, session):
    product = create_shop(session, moq=2)
    session.commit()
    add_to_cart(client, product.id, 2)
    token = csrf_token(client, "/cart")
    assert (
        client.post("/cart/update", data={"csrf_token": token, "product_id": product.id, "quantity": 1}).status_code
        == 400
    )
    assert _lines(session) == [(product.id, 2)]
    assert (
        client.post("/cart/update", data={"csrf_token": token, "product_id": product.id, "quantity": 10}).status_code
        == 303
    )
    assert _lines(session) == [(product.id, 10)]
    assert client.post("/cart/remove", data={"csrf_token": token, "product_id": product.id}).status_code == 303
    assert _lines(session) == []


def test_a_tampered_cart_cookie_is_ignored_and_changes_nothing(client, session):
    product = create_shop(session)
    session.commit()
    add_to_cart(client, product.id, 3)
    original = client.get_cookie("cart").value
    client.set_cookie("cart", original[:-2] + ("AA" if not original.endswith("AA") else "BB"))
    page = client.get("/cart").get_data(as_text=True)
    assert "Не удалось прочитать вашу корзину" in page
    assert "Ваша корзина пуста." in page
    assert _lines(session) == [(product.id, 3)]


def test_guest_cart_is_merged_into_the_buyers_cart_at_sign_in(client, session):
    product = create_shop(session, moq=2)
    buyer = create_buyer(session)
    session.add(Cart(token="buyer-cart", buyer_id=buyer.id, lines=[CartLine(product_id=product.id, quantity=3)]))
    session.commit()
    add_to_cart(client, product.id, 4)
    assert login(client).status_code == 302
    assert _lines(session) == [(product.id, 7)]
    assert session.scalar(select(func.count(Cart.id))) == 1
    assert client.get_cookie("cart") is None


def test_stale_guest_carts_are_purged_but_buyers_carts_stay(client, session):
    from datetime import timedelta

    from storefront.cart.services import purge_guest_carts
    from storefront.db import utcnow

    product = create_shop(session)
    buyer = create_buyer(session)
    session.add(Cart(token="buyer-cart", buyer_id=buyer.id, lines=[CartLine(product_id=product.id, quantity=1)]))
    session.commit()
    add_to_cart(client, product.id, 2)
    assert purge_guest_carts(session, utcnow() + timedelta(days=59)) == "purged 0"
    assert purge_guest_carts(session, utcnow() + timedelta(days=61)) == "purged 1"
    assert [cart.token for cart in session.scalars(select(Cart))] == ["buyer-cart"]
    assert session.scalar(select(func.count(CartLine.id))) == 1

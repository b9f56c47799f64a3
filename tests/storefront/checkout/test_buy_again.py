"""«Купить снова»: bought products at today's prices and availability, adding some or all to the cart."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.cart.models import Cart, CartLine
from storefront.catalog.models import ProductStatus
from storefront.checkout.buy_again import list_buy_again
from storefront.db import utcnow
from storefront.fx.services import current_pricing
from storefront.order.models import OrderLine, OrderStatus
from tests.support.factories import (
    create_buyer,
    create_category,
    create_product,
    create_shop,
    create_supplier,
    paid_order,
)
from tests.support.web import CSRF_RE, login


def _bought(session: Session):
    """A buyer who bought: a product in stock (twice, last 12 pcs), one now out of stock, one discontinued
    (taken off sale), one archived, and one removed from the catalogue altogether."""
    in_stock = create_shop(session, stock=100)
    category, supplier = create_category(session, name="Сумки", slug="sumki"), create_supplier(session, name="Ningbo")
    out = create_product(session, category, supplier, title="Рюкзак городской", stock=0)
    gone = create_product(session, category, supplier, title="Сумка поясная", status=ProductStatus.DRAFT)
    archived = create_product(session, category, supplier, title="Кошелёк", status=ProductStatus.ARCHIVED)
    buyer = create_buyer(session)
    session.commit()
    plan = [(in_stock, 5, 60), (in_stock, 12, 10), (out, 3, 20), (gone, 4, 30), (archived, 2, 40), (None, 7, 50)]
    for product, quantity, days in plan:
        order = paid_order(session, buyer.id, "100.00", utcnow() - timedelta(days=days))
        session.add(
            OrderLine(
                order_id=order.id, product_id=product.id if product else None, supplier_id=supplier.id,
                sku=product.sku if product else "OLD-1", title=product.title if product else "Зонт складной",
                quantity=quantity, unit_price=Decimal("10.00"), line_amount=Decimal("10.00") * quantity,
                commission_bp=500,
            )
        )  # fmt: skip
    canceled = paid_order(session, buyer.id, "100.00", utcnow())
    canceled.status = OrderStatus.CANCELED
    session.add(
        OrderLine(
            order_id=canceled.id, product_id=out.id, supplier_id=supplier.id, sku="X", title="Отменённый",
            quantity=1, unit_price=Decimal("1.00"), line_amount=Decimal("1.00"), commission_bp=500,
        )
    )  # fmt: skip
    session.commit()
    return buyer, in_stock, out, gone, archived


def test_the_list_has_each_product_once_with_today_price_and_availability(app: Flask, session: Session) -> None:
    buyer, in_stock, out, gone, archived = _bought(session)
    items = list_buy_again(session, buyer.id, current_pricing(session))
    assert [(item.title, item.availability, item.last_quantity, item.times_ordered) for item in items] == [
        ("Кроссовки мужские беговые", "in_stock", 12, 2),
        ("Рюкзак городской", "out_of_stock", 3, 1),
        ("Сумка поясная", "discontinued", 4, 1),
        ("Кошелёк", "archived", 2, 1),
        ("Зонт складной", "discontinued", 7, 1),
    ]
    pricing = current_pricing(session)
    # 12 pcs → the 10-piece break (9.00 USD) at today's rate.
    assert items[0].unit_price == pricing.to_rub(Decimal("9.00"), "USD")
    assert items[-1].unit_price is None


def _form(client) -> str:
    html = client.get("/account/buy-again").get_data(as_text=True)
    return CSRF_RE.search(html).group(1)


def test_the_page_shows_the_products_and_adds_everything_it_can(app: Flask, session: Session) -> None:
    buyer, in_stock, out, gone, archived = _bought(session)
    client = app.test_client()
    login(client)
    html = client.get("/account/buy-again").get_data(as_text=True)
    assert "Купить снова" in html and "Снят с продажи" in html and "Нет в наличии" in html and "В архиве" in html
    assert f'value="{gone.id}"' not in html  # no checkbox for a discontinued product
    response = client.post("/account/buy-again", data={"csrf_token": _form(client), "all": "1"})
    assert response.status_code == 303 and response.location.endswith("/cart")
    lines = session.execute(select(CartLine.product_id, CartLine.quantity).join(Cart)).all()
    assert lines == [(in_stock.id, 12)]
    page = client.get("/cart").get_data(as_text=True)
    assert "«Сумка поясная» нельзя добавить" in page and "«Зонт складной» нельзя добавить" in page


def test_adding_the_selected_respects_the_minimum_order(app: Flask, session: Session) -> None:
    buyer, in_stock, *_ = _bought(session)
    in_stock.moq = 20
    session.commit()
    client = app.test_client()
    login(client)
    response = client.post("/account/buy-again", data={"csrf_token": _form(client), "product_id": [str(in_stock.id)]})
    assert response.status_code == 303
    assert session.execute(select(CartLine.quantity)).scalars().all() == [20]


def test_bad_input_is_a_400_and_changes_nothing(app: Flask, session: Session) -> None:
    buyer, in_stock, out, gone, archived = _bought(session)
    stranger = create_product(session, in_stock.category, in_stock.supplier, title="Чужой товар")
    session.commit()
    client = app.test_client()
    login(client)
    for data in ({}, {"product_id": "abc"}, {"product_id": str(stranger.id)}, {"product_id": "9" * 40}):
        response = client.post("/account/buy-again", data={"csrf_token": _form(client), **data})
        assert response.status_code == 400, data
    assert session.scalar(select(CartLine.id)) is None
    assert client.post("/account/buy-again", data={"all": "1"}).status_code == 400  # no CSRF token: refused
    assert session.scalar(select(CartLine.id)) is None


def test_signed_out_visitors_are_sent_to_sign_in(app: Flask) -> None:
    response = app.test_client().get("/account/buy-again")
    assert response.status_code == 302 and "/account/login" in response.location


def _cart(session: Session) -> list[tuple[int, int]]:
    session.expire_all()
    return [tuple(row) for row in session.execute(select(CartLine.product_id, CartLine.quantity).order_by(CartLine.id))]


def test_quantities_can_be_edited_and_are_checked_against_moq_and_stock(app: Flask, session: Session) -> None:
    buyer, in_stock, *_ = _bought(session)
    in_stock.moq, in_stock.stock = 20, 100
    session.commit()
    client = app.test_client()
    login(client)
    page = client.get("/account/buy-again").get_data(as_text=True)
    assert f'name="quantity-{in_stock.id}"' in page and 'value="20"' in page  # 12 last time, MOQ now 20
    assert "в прошлый раз 12 шт." in page
    ids = {"product_id": [str(in_stock.id)]}
    below = client.post("/account/buy-again", data={"csrf_token": _form(client), **ids, f"quantity-{in_stock.id}": "5"})
    assert below.status_code == 400
    html = below.get_data(as_text=True)
    assert "Минимальный заказ «Кроссовки мужские беговые» — 20 штук." in html and 'value="5"' in html
    above = client.post(
        "/account/buy-again", data={"csrf_token": _form(client), **ids, f"quantity-{in_stock.id}": "101"}
    )
    assert above.status_code == 400 and "в наличии только 100 штук" in above.get_data(as_text=True)
    for garbage in ("", "abc", "-3", "1e3", "0"):
        bad = client.post(
            "/account/buy-again", data={"csrf_token": _form(client), **ids, f"quantity-{in_stock.id}": garbage}
        )
        assert bad.status_code == 400 and "Укажите целое число штук" in bad.get_data(as_text=True), garbage
    assert _cart(session) == []
    ok = client.post("/account/buy-again", data={"csrf_token": _form(client), **ids, f"quantity-{in_stock.id}": "35"})
    assert ok.status_code == 303
    assert _cart(session) == [(in_stock.id, 35)]


def test_a_cart_that_is_not_empty_asks_replace_or_add_and_says_what_happened(app: Flask, session: Session) -> None:
    buyer, in_stock, *_ = _bought(session)
    other = create_product(session, in_stock.category, in_stock.supplier, title="Носки хлопковые", stock=50)
    session.commit()
    client = app.test_client()
    login(client)
    from tests.support.web import add_to_cart

    add_to_cart(client, other.id, 3)
    data = {"product_id": [str(in_stock.id)], f"quantity-{in_stock.id}": "15"}
    ask = client.post("/account/buy-again", data={"csrf_token": _form(client), **data})
    assert ask.status_code == 200
    html = ask.get_data(as_text=True)
    assert "В корзине уже есть товары" in html and "Носки хлопковые — 3 шт." in html
    assert 'value="replace"' in html and 'value="add"' in html
    assert f'name="quantity-{in_stock.id}" value="15"' in html
    assert _cart(session) == [(other.id, 3)]  # nothing changed yet
    added = client.post("/account/buy-again", data={"csrf_token": _form(client), **data, "cart_mode": "add"})
    assert added.status_code == 303
    assert _cart(session) == [(other.id, 3), (in_stock.id, 15)]
    assert "Товары добавлены к тем, что уже были в корзине." in client.get("/cart").get_data(as_text=True)
    replaced = client.post("/account/buy-again", data={"csrf_token": _form(client), **data, "cart_mode": "replace"})
    assert replaced.status_code == 303
    assert _cart(session) == [(in_stock.id, 15)]
    assert "Корзина сначала очищена: в ней теперь только эти товары." in client.get("/cart").get_data(as_text=True)


def test_adding_to_the_cart_checks_stock_against_what_it_already_holds(app: Flask, session: Session) -> None:
    buyer, in_stock, *_ = _bought(session)
    client = app.test_client()
    login(client)
    from tests.support.web import add_to_cart

    add_to_cart(client, in_stock.id, 50)
    data = {"product_id": [str(in_stock.id)], f"quantity-{in_stock.id}": "60", "cart_mode": "add"}
    refused = client.post("/account/buy-again", data={"csrf_token": _form(client), **data})
    assert refused.status_code == 400
    assert "в наличии только 100 штук" in refused.get_data(as_text=True)
    assert _cart(session) == [(in_stock.id, 50)]  # nothing changed

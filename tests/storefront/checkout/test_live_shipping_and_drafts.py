"""Shipping prices without a reload (GET /checkout/shipping, JSON) and the checkout draft kept with the cart."""

from __future__ import annotations

from sqlalchemy import select

from storefront.cart.models import Cart
from storefront.shipping.models import ShippingMethod
from tests.support.factories import create_buyer, create_shop
from tests.support.web import CSRF_RE, add_to_cart, checkout_form, csrf_token, login, place


def test_the_json_endpoint_prices_every_carrier_for_the_region(client, session):
    product = create_shop(session, weight_grams=1500)
    session.commit()
    add_to_cart(client, product.id, 2)
    answer = client.get("/checkout/shipping?region_code=77&city=Москва")
    assert answer.status_code == 200 and answer.is_json
    data = answer.get_json()
    by_code = {option["code"]: option for option in data["options"]}
    # 3 kg to zone 1: СДЭК ПВЗ 490 + 3 × 160 = 970 ₽ (the same figure as the full page).
    assert by_code["cdek-pickup"]["amount"] == "970.00" and by_code["cdek-pickup"]["amount_text"] == "970,00\xa0₽"
    assert by_code["cdek-pickup"]["needs_pickup_point"] is True
    assert by_code["pochta"]["min_days"] == 14 and by_code["pochta"]["max_days"] == 21
    assert {point["city"] for point in data["pickup_points"]} == {"Москва", "Зеленоград"}
    assert data["pickup_points"][0]["city"] == "Москва"  # the typed city first
    assert 'name="shipping_method"' in data["html"]["shipping"] and "970,00\xa0₽" in data["html"]["shipping"]
    assert "Итого" in data["html"]["totals"]
    chosen = by_code["harbin-cargo"]["method_id"]
    picked = client.get(f"/checkout/shipping?region_code=77&shipping_method={chosen}").get_json()
    assert picked["chosen"] == chosen
    assert f'value="{chosen}" data-pickup="0" checked' in picked["html"]["shipping"]


def test_the_json_endpoint_refuses_an_unknown_region_in_russian(client, session):
    create_shop(session)
    session.commit()
    answer = client.get("/checkout/shipping?region_code=999")
    assert answer.status_code == 400 and answer.get_json() == {"error": "Выберите регион из списка."}
    empty = client.get("/checkout/shipping").get_json()
    assert empty["options"] == [] and "Рассчитать доставку" in empty["html"]["shipping"]


def test_the_page_loads_the_script_and_keeps_the_button_for_browsers_without_it(client, session):
    product = create_shop(session)
    session.commit()
    add_to_cart(client, product.id, 1)
    page = client.get("/checkout").get_data(as_text=True)
    assert "/static/storefront/js/checkout.js" in page
    assert 'data-shipping-url="/checkout/shipping"' in page and 'value="recalculate" id="calculate-shipping"' in page


def _draft(client) -> dict[str, str]:
    html = client.get("/checkout").get_data(as_text=True)
    return {"csrf_token": CSRF_RE.search(html).group(1)}


def test_what_was_typed_comes_back_and_is_forgotten_once_the_order_is_placed(client, session):
    product = create_shop(session)
    session.commit()
    add_to_cart(client, product.id, 1)
    typed = {
        "email": "olga@example.ru",
        "name": "Ольга Петрова",
        "region_code": "16",
        "city": "Казань",
        "street": "ул. Баумана, д. 3, кв. 7",
        "postcode": "420111",
        "pickup_point": "KZN19",
        "consent_personal_data": "y",  # never kept
        "placement_token": "x" * 20,  # never kept
    }
    saved = client.post("/checkout/draft", data={**_draft(client), **typed})
    assert saved.status_code == 204
    session.expire_all()
    draft = session.scalars(select(Cart.checkout_draft)).one()
    assert draft["street"] == "ул. Баумана, д. 3, кв. 7" and "consent_personal_data" not in draft
    assert "placement_token" not in draft
    page = client.get("/checkout").get_data(as_text=True)  # the buyer comes back
    assert 'value="ул. Баумана, д. 3, кв. 7"' in page and 'value="Ольга Петрова"' in page
    assert '<option selected value="16">' in page
    assert 'value="KZN19" selected' in page
    assert "Мы сохранили то, что вы ввели в прошлый раз" in page
    pickup = session.scalars(select(ShippingMethod.id).where(ShippingMethod.code == "cdek-pickup")).one()
    assert place(client, pickup, region_code="16", city="Казань", pickup_point="KZN19").status_code == 303
    session.expire_all()
    assert session.scalars(select(Cart.checkout_draft)).one() is None


def test_a_recalculation_keeps_the_draft_and_a_draft_needs_a_cart_and_a_csrf_token(client, session):
    product = create_shop(session)
    session.commit()
    token = {"csrf_token": csrf_token(client)}
    assert client.post("/checkout/draft", data={"csrf_token": "forged", "city": "Казань"}).status_code == 400
    assert client.post("/checkout/draft", data={**token, "city": "Казань"}).status_code == 204
    assert session.scalar(select(Cart.id)) is None  # nothing to keep it with: no cart is made for a draft
    add_to_cart(client, product.id, 1)
    client.post("/checkout", data={**checkout_form(client), "region_code": "54", "city": "Новосибирск"})
    session.expire_all()
    assert session.scalars(select(Cart.checkout_draft)).one()["city"] == "Новосибирск"


def test_a_buyer_finds_the_draft_on_another_device(app, session):
    product = create_shop(session)
    create_buyer(session)
    session.commit()
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        login(device)
    add_to_cart(laptop, product.id, 1)
    laptop.post("/checkout/draft", data={**_draft(laptop), "street": "Красный пр-т, д. 1"})
    assert 'value="Красный пр-т, д. 1"' in phone.get("/checkout").get_data(as_text=True)

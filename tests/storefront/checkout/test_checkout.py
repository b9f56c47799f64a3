"""Checkout: guest and buyer orders, totals, promo codes, idempotent placement, price changes,
stock reservation, guest link, emails, reorder and confirm receipt."""

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from storefront.account.models import Consent, Tier
from storefront.cart.models import CartLine
from storefront.catalog.models import Product
from storefront.db import utcnow
from storefront.order.models import Order, OrderStatus, PaymentStatus
from storefront.order.services import change_payment_status, change_status
from storefront.promo.models import PromoCode, PromoKind
from storefront.shipping.models import ShippingMethod
from tests.support.factories import create_buyer, create_shop, load_rates
from tests.support.web import add_to_cart, checkout_form, csrf_token, login, place


def _method(session, code="cdek-pickup") -> int:
    return session.scalars(select(ShippingMethod.id).where(ShippingMethod.code == code)).one()


def _orders(session):
    session.expire_all()
    return session.scalars(select(Order).order_by(Order.id)).all()


def test_checkout_shows_carriers_with_prices_and_estimates_for_the_region(client, session):
    product = create_shop(session, weight_grams=1500)
    session.commit()
    add_to_cart(client, product.id, 2)
    hidden = checkout_form(client)
    page = client.post("/checkout", data={"region_code": "77", "action": "recalculate", **hidden}).get_data(
        as_text=True
    )
    # 3 kg to zone 1: СДЭК ПВЗ 490 + 3 × 160 = 970 ₽; 14–21 дней by Почта России.
    assert "СДЭК — пункт выдачи" in page and "970,00\xa0₽" in page
    assert "доставка 8–12 дней" in page
    assert "доставка 14–21 день" in page
    assert "Сборный груз через склад в Харбине" in page
    assert "в т. ч. НДС 22\xa0%" in page


def test_a_guest_places_an_order_once_even_when_the_form_is_sent_twice(client, session, mailbox):
    product = create_shop(session, stock=10)
    session.commit()
    add_to_cart(client, product.id, 4)
    hidden = checkout_form(client)
    first = place(client, _method(session), hidden)
    assert first.status_code == 303
    second = place(client, _method(session), hidden)
    assert second.status_code == 303
    # The same order (its guest link is signed with the time, so the token may differ by a second).
    assert first.headers["Location"].split("?")[0] == second.headers["Location"].split("?")[0]
    orders = _orders(session)
    assert len(orders) == 1
    order = orders[0]
    assert order.number == f"MK-{utcnow().year}-{order.id:06d}"
    assert order.email == "guest@example.ru" and order.phone == "+79161234567"
    assert order.payment_status == PaymentStatus.UNPAID
    assert order.subtotal_amount == Decimal("3680.00")
    assert order.shipping_amount == Decimal("810.00")  # St Petersburg is zone 1: 490 + 2 kg × 160
    assert order.total_amount == order.subtotal_amount + order.shipping_amount
    assert order.vat_amount == (order.total_amount * 22 / 122).quantize(Decimal("0.01"))
    assert order.status == OrderStatus.NEW
    assert [h.to_status for h in order.history] == ["new"]
    session.refresh(product)
    assert product.stock == 6
    assert session.scalar(select(func.count(CartLine.id))) == 0
    consent = session.scalars(select(Consent)).one()
    assert consent.buyer_id is None and consent.email == "guest@example.ru" and consent.source_page == "/checkout"
    assert len(mailbox.messages) == 1
    mail = mailbox.messages[0]
    assert order.number in mail["Subject"]
    assert mail.get_body(("html",)) is not None
    text = mail.get_body(("plain",)).get_content()
    assert "в т. ч. НДС" in text and "?t=" in text


def test_the_guest_link_opens_the_order_and_a_forged_one_does_not(client, session, mailbox):
    product = create_shop(session)
    session.commit()
    add_to_cart(client, product.id, 1)
    pay_page = place(client, _method(session))
    location = pay_page.headers["Location"]
    assert "/pay" in location
    assert "Онлайн-оплата пока не подключена" in client.get(location).get_data(as_text=True)
    order = _orders(session)[0]
    text = mailbox.messages[0].get_body(("plain",)).get_content()
    link = re.search(r"https?://[^/\s]+(/orders/\S+)", text).group(1)
    assert client.get(link).status_code == 200
    assert client.get(f"/orders/{order.number}").status_code == 404
    assert client.get(f"/orders/{order.number}?t=forged").status_code == 404


def test_missing_consent_and_bad_fields_are_refused_and_nothing_is_ordered(client, session):
    product = create_shop(session)
    session.commit()
    add_to_cart(client, product.id, 1)
    for changes in (
        {"consent_personal_data": ""},
        {"postcode": "12345"},
        {"phone": "12"},
        {"email": "nope"},
        {"region_code": "99"},
        {
            "kind": "company",
            "company_name": "ООО «Ромашка»",
            "inn": "7707083894",
            "kpp": "770701001",
            "legal_address": "Москва",
        },
        {"shipping_method": ""},
    ):
        fields = dict(changes)
        method = fields.pop("shipping_method", _method(session))
        response = place(client, method, **fields)
        assert response.status_code == 400, changes
    assert _orders(session) == []
    session.refresh(product)
    assert product.stock == 100


def test_missing_csrf_token_places_nothing(client, session):
    product = create_shop(session)
    session.commit()
    add_to_cart(client, product.id, 1)
    hidden = checkout_form(client)
    hidden["csrf_token"] = ""
    assert place(client, _method(session), hidden).status_code == 400
    assert _orders(session) == []


def test_a_price_change_since_the_cart_was_shown_asks_to_confirm(client, session):
    product = create_shop(session)
    session.commit()
    add_to_cart(client, product.id, 1)
    hidden = checkout_form(client)
    load_rates(session, usd="90.0000")  # the rate moved while the buyer was filling the form
    session.commit()
    changed = place(client, _method(session), hidden)
    assert changed.status_code == 409
    page = changed.get_data(as_text=True)
    assert "изменились цены или наличие" in page and "1\xa0035,00\xa0₽" in page
    assert _orders(session) == []
    confirmed = place(client, _method(session), checkout_form(client))
    assert confirmed.status_code == 303
    assert _orders(session)[0].subtotal_amount == Decimal("1035.00")


def test_stock_taken_by_someone_else_is_reported_and_nothing_is_ordered(client, session):
    product = create_shop(session, stock=5)
    session.commit()
    add_to_cart(client, product.id, 5)
    hidden = checkout_form(client)
    session.execute(Product.__table__.update().values(stock=3))
    session.commit()
    response = place(client, _method(session), hidden)
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    cart_page = client.get("/cart").get_data(as_text=True)
    assert "нельзя заказать в таком виде" in cart_page and "В наличии только 3 штуки." in cart_page
    assert _orders(session) == []
    session.refresh(product)
    assert product.stock == 3


def test_promo_code_and_tier_discount_lines(client, session):
    product = create_shop(session)
    session.commit()
    tier = Tier(code="gold", name="Золото", threshold_amount=Decimal("1200000"), discount_bp=500, free_shipping=True)
    session.add(tier)
    session.add(PromoCode(code="ZIMA10", kind=PromoKind.PERCENT, percent_bp=1000))
    buyer = create_buyer(session, company=True)
    buyer.tier = tier
    session.commit()
    login(client)
    add_to_cart(client, product.id, 10)  # 10 × 828 = 8 280 ₽
    hidden = checkout_form(client)
    page = client.post(
        "/checkout", data={"region_code": "77", "promo_code": "zima10", "action": "recalculate", **hidden}
    ).get_data(as_text=True)
    assert "Скидка уровня «Золото»" in page and "414,00\xa0₽" in page
    assert "Промокод ZIMA10 применён." in page and "786,60\xa0₽" in page
    bad = client.post("/checkout", data={"region_code": "77", "promo_code": "NOPE", "action": "recalculate", **hidden})
    assert "Такого промокода нет" in bad.get_data(as_text=True)
    response = place(
        client,
        _method(session),
        hidden,
        promo_code="ZIMA10",
        kind="company",
        company_name="ООО «Ромашка»",
        inn="7707083893",
        kpp="770701001",
        legal_address="Москва",
        consent_personal_data="",
    )
    assert response.status_code == 303
    order = _orders(session)[0]
    assert (order.tier_discount_amount, order.promo_discount_amount) == (Decimal("414.00"), Decimal("786.60"))
    assert order.shipping_amount == Decimal("0.00")  # the tier ships free
    assert order.total_amount == Decimal("7079.40")
    assert session.scalars(select(PromoCode)).one().used_count == 1
    invoice = client.get(f"/orders/{order.number}/invoice").get_data(as_text=True)
    assert "ИНН 7707083893" in invoice and "КПП 770701001" in invoice and "Счёт №" in invoice


def test_a_used_up_promo_code_is_refused(client, session):
    product = create_shop(session)
    session.add(PromoCode(code="ONCE", kind=PromoKind.FIXED, fixed_amount=Decimal("100"), usage_limit=1, used_count=1))
    session.commit()
    add_to_cart(client, product.id, 1)
    response = place(client, _method(session), promo_code="ONCE")
    assert response.status_code == 400
    assert "исчерпан" in response.get_data(as_text=True)
    assert _orders(session) == []


def test_buyer_sees_orders_reorders_and_confirms_receipt(client, session):
    product = create_shop(session)
    create_buyer(session)
    session.commit()
    login(client)
    add_to_cart(client, product.id, 3)
    place(client, _method(session), consent_personal_data="")
    order = _orders(session)[0]
    listing = client.get("/account/orders").get_data(as_text=True)
    assert order.number in listing and "Ожидает оплаты" in listing
    detail = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "История" in detail and "Повторить заказ" in detail
    load_rates(session, usd="90.0000")
    session.commit()
    token = csrf_token(client, f"/orders/{order.number}")
    reordered = client.post(f"/orders/{order.number}/reorder", data={"csrf_token": token}, follow_redirects=True)
    page = reordered.get_data(as_text=True)
    assert "цена теперь 1\xa0035,00\xa0₽ за штуку (была 920,00\xa0₽)" in page
    assert [(line.product_id, line.quantity) for line in session.scalars(select(CartLine))] == [(product.id, 3)]
    session.expire_all()
    change_payment_status(session, session.get(Order, order.id), PaymentStatus.PAID)
    for status in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        change_status(session, session.get(Order, order.id), status)
    session.commit()
    confirm = client.post(f"/orders/{order.number}/confirm-receipt", data={"csrf_token": token})
    assert confirm.status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).status == OrderStatus.COMPLETED
    again = client.post(f"/orders/{order.number}/confirm-receipt", data={"csrf_token": token})
    assert again.status_code == 409


def test_another_buyer_cannot_open_an_order(client, session):
    product = create_shop(session)
    create_buyer(session)
    create_buyer(session, email="other@example.ru")
    session.commit()
    login(client)
    add_to_cart(client, product.id, 1)
    place(client, _method(session), consent_personal_data="")
    number = _orders(session)[0].number
    client.post("/account/logout", data={"csrf_token": csrf_token(client, "/account/")})
    login(client, email="other@example.ru")
    assert client.get(f"/orders/{number}").status_code == 404


def test_unpaid_orders_expire_and_release_stock(client, session, runner):
    product = create_shop(session, stock=10)
    session.commit()
    add_to_cart(client, product.id, 4)
    place(client, _method(session))
    order = _orders(session)[0]
    from storefront.order.services import expire_unpaid_orders

    assert expire_unpaid_orders(session, utcnow()) == "expired 0"
    assert expire_unpaid_orders(session, utcnow() + timedelta(hours=25)) == "expired 1"
    session.expire_all()
    assert session.get(Order, order.id).status == OrderStatus.CANCELED
    assert session.get(Product, product.id).stock == 10
    assert [h.to_status for h in session.get(Order, order.id).history] == ["new", "canceled"]
    assert expire_unpaid_orders(session, utcnow() + timedelta(hours=26)) == "expired 0"


def test_status_changes_email_the_buyer_and_expiry_cancels_with_an_email(app, client, session, mailbox):
    product = create_shop(session, stock=10)
    session.commit()
    add_to_cart(client, product.id, 2)
    place(client, _method(session))
    order = _orders(session)[0]
    from storefront.order.services import expire_unpaid_orders

    with app.app_context():
        assert expire_unpaid_orders(session, utcnow() + timedelta(hours=25)) == "expired 1"
    subjects = [message["Subject"] for message in mailbox.messages]
    assert subjects == [f"Заказ {order.number} оформлен", f"Заказ {order.number}: Отменён"]
    text = mailbox.messages[1].get_body(("plain",)).get_content()
    assert "Статус заказа" in text and "Отменён" in text


def test_a_guest_creates_an_account_from_the_order(client, session, mailbox):
    product = create_shop(session)
    session.commit()
    add_to_cart(client, product.id, 1)
    place(client, _method(session))
    order = _orders(session)[0]
    text = mailbox.messages[0].get_body(("plain",)).get_content()
    link = re.search(r"https?://[^/\s]+/orders/[^?\s]+\?t=(\S+)", text).group(1)
    path = f"/orders/{order.number}/create-account?t={link}"
    page = client.get(path).get_data(as_text=True)
    assert 'value="guest@example.ru"' in page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        path,
        data={
            "csrf_token": token,
            "email": "guest@example.ru",
            "name": "Анна Смирнова",
            "phone": "+79161234567",
            "kind": "person",
            "password": "long enough password",
            "password_again": "long enough password",
            "consent_personal_data": "y",
        },
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).buyer_id is not None
    assert order.number in client.get("/account/orders").get_data(as_text=True)
    again = client.get(f"/orders/{order.number}/create-account")  # already has an account: back to the order
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/orders/{order.number}")


def test_a_buyer_saves_the_checkout_address_once(client, session):
    from storefront.account.models import Address

    product = create_shop(session)
    create_buyer(session)
    session.commit()
    login(client)
    for _ in range(2):
        add_to_cart(client, product.id, 1)
        assert place(client, _method(session), consent_personal_data="", save_address="y").status_code == 303
    session.expire_all()
    addresses = session.scalars(select(Address)).all()
    assert [(a.region_code, a.postcode, a.phone) for a in addresses] == [("78", "191186", "+79161234567")]
    assert len(_orders(session)) == 2


def test_repeating_an_order_into_a_cart_that_is_not_empty_asks_first(client, session):
    from tests.support.factories import create_product

    product = create_shop(session)
    other = create_product(session, product.category, product.supplier, title="Носки хлопковые", stock=50)
    create_buyer(session)
    session.commit()
    login(client)
    add_to_cart(client, product.id, 3)
    place(client, _method(session), consent_personal_data="")
    order = _orders(session)[0]
    add_to_cart(client, other.id, 2)
    token = csrf_token(client, f"/orders/{order.number}")
    ask = client.post(f"/orders/{order.number}/reorder", data={"csrf_token": token})
    assert ask.status_code == 200
    html = ask.get_data(as_text=True)
    assert f"товары заказа {order.number}" in html and "Носки хлопковые — 2 шт." in html
    assert f'action="/orders/{order.number}/reorder"' in html
    lines = lambda: sorted((line.product_id, line.quantity) for line in session.scalars(select(CartLine)))  # noqa: E731
    session.expire_all()
    assert lines() == [(other.id, 2)]
    replaced = client.post(
        f"/orders/{order.number}/reorder", data={"csrf_token": token, "cart_mode": "replace"}, follow_redirects=True
    )
    assert "Корзина сначала очищена" in replaced.get_data(as_text=True)
    session.expire_all()
    assert lines() == [(product.id, 3)]
    added = client.post(
        f"/orders/{order.number}/reorder", data={"csrf_token": token, "cart_mode": "add"}, follow_redirects=True
    )
    assert "Товары добавлены к тем, что уже были в корзине." in added.get_data(as_text=True)
    session.expire_all()
    assert lines() == [(product.id, 6)]

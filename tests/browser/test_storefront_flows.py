"""A guest from a category page to a placed order; a company buyer through checkout and reorder;
cart and checkout at 390 px. Every page is saved as a screenshot."""

import pytest
from sqlalchemy import select

from storefront.account.models import Address
from storefront.order.models import Order
from tests.browser.conftest import wait_until
from tests.support.factories import create_buyer, create_shop

pytestmark = pytest.mark.browser


def _fill_guest_checkout(page, shots, step_prefix=""):
    page.fill("#email", "anna@example.ru")
    page.fill("#name", "Анна Смирнова")
    page.fill("#phone", "8 916 123-45-67")
    page.select_option("#region_code", "78")
    page.fill("#city", "Санкт-Петербург")
    page.fill("#postcode", "191186")
    page.fill("#street", "Невский пр., д. 1, кв. 5")
    page.fill("#recipient", "Анна Смирнова")
    page.fill("#recipient_phone", "+7 916 123-45-67")
    # The carriers and prices arrive without a reload (GET /checkout/shipping); the no-JS button is hidden.
    page.wait_for_selector("input[name=shipping_method]")
    assert page.is_hidden("#calculate-shipping")
    shots(page, f"{step_prefix}checkout-shipping")


def order_number_in(page) -> bool:
    return "MK-" in page.inner_text("main")


def test_guest_goes_from_a_category_page_to_a_placed_order(page, shots, session, mailbox):
    product = create_shop(session, moq=2)
    category_slug = product.category.slug
    session.commit()

    page.goto(f"/catalog/{category_slug}")
    shots(page, "category")
    page.get_by_text("Кроссовки мужские беговые").first.click()
    page.wait_for_selector("form.add-to-cart")
    shots(page, "product")
    page.fill("#add-qty", "1")
    assert page.eval_on_selector("#add-qty", "input => input.validity.rangeUnderflow")  # MOQ is 2
    page.fill("#add-qty", "8")
    with page.expect_navigation():
        page.get_by_role("button", name="В корзину").click()
    page.get_by_role("link", name="Корзина").click()
    page.wait_for_selector(".cart-line")
    assert "Добавьте ещё 2 шт., чтобы цена стала" in page.content()
    assert "1 товар" in page.inner_text("header")
    shots(page, "cart")

    page.get_by_role("link", name="Перейти к оформлению").click()
    page.wait_for_selector("#checkout-form")
    shots(page, "checkout")
    _fill_guest_checkout(page, shots)
    page.get_by_label("СДЭК — пункт выдачи").check()  # a pickup method shows the region's points
    page.wait_for_selector("#pickup_point", state="visible")
    page.select_option("#pickup_point", "SPB118")
    shots(page, "checkout-pickup-point")
    page.get_by_label("Сборный груз через склад в Харбине").check()  # the totals follow without a reload
    wait_until(page, "document.querySelector('.breakdown').innerText.includes('1\u00a0668,00\u00a0₽')")
    assert page.is_hidden("#pickup_point")
    page.get_by_label("Даю согласие").check()
    assert not page.get_by_label("Согласен получать предложения").is_checked()
    shots(page, "checkout-filled")
    page.get_by_role("button", name="Оформить заказ").click()
    page.wait_for_url("**/pay**")
    assert "оформлен" in page.content()
    shots(page, "pay")
    page.get_by_role("link", name="Перейти к заказу").click()
    page.wait_for_url("**/orders/MK-*")
    page.wait_for_selector(".timeline")
    assert "Ожидает оплаты" in page.inner_text("main")
    shots(page, "order")

    session.expire_all()
    order = session.scalars(select(Order)).one()
    assert order.shipping_method_name == "Сборный груз через склад в Харбине"
    assert order.email == "anna@example.ru"
    assert [message["Subject"] for message in mailbox.messages] == [f"Заказ {order.number} оформлен"]


def test_company_buyer_checks_out_with_inn_and_repeats_the_order(page, shots, session, mailbox):
    product = create_shop(session)
    session.commit()
    buyer = create_buyer(session, company=True)
    session.add(
        Address(
            buyer=buyer,
            region_code="77",
            city="Москва",
            postcode="125009",
            street="ул. Тверская, д. 7, офис 12",
            recipient="Иван Петров",
            phone="+79161234567",
        )
    )
    session.commit()

    page.goto("/account/login")
    shots(page, "login")
    page.fill("#email", "Buyer@Example.ru")
    page.fill("#password", "correct horse battery")
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url("**/account/")
    shots(page, "account")

    page.goto(f"/product/{product.id}-{product.slug}")
    page.fill("#add-qty", "12")
    with page.expect_navigation():
        page.get_by_role("button", name="В корзину").click()
    page.goto("/checkout")
    assert page.input_value("#inn") == "7707083893"
    page.get_by_label("СДЭК — курьер до двери").check()
    wait_until(
        page, "document.querySelector('#pickup-point-field') && document.querySelector('#pickup-point-field').hidden"
    )
    shots(page, "checkout")
    page.get_by_role("button", name="Оформить заказ").click()
    page.wait_for_url("**/pay**")
    page.get_by_role("link", name="Перейти к заказу").click()
    page.wait_for_selector(".timeline")
    shots(page, "order")
    page.get_by_role("link", name="Счёт", exact=True).click()
    page.wait_for_selector(".invoice")
    assert "ИНН 7707083893" in page.content() and "КПП 770701001" in page.content()
    shots(page, "invoice")
    page.go_back()
    page.wait_for_selector(".timeline")
    page.get_by_role("button", name="Повторить заказ").click()
    page.wait_for_url("**/cart")
    assert "добавлены в корзину по сегодняшним ценам" in page.content()
    shots(page, "reorder-cart")
    page.goto("/account/orders")
    assert order_number_in(page)
    shots(page, "orders")

    session.expire_all()
    order = session.scalars(select(Order)).one()
    assert (order.inn, order.kpp, order.company_name) == ("7707083893", "770701001", "ООО «Ромашка»")


def test_cart_and_checkout_fit_a_390_px_phone(browser, live_server, shots, session, mailbox):
    product = create_shop(session)
    session.commit()
    context = browser.new_context(
        base_url=live_server, locale="ru-RU", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        page.goto(f"/product/{product.id}-{product.slug}")
        page.fill("#add-qty", "3")
        with page.expect_navigation():
            page.get_by_role("button", name="В корзину").click()
        page.goto("/cart")
        shots(page, "mobile-cart")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto("/checkout")
        _fill_guest_checkout(page, shots, "mobile-")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()

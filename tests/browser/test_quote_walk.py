"""Issue 18's walk: an account manager builds a quote on a buyer card (a product by SKU, a negotiated price) and
sends it; the buyer opens it in the account, places the order from it in one click and pays through the YooKassa
stand-in. At 1366 and 390 px: Russian only, no sideways scroll, screenshots in test-artifacts/."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.buyers.services import assign_managers
from crm.staff.models import Role
from storefront.order.models import Order
from storefront.quotes.models import Quote
from tests.browser.conftest import assert_no_sideways_scroll, open_tab, sign_in
from tests.storefront.quotes.test_quotes import world
from tests.support.factories import make_staff

pytestmark = pytest.mark.browser

LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
#: Latin that belongs on a Russian page: e-mail addresses, SKUs and codes with digits, «PDF», «CRM».
NOT_ENGLISH = re.compile(r"\S+@\S+|\b[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*\b|\bPDF\b|\bCRM\b")


def _russian_only(tab, step: str) -> None:
    text = tab.inner_text("main")
    assert LATIN_WORD.findall(NOT_ENGLISH.sub(" ", text)) == [], step
    assert_no_sideways_scroll(tab)


@pytest.mark.parametrize("width", [1366, 390])
def test_a_manager_sends_a_quote_the_buyer_accepts_and_pays(browser, shots, session, pay_app, standin, width):
    buyer, product, _case = world(session)
    session.commit()
    manager = make_staff(session, Role.ACCOUNT_MANAGER, email="irina@mostik.local")
    session.commit()
    assign_managers(session, [buyer.id], manager.id)
    session.commit()
    base = pay_app.config["LIVE_URL"]

    staff_context, staff = open_tab(browser, base, width)
    try:
        sign_in(staff, "irina@mostik.local")  # waits for the login's own navigation («**/crm/**» matches the form)
        staff.goto(f"/crm/buyers/{buyer.id}")
        with staff.expect_navigation():
            staff.get_by_role("button", name="Новое коммерческое предложение").click()
        staff.fill("input[name=new_product]", product.sku)
        staff.fill("input[name=new_quantity]", "10")
        with staff.expect_navigation():
            staff.get_by_role("button", name="Сохранить").click()
        assert "Предложение сохранено" in staff.inner_text("main")
        staff.fill("input[name=price-1]", "750,00")
        with staff.expect_navigation():
            staff.get_by_role("button", name="Сохранить").click()
        text = staff.inner_text("main").replace("\u00a0", " ")
        assert "828,00 ₽" in text and "786,60 ₽" in text and "7 500,00 ₽" in text
        _russian_only(staff, "crm-quote-draft")
        shots(staff, f"crm-quote-draft-{width}")
        with staff.expect_navigation():
            staff.get_by_role("button", name="Отправить покупателю").click()
        assert "Предложение отправлено покупателю" in staff.inner_text("main")
        _russian_only(staff, "crm-quote-sent")
        shots(staff, f"crm-quote-sent-{width}")
    finally:
        staff_context.close()
    quote = session.scalars(select(Quote)).one()

    buyer_context, shopper = open_tab(browser, base, width)
    try:
        sign_in(shopper, "buyer@example.ru", "correct horse battery", "/account/login")
        shopper.get_by_role("link", name="Мои предложения").click()
        shopper.get_by_role("link", name=quote.number).click()
        shopper.wait_for_url(f"**/account/quotes/{quote.id}")
        assert "Оформить заказ по предложению" in shopper.inner_text("main")
        _russian_only(shopper, "account-quote")
        shots(shopper, f"account-quote-{width}")
        shopper.get_by_role("button", name="Оформить заказ по предложению").click()
        shopper.wait_for_url("**/pay")  # the standard payment page: card or SBP
        shopper.get_by_role("link", name="Банковской картой").click()
        shopper.wait_for_url("**/checkout/**")  # the stand-in's payment page
        shots(shopper, f"standin-checkout-{width}")
        shopper.get_by_role("button", name="Оплатить").click()
        order = session.scalars(select(Order)).one()
        shopper.wait_for_url(f"**/orders/{order.number}**")
        shopper.wait_for_selector(".payment-paid", timeout=20000)
        assert "Оплачен" in shopper.inner_text("main")
        _russian_only(shopper, "order-paid")
        shots(shopper, f"order-paid-{width}")
        session.expire_all()
        assert [line.unit_price for line in session.get(Order, order.id).lines] == [Decimal("750.00")]
        shopper.goto(f"/account/quotes/{quote.id}")
        assert "Принято" in shopper.inner_text("main")
        assert "Оформить заказ по предложению" not in shopper.inner_text("main")
    finally:
        buyer_context.close()

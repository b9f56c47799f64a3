"""The buyer-side fixes walked in Chromium at 1366 and 390 px: MOQ back on the product page, live shipping prices
and a СДЭК pickup point, the checkout draft surviving a walk away, «Купить снова» with edited quantities and the
replace-or-add question, the order with its point and a once-named city, the account and the CRM order page.
Every page: no sideways scroll, no English words, no 404 (the favicon included). Screenshots in test-artifacts/."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.staff.models import Role
from storefront.account.models import Address
from storefront.db import utcnow
from storefront.order.models import Order, OrderLine
from tests.browser.conftest import wait_until
from tests.support.factories import PASSWORD, create_buyer, create_shop, make_staff, paid_order

pytestmark = pytest.mark.browser

LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
#: Latin that belongs on a Russian page: the SKU label of the factory product, e-mail addresses, codes with digits.
NOT_ENGLISH = re.compile(r"\S+@\S+|\b[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*\b")


def english_words(text: str) -> list[str]:
    return LATIN_WORD.findall(NOT_ENGLISH.sub(" ", text))


class Walk:
    def __init__(self, page, shots, width: int) -> None:
        self.page, self.shots, self.width = page, shots, width
        self.missing: list[str] = []
        page.on("response", lambda response: response.status == 404 and self.missing.append(response.url))

    def check(self, step: str, text_of: str = "body", fits: bool = True) -> None:
        page = self.page
        page.wait_for_load_state("networkidle")
        self.shots(page, f"{self.width}-{step}")
        # What sticks out of the page (a table inside its own scrolling box may be wider).
        wide = page.evaluate(
            """w => [...document.querySelectorAll('body *')]
              .filter(e => !(e.parentElement && e.parentElement.closest('.table-scroll')))
              .filter(e => e.getBoundingClientRect().right > w + 1)
              .slice(0, 5).map(e => e.tagName + '.' + e.className)""",
            self.width,
        )
        if fits:
            assert page.evaluate("document.documentElement.scrollWidth") <= self.width, (step, wide)
        assert [word for word in english_words(page.inner_text(text_of)) if word != "CRM"] == [], step
        assert self.missing == [], step


def _world(session):
    product = create_shop(session, stock=500, moq=50)
    buyer = create_buyer(session)
    buyer.addresses.append(
        Address(
            region_code="78",
            city="Санкт-Петербург",
            postcode="191186",
            street="Невский пр., д. 1, кв. 5",
            recipient="Иван Петров",
            phone="+79161234567",
        )
    )
    session.commit()
    order = paid_order(session, buyer.id, "60000.00", utcnow() - timedelta(days=40))
    session.add(
        OrderLine(
            order_id=order.id, product_id=product.id, supplier_id=product.supplier_id, sku=product.sku,
            title=product.title, quantity=60, unit_price=Decimal("1000.00"), line_amount=Decimal("60000.00"),
            commission_bp=500,
        )
    )  # fmt: skip
    session.commit()
    return product


@pytest.mark.parametrize("width", [1366, 390])
def test_the_buyer_fixes_fit_the_screen_and_speak_russian(browser, live_server, shots, session, mailbox, width):
    product = _world(session)
    staff = make_staff(session, Role.ADMIN)
    session.commit()
    phone = width < 500
    context = browser.new_context(
        base_url=live_server, locale="ru-RU", viewport={"width": width, "height": 900}, is_mobile=phone, has_touch=phone
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    walk = Walk(page, shots, width)
    try:
        page.goto("/account/login")
        page.fill("#email", "buyer@example.ru")
        page.fill("#password", "correct horse battery")
        with page.expect_navigation():
            page.locator("main").get_by_role("button", name="Войти").click()
        icon = page.evaluate("document.querySelector('link[rel=icon]').href")
        assert "/static/storefront/favicon.svg?v=" in icon

        # 1. Below the minimum: back on the product page with the message and the typed quantity.
        page.goto(f"/product/{product.id}-{product.slug}")
        page.eval_on_selector("#add-qty", "input => input.removeAttribute('min')")  # as an old browser would send
        page.fill("#add-qty", "3")
        with page.expect_navigation():
            page.get_by_role("button", name="В корзину").click()
        assert "/product/" in page.url
        assert "Минимальный заказ — 50 штук." in page.inner_text("main")
        assert page.input_value("#add-qty") == "3"
        walk.check("product-below-moq")
        page.fill("#add-qty", "60")
        with page.expect_navigation():
            page.get_by_role("button", name="В корзину").click()
        page.goto("/cart")
        walk.check("cart")

        # 2. Checkout: prices without a reload, a pickup point, the draft kept while the buyer walks away.
        page.goto("/checkout")
        page.wait_for_selector("input[name=shipping_method]")
        page.select_option("#region_code", "54")
        page.fill("#city", "Новосибирск")
        wait_until(page, "document.querySelector('#shipping-choice').textContent.includes('Красный пр-т')")
        page.get_by_label("СДЭК — пункт выдачи").check()
        page.select_option("#pickup_point", "NSK33")
        page.fill("#street", "Красный пр-т, д. 1, кв. 2")
        page.fill("#postcode", "630099")
        page.wait_for_timeout(1200)  # the draft is sent 0.8 s after the last keystroke
        walk.check("checkout-pickup")
        page.goto("/")
        page.goto("/checkout")
        assert page.input_value("#street") == "Красный пр-т, д. 1, кв. 2"
        assert page.input_value("#region_code") == "54"
        assert page.input_value("#pickup_point") == "NSK33"
        walk.check("checkout-restored")

        # 3. «Купить снова»: quantities are edited and checked; a full cart asks before anything changes.
        page.goto("/account/buy-again")
        page.check(f"#buy-{product.id}")
        assert page.eval_on_selector(f"#qty-{product.id}", "input => input.min") == "50"
        page.eval_on_selector(f"#qty-{product.id}", "input => input.removeAttribute('min')")  # the server checks too
        page.fill(f"#qty-{product.id}", "10")
        with page.expect_navigation():
            page.get_by_role("button", name="Добавить выбранное в корзину").click()
        assert "Минимальный заказ «Кроссовки мужские беговые» — 50 штук." in page.inner_text("main")
        walk.check("buy-again-below-moq")
        page.check(f"#buy-{product.id}")
        page.fill(f"#qty-{product.id}", "70")
        with page.expect_navigation():
            page.get_by_role("button", name="Добавить выбранное в корзину").click()
        assert "В корзине уже есть товары" in page.inner_text("main")
        walk.check("replace-or-add")
        with page.expect_navigation():
            page.get_by_role("button", name="Заменить корзину").click()
        assert "Корзина сначала очищена" in page.inner_text("main")
        assert page.input_value(f"#qty-{product.id}") == "70"
        walk.check("cart-replaced")

        # 4. The order keeps the point; the address names St Petersburg once.
        page.goto("/checkout")
        page.select_option("#region_code", "78")
        page.fill("#city", "Санкт-Петербург")
        page.fill("#postcode", "191186")
        page.fill("#street", "Невский пр., д. 1, кв. 5")
        wait_until(page, "document.querySelector('#shipping-choice').textContent.includes('Невский пр-т')")
        page.get_by_label("СДЭК — пункт выдачи").check()
        page.select_option("#pickup_point", "SPB41")
        with page.expect_navigation():
            page.get_by_role("button", name="Оформить заказ").click()
        page.get_by_role("link", name="Перейти к заказу").click()
        page.wait_for_selector(".timeline")
        text = page.inner_text("main")
        assert "191186, Санкт-Петербург, Невский пр., д. 1, кв. 5" in text
        assert "Пункт выдачи: SPB41: Санкт-Петербург, Невский пр-т, д. 88" in text
        walk.check("order")
        page.goto("/account/")
        assert "Санкт-Петербург, Санкт-Петербург" not in page.inner_text("main")
        walk.check("account")

        # 5. The CRM order page says the same.
        session.expire_all()
        number = session.scalars(select(Order.number).where(Order.pickup_point.is_not(None))).one()
        page.goto("/crm/login")
        page.fill("#email", staff.email)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.locator("main").get_by_role("button", name="Войти").click()
        page.goto(f"/crm/orders/{number}")
        assert "Пункт выдачи: SPB41" in page.inner_text("main")
        # Only the delivery line is ours here: the rest of the CRM order page (status codes such as «placed» in its
        # history, its tables on a phone) is being rewritten with the order statuses.
        walk.check("crm-order", text_of="p.muted:has-text('Пункт выдачи')", fits=width > 500)
    finally:
        context.close()

"""English pages in Chromium at 1366 and 390 px: a buyer on the Gold tier switches to English and walks the product
page, the cart, the checkout and the account's tier block. The product's English title, the attribute names and the
colour, the carriers and their descriptions, and the tier names and perks read English (no Cyrillic in those
elements); switched back to Russian, the same elements read Russian again."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from crm.tiers.services import seed_tiers
from storefront.account.models import Address, Tier
from tests.browser.conftest import assert_no_sideways_scroll, open_tab
from tests.support.factories import create_buyer, create_shop

pytestmark = pytest.mark.browser

CYRILLIC = re.compile("[А-Яа-яЁё]")


def _english(text: str) -> str:
    assert text.strip() and not CYRILLIC.search(text), text
    return text


@pytest.fixture
def gold_buyer_and_product(session):
    product = create_shop(session)
    product.title_en = "Running shoes for men"
    product.attributes = {"Цвет": "чёрный", "Материал верха": "сетка"}
    seed_tiers(session)
    buyer = create_buyer(session, tier=session.scalars(select(Tier).where(Tier.code == "gold")).one())
    session.add(
        Address(
            buyer=buyer,
            region_code="77",
            city="Москва",
            postcode="125009",
            street="ул. Тверская, д. 7",
            recipient="Иван Петров",
            phone="+79161234567",
        )
    )
    session.commit()
    return product


@pytest.mark.parametrize("width", [1366, 390])
def test_a_gold_buyer_walks_english_pages_and_back_to_russian(
    browser, live_server, shots, session, mailbox, gold_buyer_and_product, width
):
    product = gold_buyer_and_product
    context, page = open_tab(browser, live_server, width)
    try:
        page.goto("/account/login")
        page.fill("#email", "buyer@example.ru")
        page.fill("#password", "correct horse battery")
        with page.expect_navigation():
            page.get_by_role("button", name="Войти").click()
        product_url = f"/product/{product.id}-{product.slug}"
        page.goto(product_url)
        with page.expect_navigation():
            page.locator("nav.lang a[hreflang=en]").click()
        assert page.get_attribute("html", "lang") == "en"

        assert _english(page.inner_text("h1")) == "Running shoes for men"
        names = page.locator("dl.facts").nth(1).locator("dt").all_inner_texts()
        assert names == ["Colour", "Upper material"]
        assert _english(page.locator("dl.facts").nth(1).locator("dd").first.inner_text()) == "black"
        assert_no_sideways_scroll(page)
        shots(page, f"en-product-{width}")
        page.fill("#add-qty", "12")
        with page.expect_navigation():
            page.locator("form button.btn-primary").first.click()

        page.goto("/cart")
        _english(page.locator(f'a[href*="/product/{product.id}"]').first.inner_text())
        assert_no_sideways_scroll(page)
        shots(page, f"en-cart-{width}")

        page.goto("/checkout")
        options = _english(page.inner_text(".shipping-options"))
        assert "CDEK pickup point" in options and "Russian Post" in options and "Harbin warehouse" in options
        totals = page.locator("tr", has_text="Discount for level")
        assert _english(totals.inner_text()).startswith("Discount for level Gold")
        assert_no_sideways_scroll(page)
        shots(page, f"en-checkout-{width}")

        page.goto("/account/")
        tier = _english(page.inner_text("#tier"))
        assert "Your level: Gold" in tier and "Platinum" in tier and "Priority packing" in tier
        assert_no_sideways_scroll(page)
        shots(page, f"en-account-{width}")

        with page.expect_navigation():
            page.locator("nav.lang a[hreflang=ru]").click()
        assert "Уровень" in page.inner_text("#tier") or "уровень" in page.inner_text("#tier")
        tier = page.inner_text("#tier")
        assert "Золото" in tier and "Платина" in tier and "Приоритетная сборка" in tier
        page.goto("/checkout")
        options = page.inner_text(".shipping-options")
        assert "СДЭК — пункт выдачи" in options and "Почта России" in options
        assert "Золото" in page.locator("tr", has_text="Скидка").first.inner_text()
        page.goto(product_url)
        assert page.inner_text("h1") == product.title
        assert page.locator("dl.facts").nth(1).locator("dt").all_inner_texts() == ["Цвет", "Материал верха"]
        shots(page, f"ru-product-{width}")
    finally:
        context.close()

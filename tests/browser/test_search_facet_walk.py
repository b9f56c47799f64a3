"""The search page's facets in Chromium: the same filter panel as a category page (attributes, minimum order,
supplier kind and rating); tick facets, remove a chip, reset; at 1366 px and on a 390 px phone with no sideways
scroll. Every step is saved as a screenshot."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_no_sideways_scroll, open_tab
from tests.support.factories import create_category, create_product, create_supplier, load_rates

pytestmark = pytest.mark.browser


@pytest.fixture
def backpacks(session):
    load_rates(session, usd="80.0000", cny="11.0000")
    category = create_category(session, "Сумки", slug="sumki")
    suppliers = [
        create_supplier(session, city="Иу", is_factory=False, rating_tenths=42),
        create_supplier(session, city="Гуанчжоу", is_factory=True, rating_tenths=48),
    ]
    for index in range(12):
        create_product(
            session,
            category,
            suppliers[index % 2],
            title=f"Рюкзак городской {index}",
            moq=(1, 50)[index % 2],
            attributes={"Цвет": ("чёрный", "белый", "синий")[index % 3], "Объём": ("15 л", "25 л")[index % 2]},
        )
    session.commit()
    return category


@pytest.mark.parametrize("width", [1366, 390])
def test_a_buyer_narrows_a_search_with_facets_removes_a_chip_and_resets(browser, live_server, shots, backpacks, width):
    context, page = open_tab(browser, live_server, width)
    try:
        page.goto("/search?q=рюкзак")
        assert "Найдено 12 товаров" in page.inner_text("main")
        if width < 1000:
            page.locator("#filters > summary").click()
        page.check('input[name="attr"][value="Цвет:чёрный"]')
        page.check('input[name="kind"][value="factory"]')
        with page.expect_navigation():
            page.get_by_role("button", name="Применить").click()
        shots(page, f"search-two-filters-{width}")
        assert_no_sideways_scroll(page)
        assert page.locator("a.chip").count() == 2
        assert "Найдено 2 товара" in page.inner_text("main")  # black (0, 3, 6, 9) from the factory (odd): 3 and 9
        with page.expect_navigation():
            page.locator("a.chip", has_text="Фабрика").click()
        assert page.locator("a.chip").count() == 1
        assert "Найдено 4 товара" in page.inner_text("main")
        assert "q=" in page.url and "kind=" not in page.url
        with page.expect_navigation():
            page.get_by_role("link", name="Сбросить все").click()
        assert page.locator("a.chip").count() == 0
        assert "Найдено 12 товаров" in page.inner_text("main")
        assert_no_sideways_scroll(page)
        shots(page, f"search-reset-{width}")
    finally:
        context.close()

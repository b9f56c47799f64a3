"""The category page's facets in Chromium: tick facets, remove a chip, reset; at 1366 px and on a 390 px
phone, with no horizontal scroll and chips wrapping. Every step is saved as a screenshot."""

from __future__ import annotations

import pytest

from tests.support.factories import create_category, create_product, create_supplier, load_rates

pytestmark = pytest.mark.browser

COLOURS = ("чёрный", "белый", "тёмно-синий", "бордовый", "серебристый", "мультиколор")


@pytest.fixture
def shop(session):
    load_rates(session, usd="80.0000", cny="11.0000")
    category = create_category(session, "Рюкзаки и сумки", slug="riukzaki")
    suppliers = [
        create_supplier(session, city="Иу", is_factory=False, rating_tenths=42),
        create_supplier(session, city="Гуанчжоу", is_factory=True, rating_tenths=48),
        create_supplier(session, city="Шэньчжэнь"),
    ]
    for index in range(30):
        create_product(
            session,
            category,
            suppliers[index % 3],
            title=f"Рюкзак городской водоотталкивающий с отделением для ноутбука {index}",
            moq=(1, 5, 50, 200)[index % 4],
            stock=index % 2 * 20,
            attributes={
                "Цвет": COLOURS[index % len(COLOURS)],
                "Материал": ("полиэстер 600D с водоотталкивающей пропиткой", "нейлон")[index % 2],
                "Объём": ("15 л", "20 л", "25 л")[index % 3],
            },
        )
    session.commit()
    return category


def _no_horizontal_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_buyer_ticks_facets_removes_a_chip_and_resets_at_1366_px(browser, live_server, shots, shop):
    context = browser.new_context(base_url=live_server, locale="ru-RU", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        page.goto("/catalog/riukzaki")
        assert "30 товаров" in page.inner_text("main")
        page.check('input[name="attr"][value="Цвет:чёрный"]')
        page.check('input[name="moq"][value="1"]')
        page.check('input[name="kind"][value="trader"]')
        with page.expect_navigation():
            page.get_by_role("button", name="Применить").click()
        shots(page, "desktop-three-filters")
        _no_horizontal_scroll(page, 1366)
        chips = page.locator("a.chip")
        assert chips.count() == 3
        count_before = page.inner_text(".count")
        with page.expect_navigation():
            page.locator("a.chip", has_text="Торговая компания").click()
        shots(page, "desktop-chip-removed")
        assert page.locator("a.chip").count() == 2
        assert page.inner_text(".count") != count_before or "kind=" not in page.url
        assert "kind=" not in page.url
        with page.expect_navigation():
            page.get_by_role("link", name="Сбросить все").click()
        shots(page, "desktop-reset")
        assert page.locator("a.chip").count() == 0
        assert "30 товаров" in page.inner_text("main")
    finally:
        context.close()


def test_chips_wrap_on_a_390_px_phone_without_horizontal_scroll(browser, live_server, shots, shop):
    context = browser.new_context(
        base_url=live_server, locale="ru-RU", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        query = (
            "attr=Материал:полиэстер 600D с водоотталкивающей пропиткой&attr=Цвет:тёмно-синий&attr=Цвет:серебристый"
            "&moq=1&moq=10&kind=factory&rating=4.5&city=Гуанчжоу&in_stock=y&price_min=100&price_max=50000"
        )
        page.goto(f"/catalog/riukzaki?{query}")
        shots(page, "phone-chips")
        _no_horizontal_scroll(page, 390)
        boxes = [page.locator("a.chip").nth(n).bounding_box() for n in range(page.locator("a.chip").count())]
        assert len(boxes) == 10
        assert len({round(box["y"]) for box in boxes}) > 2  # wrapped onto several lines
        assert all(box["x"] >= 0 and box["x"] + box["width"] <= 390 for box in boxes)
        page.locator("#filters > summary").scroll_into_view_if_needed()
        shots(page, "phone-filters-open")
        _no_horizontal_scroll(page, 390)
        with page.expect_navigation():
            page.get_by_role("link", name="Сбросить все").click()
        _no_horizontal_scroll(page, 390)
        shots(page, "phone-reset")
    finally:
        context.close()

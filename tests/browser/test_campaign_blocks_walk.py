"""A marketer builds a campaign e-mail from blocks on a laptop (1366 px): heading, text, button, a product found in
the catalogue, the promo code and a divider; previews it at computer and phone widths; saves it as a template;
schedules it at night and confirms the quiet-hours warning. The editor and the preview are then opened on a phone
(390 px): Russian only, no sideways scroll. Every step is saved as a screenshot."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.campaigns.models import Campaign, CampaignStatus, CampaignTemplate
from tests.browser.conftest import assert_no_sideways_scroll, open_tab, press, sign_in
from tests.support import factories
from tests.support.factories import make_staff

pytestmark = pytest.mark.browser


def test_marketer_builds_a_block_email_and_previews_it_on_a_computer_and_a_phone(
    browser, shots, session, live_server
) -> None:
    factories.create_segment(session, "Подписчики на рассылку")
    product = factories.create_product(
        session, factories.create_category(session), factories.create_supplier(session), title="Ботинки зимние"
    )
    product.price_rub_from = Decimal("4990.00")
    make_staff(session, "marketer", email="marina@mostik.local")
    session.commit()

    context, tab = open_tab(browser, live_server, 1366)
    try:
        sign_in(tab, "marina@mostik.local")
        tab.goto("/crm/campaigns/new")
        tab.fill("input[name=name]", "Зимняя обувь")
        tab.select_option("select[name=segment_id]", label="Подписчики на рассылку")
        tab.fill("input[name=subject]", "{{ buyer.first_name }}, зима близко")
        assert tab.is_checked("input[name=body_mode][value=blocks]")  # blocks unless the expert chooses HTML
        tab.select_option("select[name=promo_mode]", value="shared")
        tab.fill("input[name=promo_percent]", "10")
        tab.fill("input[name=shared_code]", "ZIMA10")
        shots(tab, "laptop-new-campaign")
        press(tab, "Сохранить")
        assert "Блоки письма: Зимняя обувь" in tab.inner_text("main h1")
        assert "Письмо пустое" in tab.inner_text("main")

        press(tab, "Заголовок")
        tab.fill("input[name=b0-text]", "{{ buyer.first_name }}, тёплая обувь уже на складе")
        press(tab, "Текст")
        tab.fill("textarea[name=b1-text]", "Новая зимняя коллекция с фабрик Гуанчжоу.\n\nДоставка по всей России.")
        press(tab, "Кнопка")
        tab.fill("input[name=b2-label]", "Смотреть каталог")
        tab.fill("input[name=b2-url]", "https://mostik.example/catalog?sort=new")
        press(tab, "Товары")
        tab.fill("input[name=q]", "Ботинки")
        with tab.expect_navigation():
            tab.get_by_role("button", name="Найти").click()
        row = tab.locator("#found-products tr", has_text="Ботинки зимние")
        assert "4\xa0990,00\xa0₽" in row.inner_text()
        shots(tab, "laptop-product-search")
        with tab.expect_navigation():
            row.get_by_role("button", name="Добавить в блок 4").click()
        assert tab.input_value("input[name=b3-ids]") == str(product.id)
        press(tab, "Промокод")
        tab.fill("input[name=b4-text]", "Ваш промокод на скидку 10 %")
        press(tab, "Разделитель")
        with tab.expect_navigation():  # the divider above the promo code
            tab.locator("#block-5").get_by_role("button", name="Выше").click()
        assert tab.locator("#block-4 legend").inner_text().endswith("Разделитель")
        press(tab, "Сохранить")
        assert "Письмо сохранено." in tab.content()
        shots(tab, "laptop-editor")

        tab.fill("input[name=b2-url]", "javascript:alert(1)")
        press(tab, "Сохранить")
        assert "Блок 3: ссылка должна начинаться с https://." in tab.inner_text("#blocks-error")
        shots(tab, "laptop-refused-link")
        tab.fill("input[name=b2-url]", "https://mostik.example/catalog?sort=new")
        tab.fill("input[name=template_name]", "Зимняя подборка")
        press(tab, "Сохранить как шаблон")
        assert "Шаблон сохранён." in tab.content()

        with tab.expect_navigation():
            tab.get_by_role("link", name="Просмотр на компьютере и телефоне").click()
        desktop = tab.frame_locator("#preview-desktop")
        assert desktop.locator("h1").inner_text() == "Иван, тёплая обувь уже на складе"
        assert "от 4\xa0990,00\xa0₽" in desktop.locator("body").inner_text()
        assert "SAMPLE10" in desktop.locator("body").inner_text()
        widths = tab.evaluate(
            "[...document.querySelectorAll('.preview-pair iframe')].map(f => f.getBoundingClientRect().width)"
        )
        assert widths == [640, 375]
        assert "Доставка по всей России." in tab.inner_text("main pre")  # the plain-text part
        shots(tab, "laptop-preview")

        tab.goto(tab.url.replace("/preview", ""))
        tab.check("input[name=when][value=later]")
        tab.fill("input[name=send_at]", "2030-03-12T04:53")
        press(tab, "Запланировать")
        warning = tab.inner_text("#schedule-warning")
        assert "12.03.2030 04:53 по Москве — в тихие часы" in warning and "Ничего не запланировано." in warning
        shots(tab, "laptop-quiet-hours-warning")
        tab.check("input[name=confirm]")
        press(tab, "Запланировать")
        assert "Рассылка запланирована." in tab.content()
        shots(tab, "laptop-scheduled")
    finally:
        context.close()

    session.expire_all()
    campaign = session.scalars(select(Campaign)).one()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert [block["type"] for block in campaign.body_blocks or []] == [
        "heading", "text", "button", "products", "divider", "promo",
    ]  # fmt: skip
    assert session.scalars(select(CampaignTemplate.name)).all() == ["Зимняя подборка"]

    context, tab = open_tab(browser, live_server, 390)
    try:
        sign_in(tab, "marina@mostik.local")
        for path, name in (
            (f"/crm/campaigns/{campaign.id}/blocks", "phone-editor"),
            (f"/crm/campaigns/{campaign.id}/preview", "phone-preview"),
        ):
            tab.goto(path)
            tab.wait_for_selector("main h1")
            assert_no_sideways_scroll(tab)
            shown = tab.inner_text("main")
            for english in ("Block", "Heading", "Save", "Preview", "Divider", "Products"):
                assert english not in shown
            shots(tab, name)
    finally:
        context.close()

"""The order desk in the browser: an operator confirms a paid order, sends it in two parcels from the CRM order
page, adds a cargo batch event and marks it delivered, while the buyer watches each step on a 390 px phone; no
page of the walk scrolls sideways."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.staff.models import Role
from storefront.fulfilment.models import TrackingEvent
from storefront.order.models import Order, OrderStatus
from storefront.order.services import make_access_token
from tests.storefront.fulfilment.shipping_world import carrier, confirmed_order
from tests.support.factories import PASSWORD, make_staff

pytestmark = pytest.mark.browser


WIDE = (
    "w => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1)"
    ".map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)"
)


def _fits(page, width: int) -> None:
    wide = page.evaluate(WIDE, width)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, (page.url, wide)


def _buyer_sees(buyer, order, app, session, *expected: str) -> str:
    token = make_access_token(session.get(Order, order.id), app.config["SECRET_KEY"])
    buyer.goto(f"/orders/{order.number}?t={token}")
    text = buyer.inner_text("main")
    for words in expected:
        assert words in text, (words, text)
    _fits(buyer, 390)
    return text


def test_an_operator_confirms_ships_in_two_parcels_and_delivers_while_the_buyer_watches_on_a_phone(
    browser, live_server, app, shots, session, mailbox
):
    order = confirmed_order(session, (2, 3), status=OrderStatus.NEW)  # paid, waiting for the supplier
    carrier(session, "cdek")
    make_staff(session, Role.OPERATOR, email="olga@mostik.local")
    session.commit()
    first, second = (line.id for line in order.lines)
    desk = browser.new_context(base_url=live_server, locale="ru-RU", viewport={"width": 1366, "height": 900})
    phone = browser.new_context(
        base_url=live_server, locale="ru-RU", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    try:
        staff = desk.new_page()
        staff.goto("/crm/login")
        staff.fill("#email", "olga@mostik.local")
        staff.fill("#password", PASSWORD)
        with staff.expect_navigation():
            staff.get_by_role("button", name="Войти").click()

        buyer = phone.new_page()
        _buyer_sees(buyer, order, app, session, "Оплачен")
        shots(buyer, "buyer-phone-paid")

        staff.goto(f"/crm/orders/{order.number}")
        with staff.expect_navigation():
            staff.get_by_role("button", name="Подтвердить: поставщик подтвердил").click()
        assert "Подтверждён поставщиком" in staff.inner_text("main")
        shots(staff, "crm-confirmed")
        _buyer_sees(buyer, order, app, session, "Подтверждён поставщиком")

        staff.fill(f"#qty-{first}", "2")
        staff.fill(f"#qty-{second}", "1")
        staff.select_option("#carrier", label="Почта России")
        staff.fill("#tracking_number", "RA123456789CN")
        staff.fill("#shipped_on", "2026-12-06")
        with staff.expect_navigation():
            staff.get_by_role("button", name="Отправить", exact=True).click()
        text = staff.inner_text("main")
        assert "Посылка RA123456789CN отправлена." in text and "Отправлен" in text
        shots(staff, "crm-first-parcel")
        _fits(staff, 1366)

        staff.fill(f"#qty-{second}", "2")
        staff.select_option("#carrier", label="Сборный груз через склад в Харбине")
        staff.fill("#tracking_number", "HRB-2026-0007")
        staff.fill("#shipped_on", "2026-12-07")
        with staff.expect_navigation():
            staff.get_by_role("button", name="Отправить", exact=True).click()
        assert "Посылка HRB-2026-0007 отправлена." in staff.inner_text("main")
        assert len(mailbox.messages) == 3  # confirmed; shipped with the first parcel; the second parcel

        staff.goto("/crm/cargo")
        staff.fill("#origin", "Харбин")
        staff.fill("#destination", "Забайкальск")
        staff.select_option("#mode", label="ж/д")
        with staff.expect_navigation():
            staff.get_by_role("button", name="Новая партия").click()
        staff.fill("#numbers", "HRB-2026-0007")
        with staff.expect_navigation():
            staff.get_by_role("button", name="Добавить в партию").click()
        staff.select_option("#kind", label="Отправлен в путь")
        staff.fill("#occurred_on", "2026-12-08")
        staff.fill("#occurred_time", "09:30")
        staff.fill("#place", "Харбин")
        with staff.expect_navigation():
            staff.get_by_role("button", name="Добавить событие всем посылкам").click()
        assert "Событие добавлено 1 посылке." in staff.inner_text("main")
        assert "/crm/cargo/CB-" in staff.url
        shots(staff, "crm-batch")
        _fits(staff, 1366)
        assert session.scalar(select(TrackingEvent.place)) == "Харбин"

        _buyer_sees(buyer, order, app, session, "Посылка 1 от", "Посылка 2 от", "Отправлен в путь", "09:30 по Москве")
        assert buyer.get_attribute("a.tracking-number >> nth=0", "href") == (
            "https://www.pochta.ru/tracking?barcode=RA123456789CN"
        )
        shots(buyer, "buyer-phone-order")

        staff.goto(f"/crm/orders/{order.number}")
        with staff.expect_navigation():
            staff.get_by_role("button", name="Отметить доставленным").click()
        assert "Доставлен" in staff.inner_text("main")
        _buyer_sees(buyer, order, app, session, "Доставлен", "Подтвердить получение")
        shots(buyer, "buyer-phone-delivered")
        session.expire_all()
        assert session.get(Order, order.id).status == OrderStatus.DELIVERED

        crm_phone = phone.new_page()
        crm_phone.goto("/crm/login")
        crm_phone.fill("#email", "olga@mostik.local")
        crm_phone.fill("#password", PASSWORD)
        with crm_phone.expect_navigation():
            crm_phone.get_by_role("button", name="Войти").click()
        for path in ("/crm/cargo", "/crm/tracking-import", staff.url):
            crm_phone.goto(path)
            _fits(crm_phone, 390)
        crm_phone.goto(f"/crm/orders/{order.number}")
        _fits(crm_phone, 390)
        shots(crm_phone, "crm-phone-order")
    finally:
        desk.close()
        phone.close()

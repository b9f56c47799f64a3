"""The order list in Chromium: an operator signs in, opens «Заказы», a tab and a filter; at 1366 px and at 390 px
the page never scrolls sideways (the table scrolls inside its own box)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from crm.staff.models import Role
from storefront.db import utcnow
from storefront.order.models import OrderStatus, PaymentStatus
from tests.support.factories import PASSWORD, create_buyer, make_staff, order_row

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_an_operator_walks_the_order_list_without_sideways_scrolling(
    browser, live_server, shots, session, width: int, height: int
) -> None:
    buyer = create_buyer(session, company=True, name="Константин Константинопольский")
    now = utcnow()
    for n, status in enumerate([OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.COMPLETED]):
        money = PaymentStatus.UNPAID if n == 0 else PaymentStatus.PAID
        order = order_row(buyer.id, status, Decimal("1234567.89"), None if n == 0 else now, payment_status=money)
        order.company_name = "ООО «Международная торгово-логистическая компания Харбин–Москва»"
        session.add(order)
        session.flush()
        order.number = f"MK-2026-{order.id:06d}"
        order.created_at = now - timedelta(days=n)
    make_staff(session, Role.OPERATOR)
    session.commit()
    mobile = width < 500
    context = browser.new_context(
        base_url=live_server, locale="ru-RU", viewport={"width": width, "height": height}, is_mobile=mobile
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    try:
        page.goto("/crm/login")
        page.fill("#email", "operator@mostik.local")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Войти").click()
        page.get_by_role("link", name="Заказы", exact=True).click()
        page.wait_for_url("**/crm/orders/")
        assert "Ожидают оплаты (1)" in page.content()
        shots(page, f"orders-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.get_by_role("link", name="Отправлен (1)").click()
        page.wait_for_url("**status=shipped**")
        page.fill("input[name=q]", "Константин")
        with page.expect_navigation():
            page.get_by_role("button", name="Показать").click()
        assert page.locator("table.crm-orders tbody tr").count() == 1
        shots(page, f"orders-shipped-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()

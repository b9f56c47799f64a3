"""The order desk in the browser: an admin confirms, packs and (for an order shipped without tracking) marks an
order delivered on the CRM order page, then cancels a paid order with a reason (refunded through the YooKassa
stand-in); the buyer watches their order page on a phone (390 px) and a laptop (1366 px), which never scrolls
sideways. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import pytest

from crm.staff.models import Role
from storefront.order.models import Order, OrderStatus, PaymentStatus
from storefront.order.services import change_status, make_access_token
from storefront.payment.attempts import PaymentPolicy, apply_payment_status, start_payment
from tests.browser.conftest import assert_no_sideways_scroll, open_tab
from tests.support.factories import PASSWORD, make_order, make_staff

pytestmark = pytest.mark.browser

WIDTHS = {"phone": 390, "laptop": 1366}


def _paid(session, pay_app, standin) -> Order:
    gateway = pay_app.extensions["payment_gateway"]
    order = make_order(session)
    session.commit()
    payment = start_payment(session, gateway, order, pay_app.config["PUBLIC_BASE_URL"] + "/orders/x", PaymentPolicy())
    standin.pay(payment.yookassa_payment_id)
    with pay_app.app_context():
        apply_payment_status(session, gateway, gateway.get_payment(payment.yookassa_payment_id), PaymentPolicy())
    session.expire_all()
    return session.get(Order, order.id)


def _buyer_looks(browser, pay_app, shots, order: Order, step: str) -> str:
    token = make_access_token(order, pay_app.config["SECRET_KEY"])
    text = ""
    for name, width in WIDTHS.items():
        context, tab = open_tab(browser, pay_app.config["LIVE_URL"], width)
        tab.goto(f"/orders/{order.number}?t={token}")
        tab.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")  # receipts open
        assert_no_sideways_scroll(tab)
        shots(tab, f"buyer-{step}-{name}")
        text = tab.inner_text("main").replace("\u00a0", " ")
        context.close()
    return text


def test_an_admin_processes_an_order_and_the_buyer_watches_it_on_a_phone(browser, shots, session, pay_app, standin):
    standin.auto_notify = False
    order = _paid(session, pay_app, standin)
    other = _paid(session, pay_app, standin)
    make_staff(session, Role.ADMIN, email="oleg@mostik.local")
    session.commit()
    context, crm = open_tab(browser, pay_app.config["LIVE_URL"], 1366)
    crm.goto("/crm/login")
    crm.fill("#email", "oleg@mostik.local")
    crm.fill("#password", PASSWORD)
    with crm.expect_navigation():
        crm.get_by_role("button", name="Войти").click()

    text = _buyer_looks(browser, pay_app, shots, order, "paid")
    assert "Оплачено: 4 449,80 ₽" in text and "ожидаемая доставка" in text

    crm.goto(f"/crm/orders/{order.number}")
    shots(crm, "crm-order-paid")
    with crm.expect_navigation():
        crm.get_by_role("button", name="Подтвердить: поставщик подтвердил").click()
    assert "Заказ подтверждён." in crm.inner_text("main")
    with crm.expect_navigation():
        crm.get_by_role("button", name="Отметить упакованным").click()
    assert "Заказ упакован." in crm.inner_text("main")
    shots(crm, "crm-order-packed")
    text = _buyer_looks(browser, pay_app, shots, order, "packed")
    assert "Упакован" in text

    session.expire_all()
    change_status(session, session.get(Order, order.id), OrderStatus.SHIPPED)  # shipments: another page's work
    session.commit()
    crm.goto(f"/crm/orders/{order.number}")
    with crm.expect_navigation():
        crm.get_by_role("button", name="Отметить доставленным").click()
    shots(crm, "crm-order-delivered")
    text = _buyer_looks(browser, pay_app, shots, order, "delivered")
    assert "Подтвердить получение" in text

    crm.goto(f"/crm/orders/{other.number}")
    crm.locator("#cancel summary").click()
    crm.select_option("#cancel-reason", "supplier_out_of_stock")
    shots(crm, "crm-cancel-form")
    with crm.expect_navigation():
        crm.locator("#cancel button[type=submit]").click()
    main = crm.inner_text("main").replace("\u00a0", " ")
    assert "Заказ отменён." in main and "Возвращено 4 449,80 ₽." in main
    shots(crm, "crm-order-canceled-refunded")
    session.expire_all()
    assert session.get(Order, other.id).payment_status == PaymentStatus.REFUNDED
    text = _buyer_looks(browser, pay_app, shots, session.get(Order, other.id), "canceled")
    assert "Возвращено полностью: 4 449,80 ₽" in text and "товара нет у поставщика" in text
    context.close()

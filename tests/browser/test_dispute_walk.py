"""Buyer protection in the browser: a buyer (phone 390 px and laptop 1366 px) sees the protection and the countdown
on a delivered order, opens a dispute with two photos; an operator answers in the thread and decides it with a
partial refund through the YooKassa stand-in; the buyer sees the decision. No page scrolls sideways. Screenshots in
test-artifacts/screenshots/."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.staff.models import Role
from storefront.db import utcnow
from storefront.fulfilment.models import Carrier, Shipment
from storefront.fulfilment.services import seed_carriers
from storefront.order.models import Order, OrderStatus, PaymentStatus
from storefront.order.services import change_status, make_access_token
from storefront.payment.models import Refund
from storefront.protection.models import Dispute
from tests.browser.conftest import assert_no_sideways_scroll, open_tab
from tests.support.factories import PASSWORD, make_order, make_staff, pay_through_standin, png_bytes

pytestmark = pytest.mark.browser

WIDTHS = {"phone": 390, "laptop": 1366}


def _delivered(session, pay_app, standin) -> Order:
    order = make_order(
        session,
        lines=(
            ("Кроссовки мужские беговые", 4, Decimal("1500.00")),
            ("Носки спортивные, 10 пар", 2, Decimal("350.00")),
        ),
    )
    order = pay_through_standin(session, pay_app, standin.pay, order)
    seed_carriers(session)
    cdek = session.scalars(select(Carrier).where(Carrier.code == "cdek")).one()
    session.add(Shipment(order_id=order.id, carrier_id=cdek.id, tracking_number="1234567890", shipped_at=utcnow()))
    for step in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        change_status(session, order, step, now=utcnow() - timedelta(hours=20))
    session.commit()
    return order


def test_a_buyer_disputes_with_photos_and_an_operator_refunds_part(
    browser, shots, session, pay_app, standin, tmp_path
) -> None:
    standin.auto_notify = False
    order = _delivered(session, pay_app, standin)
    token = make_access_token(order, pay_app.config["SECRET_KEY"])
    make_staff(session, Role.OPERATOR, email="irina@mostik.local")
    session.commit()
    photos = []
    for index, color in enumerate(("red", "navy")):
        path = tmp_path / f"брак-{index}.png"
        path.write_bytes(png_bytes(800, 600, color))
        photos.append(str(path))

    for name, width in WIDTHS.items():
        context, tab = open_tab(browser, pay_app.config["LIVE_URL"], width)
        tab.goto(f"/orders/{order.number}?t={token}")
        text = tab.inner_text("main").replace("\u00a0", " ")
        assert "Заказ защищён" in text and "осталось 2 дня" in text
        assert_no_sideways_scroll(tab)
        shots(tab, f"buyer-protected-{name}")
        context.close()

    context, buyer = open_tab(browser, pay_app.config["LIVE_URL"], WIDTHS["phone"])
    buyer.goto(f"/orders/{order.number}?t={token}")
    buyer.get_by_role("link", name="Открыть спор").click()
    buyer.select_option("#reason", "defect")
    buyer.fill(f"#line-{order.lines[0].id}", "2")
    buyer.fill("#description", "У двух пар отклеилась подошва, фото приложены")
    buyer.set_input_files("#photos", photos)
    assert_no_sideways_scroll(buyer)
    shots(buyer, "buyer-dispute-form-phone")
    with buyer.expect_navigation():
        buyer.get_by_role("button", name="Открыть спор").click()
    text = buyer.inner_text("main")
    assert "Открыт, ждёт нашего ответа" in text and buyer.locator(".dispute-photos img").count() == 2
    assert_no_sideways_scroll(buyer)
    shots(buyer, "buyer-dispute-open-phone")
    dispute = session.scalar(select(Dispute))

    for name, width in WIDTHS.items():
        staff_context, crm = open_tab(browser, pay_app.config["LIVE_URL"], width)
        crm.goto("/crm/login")
        crm.fill("#email", "irina@mostik.local")
        crm.fill("#password", PASSWORD)
        with crm.expect_navigation():
            crm.get_by_role("button", name="Войти").click()
        crm.goto("/crm/disputes")
        assert order.number in crm.inner_text("main")
        assert_no_sideways_scroll(crm)
        shots(crm, f"staff-queue-{name}")
        crm.goto(f"/crm/disputes/{dispute.id}")
        assert_no_sideways_scroll(crm)
        shots(crm, f"staff-dispute-{name}")
        if name == "laptop":
            crm.fill("#body", "Видим брак по фото, вернём деньги за две пары.")
            with crm.expect_navigation():
                crm.get_by_role("button", name="Отправить").click()
            crm.check("input[value='partial_refund']")
            crm.fill("#amount", "3 000,00")
            crm.fill("#note", "Возврат за две пары с браком")
            with crm.expect_navigation():
                crm.get_by_role("button", name="Сохранить решение").click()
            text = crm.inner_text("main").replace("\u00a0", " ")
            assert "Решено: Частичный возврат" in text and "3 000,00 ₽" in text
            shots(crm, "staff-decided-laptop")
        staff_context.close()

    session.expire_all()
    refund = session.scalar(select(Refund))
    assert refund.amount == Decimal("3000.00") and refund.status == "succeeded" and len(standin.refunds) == 1
    assert session.get(Order, order.id).payment_status == PaymentStatus.PARTIALLY_REFUNDED

    buyer.goto(f"/orders/{order.number}?t={token}")
    text = buyer.inner_text("main").replace("\u00a0", " ")
    assert "Решено: Частичный возврат" in text and "Возврат за две пары с браком" in text
    assert_no_sideways_scroll(buyer)
    shots(buyer, "buyer-decided-phone")
    context.close()

"""The CRM in the browser: a staff member signs in, the dashboard draws its charts (vendored Chart.js), a partial
refund from the order page goes through the YooKassa stand-in; and a buyer's account page with tier progress."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.staff.models import Role
from crm.tiers.services import seed_tiers
from storefront.account.models import Tier
from storefront.db import utcnow
from storefront.order.models import Order
from storefront.payment.attempts import PaymentPolicy, apply_payment_status, start_payment
from storefront.payment.models import Refund
from tests.support.factories import PASSWORD, create_buyer, make_order, make_staff, paid_order

pytestmark = pytest.mark.browser


@pytest.fixture
def pay_page(browser, pay_app):
    context = browser.new_context(
        base_url=pay_app.config["LIVE_URL"], locale="ru-RU", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15000)
    tab = context.new_page()
    yield tab
    context.close()


def _history(session) -> dict[str, int]:
    """A year of paid orders across tiers, so the charts have something to draw."""
    seed_tiers(session)
    tier = dict(session.execute(select(Tier.code, Tier.id)).all())
    buyers = {
        code: create_buyer(session, email=f"{code}@example.ru", name=name, tier_id=tier[code], company=code == "gold")
        for code, name in (("silver", "Сергей Волков"), ("gold", "Пётр Иванов"), ("platinum", "Мария Орлова"))
    }
    session.commit()
    now = utcnow()
    for month in range(12):
        for code, amount in (("silver", 40000 + month * 1500), ("gold", 110000 + month * 4000), ("platinum", 260000)):
            order = paid_order(session, buyers[code].id, Decimal(amount), paid_at=now - timedelta(days=30 * month + 1))
            order.tier_code = code
    session.commit()
    return {code: buyer.id for code, buyer in buyers.items()}


def test_a_manager_signs_in_sees_the_dashboard_charts_and_refunds_part_of_an_order(
    pay_page, shots, session, pay_app, standin
):
    standin.auto_notify = False
    buyers = _history(session)
    gateway = pay_app.extensions["payment_gateway"]
    order = make_order(session)
    order.buyer_id = buyers["gold"]
    session.commit()
    payment = start_payment(session, gateway, order, pay_app.config["PUBLIC_BASE_URL"] + "/orders/x", PaymentPolicy())
    standin.pay(payment.yookassa_payment_id)
    with pay_app.app_context():
        apply_payment_status(session, gateway, gateway.get_payment(payment.yookassa_payment_id), PaymentPolicy())
    make_staff(session, Role.ADMIN, email="olga@mostik.local")
    session.commit()

    pay_page.goto("/crm/")
    pay_page.wait_for_url("**/crm/login**")
    pay_page.fill("#email", "olga@mostik.local")
    pay_page.fill("#password", PASSWORD)
    shots(pay_page, "crm-login")
    pay_page.get_by_role("button", name="Войти").click()
    pay_page.wait_for_url("**/crm/")

    for canvas in ("chart-revenue", "chart-tiers"):
        drawn = pay_page.evaluate(
            "id => { const chart = Chart.getChart(id); const box = document.getElementById(id).getBoundingClientRect();"
            " return chart ? [chart.data.datasets.length, box.width, box.height] : null; }",
            canvas,
        )
        assert drawn is not None, f"no chart on #{canvas}"
        datasets, width, height = drawn
        assert datasets >= 1 and width > 100 and height > 100, (canvas, drawn)
    assert "Лучшие покупатели за 12 месяцев" in pay_page.inner_text("main")
    pay_page.wait_for_timeout(800)  # let the bars finish their entry animation for the screenshot
    shots(pay_page, "crm-dashboard")

    pay_page.goto(f"/crm/orders/{order.number}")
    assert "Кроссовки мужские беговые" in pay_page.inner_text("main")
    pay_page.get_by_label("Часть суммы").check()
    pay_page.fill("#amount", "abc")
    pay_page.fill("#reason", "Одна пара с браком")
    with pay_page.expect_navigation():
        pay_page.get_by_role("button", name="Далее: проверить возврат").click()
    assert "Это не сумма" in pay_page.inner_text("main")
    shots(pay_page, "crm-refund-bad-amount")

    pay_page.fill("#amount", "1 999,90")
    with pay_page.expect_navigation():
        pay_page.get_by_role("button", name="Далее: проверить возврат").click()
    figures = pay_page.inner_text("#refund-figures").replace("\u00a0", " ")
    assert "1 999,90 ₽" in figures and "2 449,90 ₽" in figures  # this refund, and what remains refundable
    shots(pay_page, "crm-refund-confirm")
    with pay_page.expect_navigation():
        pay_page.get_by_role("button", name="Вернуть 1 999,90 ₽").click()
    text = pay_page.inner_text("main").replace("\u00a0", " ")
    assert "Возвращено 1 999,90 ₽." in text
    assert "Частично возвращён" in text
    shots(pay_page, "crm-order-partially-refunded")
    session.expire_all()
    assert session.scalar(select(Refund.amount)) == Decimal("1999.90")
    assert session.get(Order, order.id).payment_status == "partially_refunded"


def test_a_buyer_sees_their_tier_and_the_way_to_the_next_one(pay_page, shots, session, pay_app):
    seed_tiers(session)
    silver = session.scalar(select(Tier.id).where(Tier.code == "silver"))
    buyer = create_buyer(session, tier_id=silver, company=True)
    session.commit()
    paid_order(session, buyer.id, "1080000.00", paid_at=utcnow() - timedelta(days=40))
    session.commit()

    pay_page.goto("/account/login")
    pay_page.fill("#email", "buyer@example.ru")
    pay_page.fill("#password", "correct horse battery")
    pay_page.get_by_role("button", name="Войти").click()
    pay_page.wait_for_url("**/account/")

    card = pay_page.locator("#tier")
    assert "Ваш уровень: Серебро" in card.inner_text()
    assert "до уровня Золото осталось 120 000 ₽" in card.inner_text().replace("\u00a0", " ")
    bar = pay_page.locator(".tier-progress span").bounding_box()
    assert bar is not None and bar["width"] > 100
    shots(pay_page, "account-tier-progress")

"""Paying through the browser: order page → «Банковской картой» or «СБП» → YooKassa stand-in's test page →
«Оплатить» / «Отказаться» → back on the order page, which shows the state from our database: pending (refreshing itself)
until the notification arrives, then paid, or failed with «Повторить оплату»."""

import pytest

from tests.support.factories import make_order
from tests.support.web import guest_token

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


def test_a_buyer_pays_on_the_test_page_and_the_order_page_shows_paid(pay_page, shots, session, pay_app, standin):
    standin.auto_notify = False  # the notification is sent below, after the buyer is back
    order = make_order(session)
    session.commit()
    pay_page.goto(f"/orders/{order.number}?t={guest_token(pay_app, order)}")
    shots(pay_page, "order-awaiting-payment")

    pay_page.get_by_role("link", name="Оплатить заказ").click()
    pay_page.wait_for_url("**/pay?**")
    shots(pay_page, "choose-card-or-sbp")
    pay_page.get_by_role("link", name="Банковской картой").click()
    pay_page.wait_for_url("**/checkout/**")
    payment_id = pay_page.url.rsplit("/", 1)[1]
    assert "Тестовая оплата" in pay_page.content()
    shots(pay_page, "standin-checkout")
    pay_page.get_by_role("button", name="Оплатить").click()

    pay_page.wait_for_url(f"**/orders/{order.number}**")
    pay_page.wait_for_selector(".payment-pending")  # the return alone proves nothing
    shots(pay_page, "order-payment-pending")
    standin.send_notification("payment.succeeded", payment_id)
    pay_page.wait_for_selector(".payment-paid")  # after the page refreshed itself
    assert "Оплачен" in pay_page.inner_text("main")
    shots(pay_page, "order-paid")


def test_a_buyer_declines_sees_the_failure_and_can_retry(pay_page, shots, session, pay_app, standin):
    order = make_order(session)
    session.commit()
    pay_page.goto(f"/orders/{order.number}/pay?t={guest_token(pay_app, order)}")
    pay_page.get_by_role("link", name="Банковской картой").click()
    pay_page.wait_for_url("**/checkout/**")
    first_url = pay_page.url
    pay_page.get_by_role("button", name="Отказаться").click()

    pay_page.wait_for_url(f"**/orders/{order.number}**")
    pay_page.wait_for_selector(".payment-failed")  # at once, or after the page refreshed itself
    assert "Ожидает оплаты" in pay_page.inner_text("main")
    shots(pay_page, "order-payment-failed")

    pay_page.get_by_role("link", name="Повторить оплату").click()
    pay_page.get_by_role("link", name="Банковской картой").click()
    pay_page.wait_for_url("**/checkout/**")
    assert pay_page.url != first_url  # a new attempt (new payment, new key)
    assert len(standin.payments) == 2

"""Paying by SBP in the browser at 1366 and 390 px: the order page → «Оплатить заказ» → the choice of «Банковской
картой» or «СБП» → YooKassa's SBP page on the stand-in (a QR for a computer, «Открыть приложение банка» for a phone)
→ confirmed «in the bank» → back on the order page, paid once the notification arrived. Russian only, no sideways
scroll; screenshots in test-artifacts/."""

from __future__ import annotations

import re

import pytest

from storefront.payment.models import Payment, YooKassaMethod
from tests.browser.conftest import assert_no_sideways_scroll, open_tab
from tests.support.factories import make_order
from tests.support.web import guest_token

pytestmark = pytest.mark.browser

LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
#: Latin that belongs on these pages: card networks, the payment service's name, e-mail addresses, codes with digits.
ALLOWED = re.compile(r"\S+@\S+|\b[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*\b|Visa|Mastercard|ЮKassa")


def _english(text: str) -> list[str]:
    return LATIN_WORD.findall(ALLOWED.sub(" ", text))


@pytest.mark.parametrize("width", [1366, 390])
def test_a_buyer_pays_by_sbp(browser, shots, session, pay_app, standin, width):
    order = make_order(session)
    session.commit()
    context, tab = open_tab(browser, pay_app.config["LIVE_URL"], width)
    try:
        tab.goto(f"/orders/{order.number}?t={guest_token(pay_app, order)}")
        tab.get_by_role("link", name="Оплатить заказ").click()
        tab.wait_for_url("**/pay?**")
        main = tab.inner_text("main")
        assert "Банковской картой" in main and "СБП" in main and "Система быстрых платежей" in main
        assert _english(main) == []
        assert_no_sideways_scroll(tab)
        shots(tab, f"{width}-choose")

        tab.get_by_role("link", name="СБП", exact=True).click()
        tab.wait_for_url("**/checkout/**")
        assert "Оплата через СБП" in tab.content()
        qr = tab.locator("img.qr")
        assert qr.is_visible() and qr.bounding_box()["width"] >= 150
        assert_no_sideways_scroll(tab)
        shots(tab, f"{width}-sbp-page")
        if width < 600:  # a phone: the buyer opens the banking app instead of scanning
            tab.get_by_role("link", name="Открыть приложение банка").click()
            tab.wait_for_selector(".app")
            assert_no_sideways_scroll(tab)
            shots(tab, f"{width}-bank-app")

        tab.get_by_role("button", name="Подтвердить в банке").click()
        tab.wait_for_url(f"**/orders/{order.number}**")
        tab.wait_for_selector(".payment-paid")  # the notification arrived; the page refreshed itself
        main = tab.inner_text("main")
        assert "Оплачен" in main and _english(main) == []
        assert_no_sideways_scroll(tab)
        shots(tab, f"{width}-paid")
    finally:
        context.close()

    session.expire_all()
    [attempt] = session.query(Payment).filter_by(order_id=order.id).all()
    assert attempt.method == YooKassaMethod.SBP
    assert standin.payment_record(attempt.yookassa_payment_id)["payment_method"]["type"] == "sbp"

"""Closing documents in the browser: a company buyer (laptop 1366 px and phone 390 px) signs in, finds the УПД on
the delivered order's page, opens it and downloads the PDF; finance opens the buyer's акт сверки with a bad period
(refused in Russian) and a good one. No page scrolls sideways. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm.staff.models import Role
from storefront.documents.upd import upd_for_order
from tests.browser.conftest import assert_no_sideways_scroll, open_tab, sign_in
from tests.storefront.documents.closing import company_order, deliver, pdf_text
from tests.support.factories import PASSWORD, create_buyer, make_staff

pytestmark = pytest.mark.browser

WIDTHS = {"laptop": 1366, "phone": 390}
BUYER_PASSWORD = "correct horse battery"


def test_a_company_buyer_finds_the_upd_and_finance_the_reconciliation(browser, live_server, session, shots) -> None:
    buyer = create_buyer(session, email="buh@romashka.ru", company=True)
    order = company_order(session, buyer_id=buyer.id)
    deliver(session, order, datetime(2026, 12, 6, 9, 0, tzinfo=UTC))
    make_staff(session, Role.FINANCE, email="fin@mostik.local")
    session.commit()
    upd = upd_for_order(session, order.id)
    assert upd is not None

    for name, width in WIDTHS.items():
        context, tab = open_tab(browser, live_server, width)
        sign_in(tab, buyer.email, BUYER_PASSWORD, "/account/login")
        tab.goto(f"/orders/{order.number}")
        link = tab.locator("a[data-upd]")
        assert link.inner_text().strip() == f"УПД № {upd.number}"
        assert_no_sideways_scroll(tab)
        shots(tab, f"order-page-{name}")
        with tab.expect_navigation():
            link.click()
        text = tab.inner_text("main").replace("\u00a0", " ")
        for words in ("Универсальный передаточный документ", "Статус", "ИНН/КПП покупателя", "Всего к оплате"):
            assert words in text, words
        assert "7707083893/770701001" in text
        assert_no_sideways_scroll(tab)
        shots(tab, f"upd-{name}")
        with tab.expect_download() as download:
            tab.get_by_role("link", name="Скачать PDF").click()
        pdf = download.value.path().read_bytes()
        assert "Универсальный передаточный документ" in pdf_text(pdf)
        context.close()

    for name, width in WIDTHS.items():
        context, tab = open_tab(browser, live_server, width)
        sign_in(tab, "fin@mostik.local", PASSWORD, "/crm/login")
        tab.goto(f"/crm/buyers/{buyer.id}")
        with tab.expect_navigation():
            tab.get_by_role("link", name="Акт сверки взаимных расчётов").click()
        tab.fill("#date_from", "2026-12-10")
        tab.fill("#date_to", "2026-12-01")
        with tab.expect_navigation():
            tab.get_by_role("button", name="Показать").click()
        assert "Период должен заканчиваться" in tab.inner_text("main")
        assert_no_sideways_scroll(tab)
        shots(tab, f"reconciliation-refused-{name}")
        tab.fill("#date_from", "2026-12-01")
        tab.fill("#date_to", "2026-12-31")
        with tab.expect_navigation():
            tab.get_by_role("button", name="Показать").click()
        text = tab.inner_text("main").replace("\u00a0", " ")
        assert "Обороты за период" in text and f"УПД № {upd.number}" in text
        assert_no_sideways_scroll(tab)
        shots(tab, f"reconciliation-{name}")
        context.close()

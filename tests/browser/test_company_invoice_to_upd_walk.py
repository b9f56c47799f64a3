"""Issue 16's whole path in Chromium (laptop 1366 px and phone 390 px): a company orders by invoice, finance imports
the bank statement that carries its payment, the buyer's order turns paid, and once delivered the УПД appears on the
buyer's order page and opens. Every step: no sideways scroll. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.staff.models import Role
from storefront.account.models import Address
from storefront.db import utcnow
from storefront.order.models import Order, PaymentStatus
from tests.browser.conftest import assert_no_sideways_scroll, open_tab, sign_in
from tests.storefront.banking.statements import Doc, statement
from tests.storefront.documents.closing import deliver
from tests.support.factories import PASSWORD, create_buyer, create_shop, make_staff

pytestmark = pytest.mark.browser


def _main(tab) -> str:
    return tab.inner_text("main").replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.parametrize("width", [1366, 390])
def test_a_company_pays_by_invoice_finance_imports_the_statement_and_the_upd_appears(
    browser, live_server, shots, session, mailbox, tmp_path, width
) -> None:
    product = create_shop(session, stock=500)
    buyer = create_buyer(session, company=True)
    buyer.addresses.append(
        Address(region_code="77", city="Москва", postcode="125009", street="ул. Тверская, д. 7, офис 12",
                recipient="Иван Петров", phone="+79161234567")
    )  # fmt: skip
    make_staff(session, Role.FINANCE, email="fin@mostik.local")
    session.commit()

    # The buyer orders by invoice.
    context, tab = open_tab(browser, live_server, width)
    sign_in(tab, "buyer@example.ru", "correct horse battery", "/account/login")
    tab.goto(f"/product/{product.id}-{product.slug}")
    tab.fill("#add-qty", "40")
    with tab.expect_navigation():
        tab.get_by_role("button", name="В корзину").click()
    tab.goto("/checkout")
    tab.wait_for_selector("input[name=shipping_method]")
    tab.get_by_label("СДЭК — курьер до двери").check()
    tab.get_by_label("Оплата по счёту (банковский перевод)").check()
    tab.get_by_role("button", name="Оформить заказ").click()
    tab.wait_for_url("**/orders/MK-*")
    order_url = tab.url
    assert "Оплата по счёту" in _main(tab)
    assert_no_sideways_scroll(tab)
    shots(tab, f"{width}-1-ordered-by-invoice")
    session.expire_all()
    order = session.scalars(select(Order)).one()
    assert order.payment_status == PaymentStatus.UNPAID and order.payment_method == "bank_transfer"

    # Finance imports the bank's statement with the company's transfer.
    path = tmp_path / "kl_to_1c.txt"
    path.write_bytes(statement([Doc("777", order.total_amount, f"Оплата по счёту № {order.number}. В т.ч. НДС 22 %")]))
    staff_context, desk = open_tab(browser, live_server, width)
    sign_in(desk, "fin@mostik.local", PASSWORD, "/crm/login")
    desk.goto("/crm/bank/")
    desk.set_input_files("#file", str(path))
    with desk.expect_navigation():
        desk.get_by_role("button", name="Загрузить выписку").click()
    text = _main(desk)
    assert "Сопоставлено и оплачено: 1" in text and order.number in text
    assert_no_sideways_scroll(desk)
    shots(desk, f"{width}-2-statement-imported")
    staff_context.close()

    # The buyer's order is paid; the invoice no longer asks for money.
    tab.goto(order_url)
    assert "Оплачен" in _main(tab)
    assert_no_sideways_scroll(tab)
    shots(tab, f"{width}-3-paid")
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.payment_status == PaymentStatus.PAID

    # Delivered: the УПД is on the order page and opens.
    deliver(session, order, utcnow())
    session.commit()
    tab.goto(order_url)
    link = tab.locator("a[data-upd]")
    assert link.inner_text().strip().startswith("УПД № ")
    shots(tab, f"{width}-4-delivered-with-upd")
    with tab.expect_navigation():
        link.click()
    text = _main(tab)
    assert "Универсальный передаточный документ" in text and "7707083893/770701001" in text
    assert_no_sideways_scroll(tab)
    shots(tab, f"{width}-5-upd")
    context.close()

"""Finance in the browser (laptop 1366 px and phone 390 px): uploads a bank statement in windows-1251 — one payment
pays its order, one partial payment waits for review — sees the summary, then matches the waiting payment to its
order by hand (accepting the difference); uploading the same file again says «Уже загружено». No page scrolls
sideways; no English on the screens. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.staff.models import Role
from storefront.banking.models import BankDocument, DocumentState
from storefront.order.models import Order, PaymentStatus
from tests.browser.conftest import assert_no_sideways_scroll, open_tab, sign_in
from tests.storefront.banking.helpers import company_order
from tests.storefront.banking.statements import Doc, statement
from tests.support.factories import make_staff

pytestmark = pytest.mark.browser

WIDTHS = {"laptop": 1366, "phone": 390}
ENGLISH = re.compile(r"\b(the|and|payment|order|review|statement|import|matched)\b", re.I)


def _main(tab) -> str:
    return tab.inner_text("main").replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.parametrize("name", list(WIDTHS))
def test_finance_imports_a_statement_and_resolves_a_review_item(
    browser, live_server, shots, session, tmp_path, name
) -> None:
    width = WIDTHS[name]
    make_staff(session, Role.FINANCE, email="vera@mostik.local")
    exact, partial = company_order(session, "a@example.ru"), company_order(session, "b@example.ru")
    session.commit()
    path = tmp_path / "kl_to_1c.txt"
    path.write_bytes(
        statement(
            [
                Doc("310", exact.total_amount, f"Оплата по счёту {exact.number}. В т.ч. НДС 22%"),
                Doc("311", partial.total_amount - Decimal("449.80"), f"Оплата по счёту {partial.number}, аванс"),
            ]
        )
    )
    context, tab = open_tab(browser, live_server, width)
    sign_in(tab, "vera@mostik.local")
    tab.get_by_role("link", name="Банковские выписки").first.click() if name == "laptop" else tab.goto("/crm/bank/")
    tab.wait_for_url("**/crm/bank/")
    assert "Разбирать нечего." in _main(tab)
    assert_no_sideways_scroll(tab)
    shots(tab, f"empty-{name}")

    tab.set_input_files("#file", str(path))
    with tab.expect_navigation():
        tab.get_by_role("button", name="Загрузить выписку").click()
    text = _main(tab)
    assert "Выписка загружена" in text and "Сопоставлено и оплачено: 1" in text and exact.number in text
    assert "На разбор: 1" in text and "меньше суммы заказа" in text
    assert not ENGLISH.search(text), ENGLISH.search(text)
    assert_no_sideways_scroll(tab)
    shots(tab, f"imported-{name}")

    tab.get_by_role("link", name="п/п № 311", exact=False).click()
    tab.wait_for_url("**/crm/bank/payments/*")
    assert partial.number in _main(tab)  # the purpose's order is offered
    assert_no_sideways_scroll(tab)
    shots(tab, f"review-item-{name}")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Сопоставить и отметить заказ оплаченным").click()
    assert "не равен сумме заказа" in _main(tab)
    shots(tab, f"difference-refused-{name}")
    tab.check("#accept_difference")
    tab.fill("#note", "Остаток доплатят отдельным платежом")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Сопоставить и отметить заказ оплаченным").click()
    text = _main(tab)
    assert f"Платёж сопоставлен: заказ {partial.number} оплачен." in text and "Разбирать нечего." in text
    assert_no_sideways_scroll(tab)
    shots(tab, f"resolved-{name}")

    tab.set_input_files("#file", str(path))
    with tab.expect_navigation():
        tab.get_by_role("button", name="Загрузить выписку").click()
    assert "Уже загружено: 2" in _main(tab)
    shots(tab, f"again-{name}")
    context.close()

    session.expire_all()
    assert session.get(Order, exact.id).payment_status == PaymentStatus.PAID
    assert session.get(Order, partial.id).payment_status == PaymentStatus.PAID
    states = {d.number: d.state for d in session.scalars(select(BankDocument))}
    assert states == {"310": DocumentState.MATCHED, "311": DocumentState.MATCHED_BY_HAND}

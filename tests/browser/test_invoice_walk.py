"""A company pays by invoice, walked in Chromium at 1366 and 390 px: the checkout's «Оплата по счёту», the order page
with the due date, the invoice with our bank requisites and a QR code that reads back, and the PDF downloaded and
read. Every page: no sideways scroll, no English words, no 404. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from storefront.account.models import Address
from storefront.order.models import Order
from storefront.paperwork.payment_qr import parse_payload
from tests.browser.conftest import assert_no_sideways_scroll, open_tab, wait_until
from tests.support.factories import create_buyer, create_shop

pytestmark = pytest.mark.browser

LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
#: Latin that belongs on a Russian page: e-mail addresses, codes with digits (SKU, order numbers), «PDF», «QR».
NOT_ENGLISH = re.compile(r"\S+@\S+|\b[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*\b|\bPDF\b|\bQR\b")


def english_words(text: str) -> list[str]:
    return LATIN_WORD.findall(NOT_ENGLISH.sub(" ", text))


def _world(session):
    product = create_shop(session, stock=500)
    buyer = create_buyer(session, company=True)
    buyer.addresses.append(
        Address(
            region_code="77",
            city="Москва",
            postcode="125009",
            street="ул. Тверская, д. 7, офис 12",
            recipient="Иван Петров",
            phone="+79161234567",
        )
    )
    session.commit()
    return product


@pytest.mark.parametrize("width", [1366, 390])
def test_a_company_orders_by_invoice_and_opens_it(browser, live_server, shots, session, mailbox, width, tmp_path):
    product = _world(session)
    context, page = open_tab(browser, live_server, width)
    missing: list[str] = []
    page.on("response", lambda response: response.status == 404 and missing.append(response.url))

    def check(step: str) -> None:
        page.wait_for_load_state("networkidle")
        shots(page, f"{width}-{step}")
        assert_no_sideways_scroll(page)
        assert english_words(page.inner_text("main")) == [], step
        assert missing == [], step

    try:
        page.goto("/account/login")
        page.fill("#email", "buyer@example.ru")
        page.fill("#password", "correct horse battery")
        with page.expect_navigation():
            page.locator("main").get_by_role("button", name="Войти").click()
        page.goto(f"/product/{product.id}-{product.slug}")
        page.fill("#add-qty", "40")
        with page.expect_navigation():
            page.get_by_role("button", name="В корзину").click()

        # The checkout: a company sees both ways to pay; a person would not see the invoice.
        page.goto("/checkout")
        page.wait_for_selector("input[name=shipping_method]")
        assert page.input_value("#inn") == "7707083893"
        page.get_by_label("СДЭК — курьер до двери").check()
        invoice_choice = page.get_by_label("Оплата по счёту (банковский перевод)")
        assert invoice_choice.is_visible() and page.get_by_label("Онлайн: картой или через СБП").is_checked()
        page.get_by_label("Физическое лицо").check()
        assert not invoice_choice.is_visible()
        page.get_by_label("Компания или ИП").check()
        invoice_choice.check()
        check("checkout")
        page.get_by_role("button", name="Оформить заказ").click()

        # The order page, not the card payment page: the due date and the invoice.
        page.wait_for_url("**/orders/MK-*")
        assert "/pay" not in page.url
        main = page.inner_text("main")
        assert "Оплата по счёту" in main and "до конца дня" in main
        check("order")

        page.get_by_role("link", name="Открыть счёт").click()
        page.wait_for_selector(".invoice")
        wait_until(page, "document.querySelector('.invoice-qr img').naturalWidth > 0")
        session.expire_all()
        order = session.scalars(select(Order)).one()
        invoice = page.inner_text(".invoice").replace("\u00a0", " ")
        for value in ("Реквизиты для оплаты", "40702810655000012345", "30101810400000000999", "044030999",
                      "ИНН 7707083893", "Назначение платежа", f"Оплата по счёту № {order.number}",
                      "В том числе НДС 22 %", "Всего к оплате", "Оплатить до конца дня"):  # fmt: skip
            assert value in invoice, value
        qr = page.request.get(page.get_attribute(".invoice-qr img", "src"))
        fields = parse_payload(zxingcpp.read_barcodes(Image.open(BytesIO(qr.body())))[0].text)
        assert fields["PersonalAcc"] == "40702810655000012345" and fields["Sum"] == str(int(order.total_amount * 100))
        check("invoice")

        # The PDF, downloaded as the buyer would, with the same requisites and the total.
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Скачать PDF").click()
        saved = tmp_path / f"invoice-{width}.pdf"
        download_info.value.save_as(saved)
        text = "\n".join(p.extract_text() for p in PdfReader(saved).pages).replace("\u00a0", " ")
        total = f"{order.total_amount:,.2f}".replace(",", " ").replace(".", ",")
        assert "40702810655000012345" in text and "ООО «Ромашка»" in text and total in text
        assert order.payment_method == "bank_transfer"
    finally:
        context.close()

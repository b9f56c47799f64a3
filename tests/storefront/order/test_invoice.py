"""Paying by invoice: a company chooses «Оплата по счёту» at checkout, the order is held for banking days, the buyer
lands on the order page with the invoice, whose page, PDF and QR code carry our requisites, the buyer's, the lines,
VAT and the purpose; a paid order's invoice no longer asks for payment. On both engines."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.cart.models import Cart, CartLine
from storefront.checkout.services import Contact, Destination, build_quote, place_order
from storefront.db import utcnow
from storefront.fx.services import current_pricing
from storefront.moscow import to_moscow
from storefront.order.holds import HoldPolicy, PaymentMethod, PaymentMethodNotOffered, bank_transfer_due
from storefront.order.models import Order, PaymentStatus
from storefront.order.services import change_payment_status
from storefront.paperwork.payment_qr import parse_payload
from storefront.paperwork.words import roubles_in_words
from storefront.seller import EXTENSION, seller_of
from storefront.shipping.models import ShippingMethod
from storefront.workdays import is_working_day
from tests.support.factories import create_buyer, create_shop
from tests.support.web import add_to_cart, checkout_form, login, place

COMPANY = {
    "kind": "company",
    "company_name": "ООО «Ромашка»",
    "inn": "7707083893",
    "kpp": "770701001",
    "legal_address": "125009, Москва, ул. Тверская, д. 1",
}


def _method(session: Session) -> int:
    return session.scalars(select(ShippingMethod.id).where(ShippingMethod.code == "cdek-pickup")).one()


def _text(html: str) -> str:
    return html.replace("\u00a0", " ").replace("&#171;", "«").replace("&#187;", "»").replace("&#34;", '"')


def _last_order(session: Session) -> Order:
    session.expire_all()
    return session.scalars(select(Order).order_by(Order.id.desc())).first()


def _place_by_invoice(client: FlaskClient, session: Session, quantity: int = 3, **fields: object):
    product = create_shop(session)
    session.commit()
    add_to_cart(client, product.id, quantity)
    return place(client, _method(session), payment_method="bank_transfer", **{**COMPANY, **fields})


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages).replace("\u00a0", " ")


@pytest.fixture
def no_bank(app: Flask) -> Iterator[None]:
    """The app as configured without our bank requisites."""
    seller = seller_of(app)
    bare = replace(seller, bank=None)
    app.extensions[EXTENSION] = bare
    app.jinja_env.globals["seller"] = bare
    yield
    app.extensions[EXTENSION] = seller
    app.jinja_env.globals["seller"] = seller


def test_a_company_pays_by_invoice_held_for_banking_days_and_lands_on_the_order_page(
    client: FlaskClient, session: Session, mailbox
) -> None:
    before = utcnow()
    response = _place_by_invoice(client, session)

    assert response.status_code == 303
    order = _last_order(session)
    assert response.headers["Location"].startswith(f"/orders/{order.number}")  # not the card payment page
    assert "/pay" not in response.headers["Location"]
    assert order.payment_method == "bank_transfer" and order.is_company
    # Held to the end (Moscow) of the third banking day after the day of placing, not 24 hours or 30 minutes.
    due = bank_transfer_due(order.created_at, 3)
    assert order.expires_at == due and order.expires_at - before > timedelta(days=3)
    last_day = to_moscow(due - timedelta(microseconds=1))
    assert (last_day.hour, last_day.minute) == (23, 59) and is_working_day(last_day.date())

    detail = _text(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Оплата по счёту" in detail and "Открыть счёт" in detail and "Счёт (PDF)" in detail
    assert "оплатите по счёту до конца дня" in detail
    assert "Оплатить заказ" not in detail  # the card payment block is not offered for an invoice order
    mail = mailbox.messages[-1].get_body(("plain",)).get_content()
    assert order.number in mail and "Оплата по счёту: переведите оплату до конца дня" in mail


@pytest.mark.parametrize(
    ("placed", "last_day"),
    [
        # Thursday 3 December, 00:30 in Moscow (still Wednesday in UTC): Fri 4, Mon 7, Tue 8.
        (datetime(2026, 12, 2, 21, 30, tzinfo=UTC), "2026-12-08"),
        # Thursday 30 April: 1 May is a holiday, so Mon 4, Tue 5, Wed 6 May.
        (datetime(2026, 4, 30, 9, 0, tzinfo=UTC), "2026-05-06"),
        # Wednesday 30 December: the New Year holidays run to 11 January.
        (datetime(2026, 12, 30, 9, 0, tzinfo=UTC), "2027-01-13"),
    ],
)
def test_banking_days_are_moscow_days_of_the_production_calendar(placed: datetime, last_day: str) -> None:
    due = bank_transfer_due(placed, 3)
    assert to_moscow(due - timedelta(microseconds=1)).date().isoformat() == last_day
    assert to_moscow(due).time().isoformat() == "00:00:00"  # held through the whole last day


def test_the_checkout_offers_the_choice_and_refuses_it_to_a_person(client: FlaskClient, session: Session) -> None:
    product = create_shop(session)
    session.commit()
    add_to_cart(client, product.id, 2)
    page = _text(client.get("/checkout").get_data(as_text=True))
    assert "Онлайн: картой или через СБП" in page and "Оплата по счёту (банковский перевод)" in page
    assert "3 банковских дня" in page

    refused = place(client, _method(session), payment_method="bank_transfer")  # GUEST is a person
    assert refused.status_code == 400
    assert "Оплата по счёту — только для компаний и ИП" in _text(refused.get_data(as_text=True))
    assert session.scalar(select(func.count(Order.id))) == 0

    junk = place(client, _method(session), payment_method="barter", **COMPANY)
    assert junk.status_code == 400 and session.scalar(select(func.count(Order.id))) == 0

    online = place(client, _method(session), **COMPANY)  # a company may still pay online
    assert online.status_code == 303 and "/pay" in online.headers["Location"]
    order = _last_order(session)
    assert order.payment_method == "card" and order.expires_at - order.created_at == timedelta(minutes=30)


def test_without_bank_requisites_the_method_is_not_offered(client: FlaskClient, session: Session, no_bank) -> None:
    product = create_shop(session)
    session.commit()
    add_to_cart(client, product.id, 2)
    page = _text(client.get("/checkout").get_data(as_text=True))
    assert "Онлайн: картой или через СБП" in page and "Оплата по счёту" not in page

    refused = place(client, _method(session), payment_method="bank_transfer", **COMPANY)

    assert refused.status_code == 400 and session.scalar(select(func.count(Order.id))) == 0


def test_the_invoice_page_carries_both_parties_the_lines_vat_purpose_due_date_and_qr(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    location = _place_by_invoice(client, session, quantity=3).headers["Location"]
    order = _last_order(session)
    token = location.split("t=")[1]
    bank = seller_of(app).bank

    html = _text(client.get(f"/orders/{order.number}/invoice?t={token}").get_data(as_text=True))

    for value in (
        "ООО «Мостик»", "ИНН 7801123455", "КПП 780101001", app.config["SELLER_ADDRESS"], bank.bank_name,
        "БИК", bank.bik, "Расчётный счёт", bank.settlement_account, "Корр. счёт", bank.correspondent_account,
        "ООО «Ромашка»", "ИНН 7707083893", "КПП 770701001", "125009, Москва, ул. Тверская, д. 1",
    ):  # fmt: skip
        assert value in html, value
    assert f"Счёт на оплату № {order.number}" in html or f"Счёт № {order.number}" in html
    assert order.lines[0].title in html
    vat = f"{order.vat_amount:,.2f}".replace(",", " ").replace(".", ",")
    total = f"{order.total_amount:,.2f}".replace(",", " ").replace(".", ",")
    assert "В том числе НДС 22 %" in html and f"{vat} ₽" in html and "Всего к оплате" in html
    date = to_moscow(order.created_at).strftime("%d.%m.%Y")
    purpose = f"Оплата по счёту № {order.number} от {date} за товары, в т.ч. НДС 22 % {vat} ₽"
    assert purpose in html
    assert "Оплатить до конца дня" in html and f"{total} ₽" in html
    assert roubles_in_words(order.total_amount) in html
    assert order.vat_amount == (order.total_amount * 22 / 122).quantize(Decimal("0.01"))

    qr = client.get(f"/orders/{order.number}/invoice-qr.png?t={token}")
    assert qr.status_code == 200 and qr.mimetype == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(BytesIO(qr.data)))
    fields = parse_payload(decoded[0].text)
    assert decoded[0].text.startswith("ST00012|")
    assert fields == {
        "Name": "ООО «Мостик»",
        "PersonalAcc": bank.settlement_account,
        "BankName": bank.bank_name,
        "BIC": bank.bik,
        "CorrespAcc": bank.correspondent_account,
        "PayeeINN": "7801123455",
        "KPP": "780101001",
        "Purpose": purpose,
        "Sum": str(int(order.total_amount * 100)),
    }


def test_the_invoice_pdf_holds_the_requisites_totals_and_the_same_qr(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    location = _place_by_invoice(client, session, quantity=4).headers["Location"]
    order = _last_order(session)
    token = location.split("t=")[1]
    bank = seller_of(app).bank

    response = client.get(f"/orders/{order.number}/invoice.pdf?t={token}")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    text = _pdf_text(response.data)
    total = f"{order.total_amount:,.2f}".replace(",", " ").replace(".", ",")
    vat = f"{order.vat_amount:,.2f}".replace(",", " ").replace(".", ",")
    for value in (
        "Реквизиты для оплаты", bank.bank_name, bank.bik, bank.settlement_account, bank.correspondent_account,
        "7801123455", "780101001", "ООО «Ромашка»", "7707083893", "770701001", f"Счёт № {order.number}",
        "В том числе НДС 22 %", vat, "Всего к оплате", total, "Назначение платежа", "Оплатить до конца дня",
        order.lines[0].title, roubles_in_words(order.total_amount),
    ):  # fmt: skip
        assert value in text, value
    images = PdfReader(BytesIO(response.data)).pages[-1].images
    assert len(images) == 1
    decoded = zxingcpp.read_barcodes(Image.open(BytesIO(images[0].data)))
    fields = parse_payload(decoded[0].text)
    assert fields["PersonalAcc"] == bank.settlement_account and fields["Sum"] == str(int(order.total_amount * 100))
    assert fields["Purpose"].startswith(f"Оплата по счёту № {order.number}")


def test_a_paid_orders_invoice_no_longer_asks_for_payment(client: FlaskClient, session: Session) -> None:
    location = _place_by_invoice(client, session).headers["Location"]
    order = _last_order(session)
    token = location.split("t=")[1]
    change_payment_status(session, order, PaymentStatus.PAID)
    session.commit()

    html = _text(client.get(f"/orders/{order.number}/invoice?t={token}").get_data(as_text=True))
    assert "Оплачен " in html and "invoice-qr.png" not in html and "Назначение платежа" not in html
    assert "Оплатить до" not in html
    assert client.get(f"/orders/{order.number}/invoice-qr.png?t={token}").status_code == 404
    text = _pdf_text(client.get(f"/orders/{order.number}/invoice.pdf?t={token}").data)
    assert "Оплачен " in text and "Оплатить до" not in text and "Назначение платежа" not in text
    assert not PdfReader(BytesIO(client.get(f"/orders/{order.number}/invoice.pdf?t={token}").data)).pages[-1].images


def test_the_invoice_is_seen_only_by_whoever_may_see_the_order(app: Flask, session: Session) -> None:
    create_buyer(session, company=True)
    create_buyer(session, email="other@example.ru")
    session.commit()
    owner = app.test_client()
    login(owner)
    product = create_shop(session)
    session.commit()
    add_to_cart(owner, product.id, 2)
    placed = place(owner, _method(session), checkout_form(owner), payment_method="bank_transfer", **COMPANY)
    assert placed.status_code == 303
    order = _last_order(session)
    paths = [f"/orders/{order.number}/{name}" for name in ("invoice", "invoice.pdf", "invoice-qr.png")]
    for path in paths:
        assert owner.get(path).status_code == 200, path
    listing = _text(owner.get("/account/orders").get_data(as_text=True))
    assert f'href="/orders/{order.number}/invoice.pdf"' in listing and "Счёт (PDF)" in listing

    stranger = app.test_client()
    login(stranger, "other@example.ru")
    anonymous = app.test_client()
    for path in paths:
        assert stranger.get(path).status_code == 404, path
        assert anonymous.get(path).status_code == 401, path
        assert anonymous.get(path + "?t=forged").status_code in (401, 404), path


@pytest.mark.parametrize(
    ("company", "bank_transfers"),
    [({}, True), ({"company_name": "ООО «Ромашка»", "inn": "7707083893"}, False)],
)
def test_place_order_itself_refuses_an_invoice_to_a_person_or_without_requisites(
    session: Session, company: dict[str, str], bank_transfers: bool
) -> None:
    """The rule holds below the form too (``holds.offered_methods``): nothing is written, no stock moves."""
    product = create_shop(session, stock=10)
    cart = Cart(token="cart-invoice", lines=[CartLine(product_id=product.id, quantity=2)])
    session.add(cart)
    session.commit()
    pricing = current_pricing(session)
    method_id = _method(session)
    quote = build_quote(
        session, cart, pricing, region_code="77", shipping_method_id=method_id, promo_code=None, tier=None, now=utcnow()
    )
    with pytest.raises(PaymentMethodNotOffered):
        place_order(
            session,
            cart,
            pricing,
            placement_token="token-invoice-0123456789",
            seen_fingerprint=quote.fingerprint,
            buyer=None,
            contact=Contact("guest@example.ru", "+79161234567", "Гость", company),
            destination=Destination("77", "Москва", "101000", "ул. Тверская, 1", "Иван", "+79161234567"),
            shipping_method_id=method_id,
            promo_code=None,
            consent=None,
            now=utcnow(),
            holds=HoldPolicy(),
            payment_method=PaymentMethod.BANK_TRANSFER,
            bank_transfers=bank_transfers,
        )
    session.rollback()
    session.expire_all()
    assert session.scalar(select(func.count(Order.id))) == 0 and session.get(type(product), product.id).stock == 10

"""Quotes in the storefront: tier and break prices, the price floor and approval, acceptance into an order at the
quoted prices (twice, after expiry, out of stock, concurrently), the expiry job and the PDF."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.account.models import Address, Buyer, BuyerKind, Tier
from storefront.catalog.models import Product
from storefront.db import utcnow
from storefront.fx.services import current_pricing
from storefront.order.holds import HoldPolicy, PaymentMethod, PaymentMethodNotOffered, bank_transfer_due
from storefront.order.models import Order
from storefront.order.services import OutOfStock, TooManyUnpaidOrders
from storefront.quotes.models import Approval, Quote, QuoteStatus
from storefront.quotes.services import (
    LineInput,
    QuotePolicy,
    QuoteRefused,
    accept_quote,
    buyer_quotes,
    decide_approval,
    expire_quotes,
    new_quote,
    save_draft,
    send_quote,
)
from storefront.quotes.web import quote_pdf
from storefront.seller import Seller
from tests.support.factories import create_buyer, create_product, create_shop

POLICY = QuotePolicy(floor_percent=Decimal("85"), valid_days=14)
HOLDS = HoldPolicy()


def gold(session: Session) -> Tier:
    tier = Tier(code="gold", name="Золото", position=3, threshold_amount=Decimal("500000"), discount_bp=500)
    session.add(tier)
    session.flush()
    return tier


def world(session: Session, stock: int = 100) -> tuple[Buyer, Product, Product]:
    """A gold buyer (5 %) with a main address in St Petersburg, and two products (USD 10/9/8 from 1/10/50 pcs)."""
    first = create_shop(session, stock=stock)
    second = create_product(session, first.category, first.supplier, title="Чехол силиконовый", moq=20, stock=stock)
    buyer = create_buyer(session, company=True, tier=gold(session))
    session.add(
        Address(
            buyer_id=buyer.id,
            region_code="78",
            city="Санкт-Петербург",
            postcode="191186",
            street="Невский пр., д. 1",
            recipient="Иван Петров",
            phone="+79161234567",
        )
    )
    session.flush()
    return buyer, first, second


def drafted(session: Session, buyer: Buyer, lines: list[LineInput], days: int = 7) -> Quote:
    now = utcnow()
    quote = new_quote(session, buyer, None, now + timedelta(days=days))
    save_draft(
        session,
        quote,
        lines,
        current_pricing(session),
        valid_until=now + timedelta(days=days),
        note="Цены по договорённости",
        now=now,
        version=quote.version,
    )
    return quote


def offered(session: Session, buyer: Buyer, lines: list[LineInput], days: int = 7) -> Quote:
    quote = drafted(session, buyer, lines, days)
    send_quote(session, quote, POLICY, utcnow(), version=quote.version)
    session.commit()
    return quote


def test_each_line_shows_the_break_price_and_the_tier_price_and_defaults_to_the_tier_price(session: Session) -> None:
    buyer, product, case = world(session)
    quote = drafted(session, buyer, [LineInput(product.id, 10), LineInput(case.id, 60)])
    shoe, cover = quote.lines
    # 9 USD × 80 × 1.15 = 828 ₽ at 10 pcs; 8 USD at 50+ pcs = 736 ₽; gold takes 5 % off.
    assert (shoe.list_price, shoe.tier_price, shoe.unit_price) == (
        Decimal("828.00"),
        Decimal("786.60"),
        Decimal("786.60"),
    )
    assert (cover.list_price, cover.tier_price) == (Decimal("736.00"), Decimal("699.20"))
    assert quote.tier_code == "gold" and quote.tier_discount_bp == 500
    assert quote.total == Decimal("786.60") * 10 + Decimal("699.20") * 60


def test_the_minimum_order_quantity_is_kept(session: Session) -> None:
    buyer, _product, case = world(session)
    with pytest.raises(QuoteRefused) as refused:
        drafted(session, buyer, [LineInput(case.id, 5)])
    assert refused.value.reason == "below_moq" and refused.value.moq == 20


def test_a_price_within_the_floor_goes_to_the_buyer_at_once(session: Session) -> None:
    buyer, product, _case = world(session)
    floor = POLICY.floor(Decimal("828.00"))
    assert floor == Decimal("703.80")
    quote = offered(session, buyer, [LineInput(product.id, 10, floor)])
    assert quote.status == QuoteStatus.SENT and quote.approval == Approval.NONE and quote.sent_at is not None
    assert [q.id for q in buyer_quotes(session, buyer.id)] == [quote.id]


def test_a_price_below_the_floor_waits_for_an_admin_and_the_buyer_sees_nothing_until_then(session: Session) -> None:
    buyer, product, _case = world(session)
    quote = offered(session, buyer, [LineInput(product.id, 10, Decimal("703.79"))])
    assert quote.awaiting_approval and quote.sent_at is None
    assert buyer_quotes(session, buyer.id) == []
    with pytest.raises(QuoteRefused) as refused:
        accept_quote(session, quote, buyer, utcnow(), HOLDS)
    assert refused.value.reason == "not_offered"
    decide_approval(session, quote, staff_id=7, approve=True, now=utcnow(), version=quote.version)
    session.commit()
    assert quote.approval == Approval.APPROVED and quote.approved_by == 7 and quote.sent_at is not None
    assert [q.id for q in buyer_quotes(session, buyer.id)] == [quote.id]


def test_an_admin_may_send_a_quote_below_the_floor_back_to_draft(session: Session) -> None:
    buyer, product, _case = world(session)
    quote = offered(session, buyer, [LineInput(product.id, 10, Decimal("500.00"))])
    decide_approval(session, quote, staff_id=7, approve=False, now=utcnow(), version=quote.version)
    assert quote.status == QuoteStatus.DRAFT and quote.approval == Approval.NONE
    with pytest.raises(QuoteRefused):  # a stale page (the version before) changes nothing
        decide_approval(session, quote, staff_id=7, approve=True, now=utcnow(), version=quote.version - 1)


def test_accepting_makes_an_order_at_the_quoted_prices_holding_the_stock(session: Session) -> None:
    buyer, product, case = world(session)
    quote = offered(session, buyer, [LineInput(product.id, 10, Decimal("750.00")), LineInput(case.id, 20)])
    order = accept_quote(session, quote, buyer, utcnow(), HOLDS)
    session.commit()
    assert [(line.product_id, line.quantity, line.unit_price) for line in order.lines] == [
        (product.id, 10, Decimal("750.00")),
        (case.id, 20, Decimal("786.60")),  # the 9 USD break at 20 pcs = 828 ₽, less 5 %
    ]
    goods = Decimal("7500.00") + Decimal("786.60") * 20
    assert order.subtotal_amount == goods and order.tier_discount_amount == Decimal("0.00")
    assert order.total_amount == goods + order.shipping_amount
    assert order.placement_token == f"quote-{quote.id}" and order.city == "Санкт-Петербург"
    assert quote.status == QuoteStatus.ACCEPTED and quote.order_id == order.id
    session.refresh(product)
    assert product.stock == 90


def test_accepting_twice_is_refused_and_makes_one_order(session: Session) -> None:
    buyer, product, _case = world(session)
    quote = offered(session, buyer, [LineInput(product.id, 10)])
    accept_quote(session, quote, buyer, utcnow(), HOLDS)
    session.commit()
    with pytest.raises(QuoteRefused) as refused:
        accept_quote(session, quote, buyer, utcnow(), HOLDS)
    assert refused.value.reason == "accepted"
    assert session.scalar(select(func.count(Order.id))) == 1


def test_accepting_after_expiry_is_refused_and_the_job_marks_it_expired(session: Session) -> None:
    buyer, product, _case = world(session)
    quote = offered(session, buyer, [LineInput(product.id, 10)], days=3)
    later = utcnow() + timedelta(days=3, minutes=1)
    with pytest.raises(QuoteRefused) as refused:
        accept_quote(session, quote, buyer, later, HOLDS)
    assert refused.value.reason == "expired"
    assert expire_quotes(session, utcnow()) == "expired 0"
    assert expire_quotes(session, later) == "expired 1"
    session.refresh(quote)
    assert quote.status == QuoteStatus.EXPIRED
    with pytest.raises(QuoteRefused):
        accept_quote(session, quote, buyer, utcnow(), HOLDS)
    assert session.scalar(select(func.count(Order.id))) == 0


def test_stock_is_checked_again_and_a_refusal_leaves_the_quote_open(session: Session) -> None:
    buyer, product, _case = world(session, stock=12)
    quote = offered(session, buyer, [LineInput(product.id, 10)])
    product.stock = 4
    session.commit()
    with pytest.raises(OutOfStock):
        accept_quote(session, quote, buyer, utcnow(), HOLDS)
    session.refresh(quote)
    assert quote.status == QuoteStatus.SENT and quote.order_id is None
    assert session.scalar(select(func.count(Order.id))) == 0


def test_a_buyer_without_an_address_is_asked_for_one(session: Session) -> None:
    buyer, product, _case = world(session)
    quote = offered(session, buyer, [LineInput(product.id, 10)])
    other = create_buyer(session, email="other@example.ru")
    quote.buyer_id = other.id
    session.commit()
    with pytest.raises(QuoteRefused) as refused:
        accept_quote(session, quote, other, utcnow(), HOLDS)
    assert refused.value.reason == "no_address"


@pytest.mark.postgres_only
def test_concurrent_accepts_make_exactly_one_order(app, session: Session) -> None:
    buyer, product, _case = world(session)
    quote = offered(session, buyer, [LineInput(product.id, 10)])
    quote_id, buyer_id = quote.id, buyer.id
    engine = session.get_bind()
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    lock = threading.Lock()

    def accept() -> None:
        with Session(engine) as own:
            mine, who = own.get(Quote, quote_id), own.get(Buyer, buyer_id)
            barrier.wait()
            try:
                accept_quote(own, mine, who, utcnow(), HOLDS)
                own.commit()
                result = "ok"
            except QuoteRefused as refused:
                result = refused.reason
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=accept) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted"] * 5 + ["ok"]
    session.expire_all()
    orders = session.scalars(select(Order)).all()
    assert len(orders) == 1
    assert session.get(Quote, quote_id).order_id == orders[0].id
    assert session.get(Product, product.id).stock == 90


def test_the_pdf_holds_the_quote_for_an_accountant(app, session: Session) -> None:
    buyer, product, _case = world(session)
    quote = offered(session, buyer, [LineInput(product.id, 10, Decimal("750.00"))])
    seller = Seller.from_config(app.config)
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        pdf = quote_pdf(quote, seller)
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert pdf.startswith(b"%PDF-")
    assert f"КП-{quote.id:06d}" in text
    assert "Кроссовки мужские беговые" in text and product.sku in text
    assert "7 500,00" in text  # 10 × 750,00 ₽
    assert "ООО «Ромашка»" in text and "7707083893" in text
    assert "Цены по договорённости" in text


def test_the_buyer_is_told_in_russian_when_a_quote_has_expired_or_been_withdrawn(app, session: Session) -> None:
    from tests.support.web import csrf_token, login

    buyer, product, _case = world(session)
    quote = offered(session, buyer, [LineInput(product.id, 10)])
    client = app.test_client()
    login(client)
    token = csrf_token(client, f"/account/quotes/{quote.id}")
    quote.valid_until = utcnow() - timedelta(minutes=1)  # past its validity; the job has not run yet
    session.commit()
    refused = client.post(f"/account/quotes/{quote.id}/accept", data={"csrf_token": token})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Срок действия предложения истёк" in page and "Оформить заказ по предложению" not in page
    quote.status = QuoteStatus.WITHDRAWN
    session.commit()
    refused = client.post(f"/account/quotes/{quote.id}/accept", data={"csrf_token": token})
    assert refused.status_code == 409 and "Это предложение отозвано" in refused.get_data(as_text=True)
    assert session.scalar(select(func.count(Order.id))) == 0
    other = app.test_client()
    create_buyer(session, email="stranger@example.ru")
    session.commit()
    login(other, email="stranger@example.ru")
    assert other.get(f"/account/quotes/{quote.id}").status_code == 404
    assert other.get(f"/account/quotes/{quote.id}.pdf").status_code == 404


def test_a_company_may_pay_an_accepted_quote_by_invoice(session: Session) -> None:
    buyer, product, _case = world(session)
    quote = offered(session, buyer, [LineInput(product.id, 10)])
    order = accept_quote(
        session, quote, buyer, utcnow(), HOLDS, payment_method=PaymentMethod.BANK_TRANSFER, bank_transfers=True
    )
    session.commit()
    assert order.payment_method == "bank_transfer" and order.by_invoice
    assert order.expires_at == bank_transfer_due(order.created_at, HOLDS.banking_days)


@pytest.mark.parametrize("company, requisites", [(False, True), (True, False)])
def test_invoice_payment_is_refused_where_the_checkout_refuses_it(
    session: Session, company: bool, requisites: bool
) -> None:
    buyer, product, _case = world(session)
    quote = offered(session, buyer, [LineInput(product.id, 10)])
    if not company:
        buyer.kind = BuyerKind.PERSON
        session.commit()
    with pytest.raises(PaymentMethodNotOffered):
        accept_quote(
            session,
            quote,
            buyer,
            utcnow(),
            HOLDS,
            payment_method=PaymentMethod.BANK_TRANSFER,
            bank_transfers=requisites,
        )
    session.refresh(quote)
    assert quote.status == QuoteStatus.SENT and session.scalar(select(func.count(Order.id))) == 0


def test_the_unpaid_order_cap_applies_to_quotes_too(session: Session) -> None:
    buyer, product, case = world(session)
    first = offered(session, buyer, [LineInput(product.id, 10)])
    second = offered(session, buyer, [LineInput(case.id, 20)])
    capped = HoldPolicy(unpaid_per_client=1)
    accept_quote(session, first, buyer, utcnow(), capped)
    session.commit()
    with pytest.raises(TooManyUnpaidOrders):
        accept_quote(session, second, buyer, utcnow(), capped)
    session.refresh(second)
    assert second.status == QuoteStatus.SENT and session.scalar(select(func.count(Order.id))) == 1


def test_the_buyer_chooses_the_invoice_on_the_quote_page_and_lands_on_the_order_page(app, session: Session) -> None:
    from tests.support.web import csrf_token, login

    buyer, product, _case = world(session)
    quote = offered(session, buyer, [LineInput(product.id, 10)])
    client = app.test_client()
    login(client)
    page = client.get(f"/account/quotes/{quote.id}").get_data(as_text=True)
    assert "Оплата по счёту (банковский перевод)" in page
    token = csrf_token(client, f"/account/quotes/{quote.id}")
    accepted = client.post(
        f"/account/quotes/{quote.id}/accept", data={"csrf_token": token, "payment_method": "bank_transfer"}
    )
    assert accepted.status_code == 303
    order = session.scalars(select(Order)).one()
    assert accepted.headers["Location"].endswith(f"/orders/{order.number}") and order.by_invoice


def test_a_person_cannot_post_the_invoice_choice(app, session: Session) -> None:
    from tests.support.web import csrf_token, login

    buyer, product, _case = world(session)
    buyer.kind = BuyerKind.PERSON
    quote = offered(session, buyer, [LineInput(product.id, 10)])
    client = app.test_client()
    login(client)
    page = client.get(f"/account/quotes/{quote.id}").get_data(as_text=True)
    assert "Оплата по счёту (банковский перевод)" not in page
    token = csrf_token(client, f"/account/quotes/{quote.id}")
    refused = client.post(
        f"/account/quotes/{quote.id}/accept", data={"csrf_token": token, "payment_method": "bank_transfer"}
    )
    assert refused.status_code == 400
    assert "Оплата по счёту — только для компаний и ИП" in refused.get_data(as_text=True)
    session.refresh(quote)
    assert quote.status == QuoteStatus.SENT and session.scalar(select(func.count(Order.id))) == 0

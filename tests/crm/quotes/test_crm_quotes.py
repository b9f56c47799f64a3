"""Quotes from the CRM: a manager builds and sends one, the buyer gets a Russian e-mail, sees it and accepts it into
an order going on to payment; below the price floor an admin approves (audited); the assignment scope; the
prepared reorder equals the usual basket."""

from __future__ import annotations

import re
from decimal import Decimal

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.buyers.services import assign_managers
from crm.quotes.basket import usual_basket
from crm.staff.models import Role
from storefront.order.models import Order, OrderLine
from storefront.quotes.models import Approval, Quote, QuoteStatus
from tests.storefront.quotes.test_quotes import world
from tests.support.factories import create_product, days_ago, make_staff, paid_order
from tests.support.web import crm_csrf, crm_login, csrf_token, login

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _manager(session: Session, buyer_id: int, email: str = "account_manager@mostik.local"):
    manager = make_staff(session, Role.ACCOUNT_MANAGER, email=email)
    session.commit()
    assign_managers(session, [buyer_id], manager.id)
    session.commit()
    return manager


def _token(client, path: str) -> str:
    return crm_csrf(client, path)


def _new_draft(client, buyer_id: int) -> int:
    token = _token(client, f"/crm/buyers/{buyer_id}")
    response = client.post(f"/crm/buyers/{buyer_id}/quotes", data={"csrf_token": token, "source": "empty"})
    assert response.status_code == 303
    return int(response.location.rsplit("/", 1)[1])


def _save(client, quote_id: int, version: int, **fields: str):
    token = _token(client, f"/crm/quotes/{quote_id}")
    data = {"csrf_token": token, "version": str(version), "valid_until": "2099-12-31", "note": "", **fields}
    return client.post(f"/crm/quotes/{quote_id}", data=data)


def _act(client, quote_id: int, action: str, version: int, **fields: str):
    token = _token(client, f"/crm/quotes/{quote_id}")
    return client.post(f"/crm/quotes/{quote_id}/{action}", data={"csrf_token": token, "version": version, **fields})


def test_a_manager_sends_a_quote_that_the_buyer_accepts_into_an_order_going_to_payment(
    app: Flask, session: Session, mailbox
) -> None:
    buyer, product, case = world(session)
    session.commit()
    _manager(session, buyer.id)
    staff = app.test_client()
    crm_login(staff, "account_manager@mostik.local")
    card = staff.get(f"/crm/buyers/{buyer.id}").get_data(as_text=True)
    assert "Новое коммерческое предложение" in card and "Подготовить повторный заказ" in card
    quote_id = _new_draft(staff, buyer.id)
    # Added by SKU at the minimum order (20), then by id; the page shows the normal, tier and floor prices.
    assert _save(staff, quote_id, 1, new_product=case.sku.lower()).status_code == 303
    assert (
        _save(
            staff,
            quote_id,
            2,
            **{"product-1": str(case.id), "quantity-1": "20", "price-1": ""},
            new_product=str(product.id),
            new_quantity="10",
        ).status_code
        == 303
    )
    page = staff.get(f"/crm/quotes/{quote_id}").get_data(as_text=True)
    assert "828,00" in page and "786,60" in page and "703,80" in page  # normal, tier (−5 %), floor (85 %)
    lines = {
        "product-1": str(case.id),
        "quantity-1": "20",
        "price-1": "710,00",
        "product-2": str(product.id),
        "quantity-2": "10",
        "price-2": "750,00",
    }
    assert _save(staff, quote_id, 3, note="Скидка на объём", **lines).status_code == 303
    assert _act(staff, quote_id, "send", 4).status_code == 303
    quote = session.get(Quote, quote_id)
    assert quote.status == QuoteStatus.SENT and quote.approval == Approval.NONE
    # A second click on a stale page changes nothing.
    assert _act(staff, quote_id, "send", 4).status_code == 409
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "quote.send"))
    assert entry is not None and entry.target_id == str(quote_id)

    mail = mailbox.messages[-1]
    assert mail["To"] == buyer.email and f"КП-{quote_id:06d}" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    assert "Ваш менеджер подготовил для вас коммерческое предложение" in text and "Скидка на объём" in text
    assert f"/account/quotes/{quote_id}" in text

    shopper = app.test_client()
    login(shopper)
    listing = shopper.get("/account/quotes").get_data(as_text=True)
    assert f"КП-{quote_id:06d}" in listing and "Отправлено" in listing
    page = shopper.get(f"/account/quotes/{quote_id}").get_data(as_text=True)
    assert "Оформить заказ по предложению" in page and "Невский" in page
    pdf = shopper.get(f"/account/quotes/{quote_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    token = csrf_token(shopper, f"/account/quotes/{quote_id}")
    accepted = shopper.post(f"/account/quotes/{quote_id}/accept", data={"csrf_token": token})
    assert accepted.status_code == 303
    order = session.scalars(select(Order)).one()
    assert accepted.location.endswith(f"/pay/{order.number}") or order.number in accepted.location
    assert sorted((line.quantity, line.unit_price) for line in order.lines) == [
        (10, Decimal("750.00")),
        (20, Decimal("710.00")),
    ]
    assert order.subtotal_amount == Decimal("21700.00")
    again = shopper.post(f"/account/quotes/{quote_id}/accept", data={"csrf_token": token})
    assert again.status_code == 409
    assert "Это предложение уже принято" in again.get_data(as_text=True)
    assert session.scalar(select(func.count(Order.id))) == 1
    timeline = staff.get(f"/crm/buyers/{buyer.id}").get_data(as_text=True)
    assert "принято покупателем" in timeline and "отправлено покупателю" in timeline


def test_below_the_floor_an_admin_approves_before_the_buyer_sees_it(app: Flask, session: Session, mailbox) -> None:
    buyer, product, _case = world(session)
    session.commit()
    _manager(session, buyer.id)
    make_staff(session, Role.ADMIN)
    session.commit()
    staff = app.test_client()
    crm_login(staff, "account_manager@mostik.local")
    quote_id = _new_draft(staff, buyer.id)
    lines = {"product-1": str(product.id), "quantity-1": "10", "price-1": "600"}
    _save(staff, quote_id, 1, new_product=product.sku)
    assert _save(staff, quote_id, 2, **lines).status_code == 303
    assert "ниже минимума" in staff.get(f"/crm/quotes/{quote_id}").get_data(as_text=True)
    assert _act(staff, quote_id, "send", 3).status_code == 303
    assert session.get(Quote, quote_id).awaiting_approval
    assert mailbox.messages == []
    assert _act(staff, quote_id, "approval", 4, decision="approve").status_code == 403  # managers cannot approve
    shopper = app.test_client()
    login(shopper)
    assert shopper.get(f"/account/quotes/{quote_id}").status_code == 404

    admin = app.test_client()
    crm_login(admin, "admin@mostik.local")
    assert f"КП-{quote_id:06d}" in admin.get("/crm/quotes").get_data(as_text=True)
    assert _act(admin, quote_id, "approval", 4, decision="approve").status_code == 303
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "quote.approve"))
    assert entry is not None and "600.00 / 828.00" in entry.detail
    assert len(mailbox.messages) == 1
    assert shopper.get(f"/account/quotes/{quote_id}").status_code == 200


def test_a_product_is_found_by_id_sku_or_title_and_an_ambiguous_title_is_explained(
    app: Flask, session: Session
) -> None:
    buyer, product, case = world(session)
    session.commit()
    _manager(session, buyer.id)
    staff = app.test_client()
    crm_login(staff, "account_manager@mostik.local")
    quote_id = _new_draft(staff, buyer.id)
    assert _save(staff, quote_id, 1, new_product="чехол СИЛИКОНОВЫЙ").status_code == 303  # one match: taken at MOQ
    assert [(line.product_id, line.quantity) for line in session.get(Quote, quote_id).lines] == [(case.id, 20)]
    create_product(session, product.category, product.supplier, title="Кроссовки детские")
    session.commit()
    kept = {"product-1": str(case.id), "quantity-1": "20", "price-1": ""}
    ambiguous = _save(staff, quote_id, 2, new_product="кроссовки", **kept)
    assert ambiguous.status_code == 400
    page = ambiguous.get_data(as_text=True)
    assert "Подходят несколько товаров" in page and product.sku in page
    missing = _save(staff, quote_id, 2, new_product="нет такого", **kept)
    assert missing.status_code == 400 and "Нет товара с ID, артикулом или названием" in missing.get_data(as_text=True)
    session.expire_all()
    assert len(session.get(Quote, quote_id).lines) == 1


def test_a_manager_cannot_open_or_quote_for_another_managers_buyer(app: Flask, session: Session) -> None:
    buyer, _product, _case = world(session)
    session.commit()
    _manager(session, buyer.id, email="other@mostik.local")
    make_staff(session, Role.ACCOUNT_MANAGER)
    session.commit()
    quote = Quote(buyer_id=buyer.id, valid_until=days_ago(-5), note="")
    session.add(quote)
    session.commit()
    client = app.test_client()
    crm_login(client, "account_manager@mostik.local")
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        assert client.get(f"/crm/quotes/{quote.id}").status_code == 403
        assert client.get(f"/crm/quotes/{quote.id}.pdf").status_code == 403
        assert client.get(f"/crm/buyers/{buyer.id}/quotes/prepare").status_code == 403
        assert client.post(f"/crm/buyers/{buyer.id}/quotes", data={"source": "empty"}).status_code == 403
        assert client.post(f"/crm/quotes/{quote.id}/send", data={"version": 1}).status_code == 403
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert session.scalar(select(func.count(Quote.id))) == 1


def _paid_with(session: Session, buyer_id: int, days: int, lines: list[tuple[object, int]]) -> None:
    order = paid_order(session, buyer_id, "1000.00", paid_at=days_ago(days))
    for product, quantity in lines:
        session.add(
            OrderLine(
                order_id=order.id,
                product_id=product.id,
                supplier_id=product.supplier_id,
                sku=product.sku,
                title=product.title,
                quantity=quantity,
                unit_price=Decimal("100.00"),
                line_amount=Decimal("100.00") * quantity,
                commission_bp=800,
            )
        )
    session.flush()


def test_a_prepared_reorder_is_the_usual_basket_at_todays_prices(app: Flask, session: Session) -> None:
    buyer, product, case = world(session)
    once = create_product(session, product.category, product.supplier, title="Термос разовый")
    # product in three orders (last 12), case in two (last 40, raised to nothing: MOQ 20), once in one: left out.
    _paid_with(session, buyer.id, 90, [(product, 30), (case, 25), (once, 3)])
    _paid_with(session, buyer.id, 60, [(product, 15)])
    _paid_with(session, buyer.id, 30, [(product, 12), (case, 40)])
    session.commit()
    basket = usual_basket(session, buyer.id)
    assert [(line.product_id, line.quantity, line.orders) for line in basket] == [(product.id, 12, 3), (case.id, 40, 2)]
    _manager(session, buyer.id)
    client = app.test_client()
    crm_login(client, "account_manager@mostik.local")
    page = client.get(f"/crm/buyers/{buyer.id}/quotes/prepare").get_data(as_text=True)
    assert "Термос" not in page and "Чехол силиконовый" in page
    token = _token(client, f"/crm/buyers/{buyer.id}/quotes/prepare")
    response = client.post(f"/crm/buyers/{buyer.id}/quotes", data={"csrf_token": token, "source": "usual"})
    assert response.status_code == 303
    quote = session.scalars(select(Quote)).one()
    assert quote.status == QuoteStatus.DRAFT
    assert [(line.product_id, line.quantity) for line in quote.lines] == [
        (line.product_id, line.quantity) for line in basket
    ]
    # Today's prices, not the old orders' 100 ₽: the 9 USD break (828 ₽) less the gold 5 %.
    assert [line.unit_price for line in quote.lines] == [Decimal("786.60"), Decimal("786.60")]


def test_a_buyer_with_one_paid_order_gets_that_order_prepared(session: Session) -> None:
    buyer, product, case = world(session)
    _paid_with(session, buyer.id, 10, [(product, 7), (case, 20)])
    session.commit()
    assert [(line.product_id, line.quantity) for line in usual_basket(session, buyer.id)] == [
        (product.id, 7),
        (case.id, 20),
    ]

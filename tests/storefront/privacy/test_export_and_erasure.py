"""The buyer's data rights end to end through HTTP: the export holds the buyer's data and nothing of another
buyer's; erasure leaves no trace of the person in any text column of any table, keeps the accounting records,
signs the buyer out everywhere, blocks sign-in, frees the e-mail, is logged, and changes nothing the second time."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import JSON, String, Text, cast, func, select
from sqlalchemy.orm import Session

from storefront.account.models import Address, Buyer, Consent
from storefront.cart.models import Cart
from storefront.db import Base
from storefront.legal.models import DocumentKind
from storefront.legal.services import publish_document
from storefront.order.models import Order, OrderStatus
from storefront.privacy.erasure import erase_buyer
from storefront.privacy.models import DataRequest, RequestKind
from storefront.privacy.parts import parts_of
from tests.support import privacy_world as world_module
from tests.support.privacy_world import (
    ERASE_EMAIL,
    ERASE_IP,
    ERASE_NAME,
    ERASE_PHONE,
    KEEP_EMAIL,
    KEEP_NAME,
    KEEP_PHONE,
    PASSWORD,
)
from tests.support.web import csrf_token, login

NEEDLES = (ERASE_EMAIL, ERASE_PHONE.lstrip("+"), ERASE_NAME.split()[1], ERASE_IP)


def traces(session: Session, needles: tuple[str, ...] = NEEDLES) -> list[str]:
    """Every (table.column, needle) where a text or JSON column of any table still holds a needle."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text | JSON):
                continue
            as_text = cast(column, Text)
            for needle in needles:
                hits = session.scalar(select(func.count()).select_from(table).where(as_text.contains(needle)))
                if hits:
                    found.append(f"{table.name}.{column.name}: {needle}")
    return found


def _download(client) -> dict:
    response = client.get("/account/privacy/export.json?buyer_id=999999")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    return json.loads(response.get_data(as_text=True))


def test_the_export_holds_the_buyers_data_and_nothing_of_another(app: Flask, session: Session, client) -> None:
    world = world_module.build(session)
    publish_document(session, DocumentKind.PRIVACY, "Политика", "Текст политики.", "")
    session.commit()
    assert login(client, ERASE_EMAIL, PASSWORD).status_code == 302
    document = _download(client)
    text = json.dumps(document, ensure_ascii=False)
    assert document["account"]["email"] == ERASE_EMAIL and document["account"]["phone"] == ERASE_PHONE
    assert document["operator"]["inn"] == app.config["SELLER_INN"]
    assert [order["number"] for order in document["orders"]] == [world.erase_order]
    order = document["orders"][0]
    assert order["total_amount"] == "12345.67" and order["lines"][0]["quantity"] == 2
    assert order["payments"][0]["refunds"][0]["amount"] == "10.00"
    assert order["shipments"][0]["carrier"] and order["shipments"][0]["events"]
    assert document["addresses"][0]["recipient"] == ERASE_NAME
    assert document["consents"][0]["ip_address"] == ERASE_IP
    assert document["cart"]["lines"][0]["quantity"] == 3
    assert document["promo_code_uses"][0]["code"] == "PRIVACY5"
    assert document["emails_sent"][0]["kind"] == "order_placed"
    crm = document["crm"]
    assert crm["campaign_messages"][0]["open_count"] == 2 and crm["campaign_messages"][0]["click_count"] == 1
    assert crm["unsubscribes"][0]["method"] == "page"
    # Staff notes and tasks are the staff's working records, not part of the export (docs/decisions.md).
    assert "notes" not in crm and "просит звонить" not in text
    for other in (KEEP_EMAIL, KEEP_PHONE, KEEP_NAME, world.keep_order, "198.51.100.9"):
        assert other not in text
    # Logged as the buyer's own request.
    requests = session.scalars(select(DataRequest).where(DataRequest.buyer_id == world.erase_id)).all()
    assert [(r.kind, r.staff_id) for r in requests] == [(RequestKind.EXPORT, None)]


def test_a_consent_names_the_policy_version_it_was_given_under(app: Flask, session: Session, client) -> None:
    publish_document(session, DocumentKind.PRIVACY, "Политика", "Первая редакция.", "")
    second = publish_document(session, DocumentKind.PRIVACY, "Политика", "Вторая редакция.", "")
    session.commit()
    response = client.post(
        "/account/register",
        data={
            "csrf_token": csrf_token(client, "/account/register"),
            "email": "novyi@example.ru",
            "name": "Новый Покупатель",
            "phone": "8 903 555-03-03",
            "kind": "person",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "consent_personal_data": "y",
        },
    )
    assert response.status_code == 302
    consent = session.scalars(select(Consent).where(Consent.email == "novyi@example.ru")).one()
    assert consent.document_id == second.id
    document = _download(client)
    assert document["consents"][0]["document"]["version"] == 2
    assert document["consents"][0]["document"]["path"] == "/legal/privacy/v/2"


def test_erasure_leaves_no_trace_keeps_the_accounts_and_blocks_the_account(
    app: Flask, session: Session, client
) -> None:
    world = world_module.build(session)
    other_device = app.test_client()
    assert login(other_device, ERASE_EMAIL, PASSWORD).status_code == 302
    assert login(client, ERASE_EMAIL, PASSWORD).status_code == 302
    assert traces(session)  # the scan finds the person before
    page = client.get("/account/privacy/")
    assert page.status_code == 200 and "Удалить аккаунт" in page.get_data(as_text=True)
    token = csrf_token(client, "/account/privacy/")

    wrong = client.post("/account/privacy/erase", data={"csrf_token": token, "password": "wrong one", "confirm": "y"})
    assert wrong.status_code == 400 and "Неверный пароль" in wrong.get_data(as_text=True)
    unticked = client.post("/account/privacy/erase", data={"csrf_token": token, "password": PASSWORD})
    assert unticked.status_code == 400
    session.expire_all()
    assert session.get(Buyer, world.erase_id).erased_at is None

    response = client.post("/account/privacy/erase", data={"csrf_token": token, "password": PASSWORD, "confirm": "y"})
    assert response.status_code == 303
    session.expire_all()
    assert traces(session) == []
    # What the other buyer has is untouched.
    assert traces(session, (KEEP_EMAIL, KEEP_PHONE.lstrip("+"), KEEP_NAME.split()[1]))
    buyer = session.get(Buyer, world.erase_id)
    assert buyer.erased_at is not None and not buyer.is_active and buyer.password_hash is None
    order = session.scalars(select(Order).where(Order.number == world.erase_order)).one()
    assert order.total_amount == world.erase_total == Decimal("12345.67")
    assert (order.inn, order.kpp, order.company_name) == ("7707083893", "770701001", "ООО «Северный ветер»")
    assert len(order.lines) == 1 and order.status == OrderStatus.COMPLETED
    assert session.scalar(select(func.count()).select_from(Address).where(Address.buyer_id == world.erase_id)) == 0
    assert session.scalar(select(func.count()).select_from(Cart).where(Cart.buyer_id == world.erase_id)) == 0
    consent = session.scalars(select(Consent).where(Consent.buyer_id == world.erase_id)).one()
    assert consent.withdrawn_at is not None and consent.ip_address is None
    assert [r.kind for r in session.scalars(select(DataRequest))] == [RequestKind.ERASURE]

    # Signed out here and on the other device; sign-in refused; the e-mail registers anew.
    for device in (client, other_device):
        assert device.get("/account/").status_code == 302
    assert login(app.test_client(), ERASE_EMAIL, PASSWORD).status_code == 400
    fresh = app.test_client()
    again = fresh.post(
        "/account/register",
        data={
            "csrf_token": csrf_token(fresh, "/account/register"),
            "email": ERASE_EMAIL,
            "name": "Снова Здесь",
            "phone": "8 903 555-03-03",
            "kind": "person",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "consent_personal_data": "y",
        },
    )
    assert again.status_code == 302


def test_erasure_is_idempotent_and_refused_while_an_order_is_in_progress(app: Flask, session: Session) -> None:
    world = world_module.build(session)
    order = session.scalars(select(Order).where(Order.number == world.erase_order)).one()
    order.status = OrderStatus.SHIPPED
    session.commit()
    from storefront.privacy.erasure import ErasureRefused

    try:
        erase_buyer(session, world.erase_id)
    except ErasureRefused as refusal:
        assert world.erase_order in str(refusal)
    else:
        raise AssertionError("erasure of a buyer with a shipped order went through")
    session.rollback()
    assert session.get(Buyer, world.erase_id).email == ERASE_EMAIL
    order.status = OrderStatus.DELIVERED
    session.commit()
    assert erase_buyer(session, world.erase_id) is True
    session.commit()
    erased = session.get(Buyer, world.erase_id)
    first = (erased.email, erased.erased_at)
    assert erase_buyer(session, world.erase_id) is False
    session.commit()
    session.expire_all()
    assert (session.get(Buyer, world.erase_id).email, session.get(Buyer, world.erase_id).erased_at) == first


@pytest.mark.postgres_only
def test_four_erasures_at_once_erase_once(app: Flask, session: Session) -> None:
    world = world_module.build(session)
    engine = session.get_bind()
    barrier = threading.Barrier(4)
    outcomes: list[bool] = []
    lock = threading.Lock()

    def erase() -> None:
        with Session(engine) as own:
            own.get(Buyer, world.erase_id)
            barrier.wait()
            erased = erase_buyer(own, world.erase_id, parts_of(app))
            if erased:
                own.add(DataRequest(buyer_id=world.erase_id, kind=RequestKind.ERASURE))
            own.commit()
            with lock:
                outcomes.append(erased)

    threads = [threading.Thread(target=erase) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, False, False, True]
    assert session.scalar(select(func.count()).select_from(DataRequest)) == 1
    session.expire_all()
    assert traces(session) == []


def test_the_data_pages_need_a_signed_in_buyer(client) -> None:
    for path in ("/account/privacy/", "/account/privacy/export.json"):
        response = client.get(path)
        assert response.status_code == 302 and "/account/login" in response.location

"""Staff ship, track and batch through the CRM pages; the buyer sees it on the order page and in Russian e-mail.
Both engines (the SMTP sink is real)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.staff.models import Role
from storefront.fulfilment.models import CargoBatch, EventKind, Shipment, TrackingEvent
from storefront.order.models import Order, OrderStatus
from storefront.order.services import make_access_token
from tests.fixtures.mail import Mailbox
from tests.storefront.fulfilment.shipping_world import carrier, confirmed_order
from tests.support.factories import make_staff
from tests.support.web import CSRF_RE, crm_login

ENGLISH_WORD = re.compile(r"\b[A-Za-z]{3,}\b")


def _staff(app: Flask, session: Session, role: Role = Role.ADMIN) -> FlaskClient:
    make_staff(session, role)
    session.commit()
    client = app.test_client()
    assert crm_login(client, f"{role}@mostik.local").status_code == 302
    return client


def _csrf(client: FlaskClient, path: str) -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, path
    return match.group(1)


def _ship(client: FlaskClient, order: Order, quantities: dict[int, int], carrier_id: int, number: str, **extra):
    data = {
        "csrf_token": _csrf(client, f"/crm/orders/{order.number}"),
        "carrier": str(carrier_id),
        "tracking_number": number,
        "shipped_on": "2026-12-06",
        **{f"qty-{line_id}": str(units) for line_id, units in quantities.items()},
        **extra,
    }
    return client.post(f"/crm/orders/{order.number}/shipments", data=data)


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _no_english(text: str, *numbers: str) -> None:
    """No English word outside the links and the tracking numbers."""
    without_links = re.sub(r"https?://\S+", "", text)
    for number in numbers:
        without_links = without_links.replace(number, "")
    assert not ENGLISH_WORD.findall(without_links), ENGLISH_WORD.findall(without_links)


def test_an_operator_ships_in_two_parts_and_the_buyer_reads_it_in_russian(
    app: Flask, session: Session, mailbox: Mailbox
) -> None:
    order = confirmed_order(session, (2, 1))
    pochta, cargo = carrier(session, "pochta"), carrier(session, "cargo")
    session.commit()
    first, second = (line.id for line in order.lines)
    client = _staff(app, session)
    page = client.get(f"/crm/orders/{order.number}").get_data(as_text=True)
    assert 'id="shipments"' in page and f'name="qty-{first}"' in page and "Отправить посылку" in page

    response = _ship(client, order, {first: 2, second: 0}, pochta.id, "RA123456789CN")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Order, order.id).status == OrderStatus.SHIPPED
    (mail,) = mailbox.messages
    body = _text(mail)
    assert order.number in mail["Subject"] and "Почта России" in body and "Трек-номер: RA123456789CN" in body
    assert "https://www.pochta.ru/tracking?barcode=RA123456789CN" in body
    assert "придёт отдельной посылкой" in body
    _no_english(body)
    _no_english(mail["Subject"])
    assert "https://www.pochta.ru/tracking?barcode=RA123456789CN" in mail.get_body(("html",)).get_content()

    response = _ship(client, order, {second: 1}, cargo.id, "hrb-2026-0001")
    assert response.status_code == 302
    second_mail = mailbox.messages[-1]
    body = _text(second_mail)
    assert len(mailbox.messages) == 2 and "Ещё одна посылка" in body and "Это последняя посылка" in body
    assert f"{app.config['PUBLIC_BASE_URL'].rstrip('/')}/tracking/HRB-2026-0001" in body
    _no_english(body, "HRB-2026-0001")
    audit = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert audit[-2:] == ["shipment.create", "shipment.create"]

    # The buyer's page: both parcels with their links, nothing left to send; the cargo route's own page.
    token = make_access_token(order, app.config["SECRET_KEY"])
    buyer_page = app.test_client().get(f"/orders/{order.number}?t={token}").get_data(as_text=True)
    assert "https://www.pochta.ru/tracking?barcode=RA123456789CN" in buyer_page
    assert 'href="/tracking/HRB-2026-0001"' in buyer_page and 'id="remaining"' not in buyer_page
    tracking = app.test_client().get("/tracking/HRB-2026-0001")
    assert tracking.status_code == 200 and "Сборный груз" in tracking.get_data(as_text=True)
    assert app.test_client().get("/tracking/NOPE-0000").status_code == 404


def test_events_typed_in_moscow_time_deliver_the_order(app: Flask, session: Session, mailbox: Mailbox) -> None:
    order = confirmed_order(session, (1,))
    cdek = carrier(session, "cdek")
    session.commit()
    client = _staff(app, session)
    assert _ship(client, order, {order.lines[0].id: 1}, cdek.id, "1234567890").status_code == 302
    shipment = session.scalars(select(Shipment)).one()
    page = client.get(f"/crm/orders/{order.number}").get_data(as_text=True)
    prefix = f"s{shipment.id}-"
    csrf = re.search(rf'name="{prefix}csrf_token"[^>]*value="([^"]+)"', page)
    assert csrf, "no event form"
    data = {
        f"{prefix}csrf_token": csrf.group(1),
        f"{prefix}kind": "delivered",
        f"{prefix}occurred_on": "2026-12-15",
        f"{prefix}occurred_time": "18:30",
        f"{prefix}place": "Санкт-Петербург",
    }
    assert client.post(f"/crm/shipments/{shipment.id}/events", data=data).status_code == 302
    event = session.scalars(select(TrackingEvent)).one()
    assert (event.kind, event.occurred_at) == (EventKind.DELIVERED, datetime(2026, 12, 15, 15, 30, tzinfo=UTC))
    session.expire_all()
    assert session.get(Order, order.id).status == OrderStatus.DELIVERED
    again = client.post(f"/crm/shipments/{shipment.id}/events", data=data, follow_redirects=True)
    assert "уже есть" in again.get_data(as_text=True)
    assert session.scalar(select(func.count(TrackingEvent.id))) == 1


@pytest.mark.parametrize(
    ("quantity", "number", "status", "message"),
    [
        (5, "1234567890", 400, "осталось отправить только 2 штуки"),
        (1, "12", 400, "не трек-номер службы «СДЭК»"),
        (0, "1234567890", 400, "Укажите, сколько штук"),
        ("два", "1234567890", 400, "целое число штук"),
    ],
)
def test_bad_shipments_are_refused_in_russian(app: Flask, session: Session, quantity, number, status, message):
    order = confirmed_order(session, (2,))
    cdek = carrier(session, "cdek")
    session.commit()
    client = _staff(app, session)
    response = _ship(client, order, {order.lines[0].id: quantity}, cdek.id, number)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Shipment.id))) == 0


def test_an_unpaid_order_cannot_ship_and_a_manager_may_not_ship(app: Flask, session: Session) -> None:
    order = confirmed_order(session, (1,), status=OrderStatus.NEW)
    cdek = carrier(session, "cdek")
    session.commit()
    client = _staff(app, session)
    response = _ship(client, order, {order.lines[0].id: 1}, cdek.id, "1234567890")
    assert response.status_code == 409 and "нельзя отправить" in response.get_data(as_text=True)
    manager = _staff(app, session, Role.ACCOUNT_MANAGER)
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        assert manager.post(f"/crm/orders/{order.number}/shipments", data={}).status_code == 403
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_the_tracking_csv_page_reports_bad_lines_in_russian_and_imports_windows_1251_once(
    app: Flask, session: Session
) -> None:
    order = confirmed_order(session, (1,))
    pochta = carrier(session, "pochta")
    session.commit()
    client = _staff(app, session)
    assert _ship(client, order, {order.lines[0].id: 1}, pochta.id, "RA123456789CN").status_code == 302

    def upload(text: str, encoding: str = "utf-8"):
        from io import BytesIO

        data = {"csrf_token": _csrf(client, "/crm/tracking-import"), "file": (BytesIO(text.encode(encoding)), "t.csv")}
        return client.post("/crm/tracking-import", data=data, content_type="multipart/form-data")

    bad = "трек-номер;событие;время\nRA123456789CN;На таможне;03.12.2026 12:00\nRA123456789CN;Луна;03.12.2026\n"
    response = upload(bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Строка 3: неизвестное событие «Луна»" in html and "Строка 3: время «03.12.2026»" in html
    assert session.scalar(select(func.count(TrackingEvent.id))) == 0
    good = "трек-номер;событие;время;место\nRA123456789CN;На таможне;03.12.2026 12:00;Забайкальск\n"
    assert upload(good, "cp1251").status_code == 302
    assert upload(good, "cp1251").status_code == 302
    assert session.scalar(select(func.count(TrackingEvent.id))) == 1
    assert "уже было" in client.get("/crm/tracking-import").get_data(as_text=True)
    assert upload("").status_code == 400


def test_a_batch_is_built_on_its_pages_and_its_event_reaches_every_order(app: Flask, session: Session) -> None:
    cargo = carrier(session, "cargo")
    orders = [confirmed_order(session, (1,), email=f"b{n}@example.ru") for n in range(3)]
    session.commit()
    client = _staff(app, session)
    for n, order in enumerate(orders):
        assert _ship(client, order, {order.lines[0].id: 1}, cargo.id, f"HRB-{n:04d}").status_code == 302
    first_leg = {"origin": "Харбин", "destination": "Забайкальск", "mode": "rail", "note": "Поезд 17"}
    response = client.post("/crm/cargo", data={"csrf_token": _csrf(client, "/crm/cargo"), **first_leg})
    assert response.status_code == 302
    batch = session.scalars(select(CargoBatch)).one()
    path = f"/crm/cargo/{batch.number}"
    assert response.location.endswith(path)
    csrf = _csrf(client, path)
    numbers = f"HRB-0000 HRB-0001\n{orders[2].number}"
    assert client.post(f"{path}/shipments", data={"csrf_token": csrf, "numbers": numbers}).status_code == 302
    leg = {"csrf_token": csrf, "origin": "Забайкальск", "destination": "Москва", "mode": "truck"}
    assert client.post(f"{path}/legs", data=leg).status_code == 302
    event = {
        "csrf_token": csrf,
        "kind": "departed",
        "occurred_on": "2026-12-07",
        "occurred_time": "08:00",
        "place": "Харбин",
    }
    moved = client.post(f"{path}/events", data=event, follow_redirects=True).get_data(as_text=True)
    assert "Событие добавлено 3 посылкам" in moved
    assert client.post(f"{path}/events", data={**event, "kind": "nowhere"}).status_code == 400
    page = client.get(path).get_data(as_text=True)
    assert "Харбин → Забайкальск (ж/д)" in page and "Забайкальск → Москва (авто)" in page
    assert page.count("Отправлен в путь") >= 3
    shipment_id = session.scalars(select(Shipment.id).order_by(Shipment.id)).first()
    out = {"csrf_token": csrf, "shipment_id": str(shipment_id)}
    assert client.post(f"{path}/shipments/remove", data=out).status_code == 302
    assert client.post(f"{path}/shipments/remove", data=out).status_code == 400  # not in the batch any more
    assert "CB-" in client.get("/crm/cargo").get_data(as_text=True)
    assert session.scalar(select(func.count(TrackingEvent.id))) == 3
    assert client.get("/crm/cargo/CB-1999-0001").status_code == 404

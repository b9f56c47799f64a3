"""Buyer protection end to end on both engines: pay (the YooKassa stand-in over the real SDK) → ship → deliver →
confirm, or dispute → refund / reject; the inspection window's auto-confirmation; the race with a dispute."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import EnvironBuilder

from crm.audit.models import AuditEntry
from crm.disputes.services import open_overdue_dispute_tasks
from crm.staff.models import Role, StaffUser
from crm.workspace.models import Task
from devtools.yookassa_standin import StandInClient
from storefront.account.models import Buyer
from storefront.db import utcnow
from storefront.extensions import db
from storefront.fulfilment.models import Carrier, Shipment
from storefront.fulfilment.services import seed_carriers
from storefront.order.models import Order, OrderStatus, PaymentStatus
from storefront.order.services import change_status
from storefront.payment.models import Refund
from storefront.protection.models import Dispute, DisputePhoto
from storefront.protection.photos import FOLDER
from storefront.protection.policy import ProtectionPolicy
from storefront.protection.services import (
    DisputeDraft,
    DisputeRefused,
    confirm_inspected_orders,
    open_dispute,
)
from tests.support.factories import create_buyer, make_order, make_staff, pay_through_standin, png_bytes
from tests.support.web import CSRF_RE, crm_login, guest_token

POLICY = ProtectionPolicy()


def _paid(session: Session, pay_app: Flask, control: StandInClient) -> Order:
    order = make_order(session, lines=(("Кроссовки мужские беговые", 4, Decimal("1000.00")),), shipping=Decimal("0"))
    return pay_through_standin(session, pay_app, control.pay, order)


def _deliver(session: Session, order: Order, delivered_days_ago: float = 0, cargo: bool = False) -> Order:
    seed_carriers(session)
    code = "cargo" if cargo else "cdek"
    carrier = session.scalars(select(Carrier).where(Carrier.code == code)).one()
    session.add(Shipment(order_id=order.id, carrier_id=carrier.id, tracking_number="12345678", shipped_at=utcnow()))
    for step in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        change_status(session, order, step, now=utcnow() - timedelta(days=delivered_days_ago))
    session.commit()
    return order


def _buyers_delivered_order(session: Session, pay_app: Flask, control: StandInClient) -> tuple[Buyer, Order]:
    """A registered buyer's order, paid at the stand-in and delivered just now."""
    buyer = create_buyer(session)
    order = _paid(session, pay_app, control)
    order.buyer_id = buyer.id
    session.commit()
    return buyer, _deliver(session, order)


def _buyer_page(client: FlaskClient, pay_app: Flask, order: Order, path: str = "") -> tuple[str, str]:
    token = guest_token(pay_app, order)
    html = client.get(f"/orders/{order.number}{path}?t={token}").get_data(as_text=True)
    return html, token


def _open(client: FlaskClient, pay_app: Flask, order: Order, files: list[tuple[bytes, str]], **fields: str):
    html, token = _buyer_page(client, pay_app, order, "/dispute")
    csrf = CSRF_RE.search(html)
    assert csrf, html[:500]
    data: dict[str, object] = {
        "csrf_token": csrf.group(1),
        "reason": "defect",
        "description": "Подошва отклеилась у двух пар",
        f"line-{order.lines[0].id}": "2",
        **fields,
    }
    data["photos"] = [(io.BytesIO(content), name) for content, name in files]
    # Built here so the body (a temporary file when large) is closed after the request, not left to the GC.
    builder = EnvironBuilder(
        path=f"/orders/{order.number}/dispute", query_string={"t": token}, method="POST", data=data
    )
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def _media(pay_app: Flask) -> list[Path]:
    root = Path(pay_app.config["MEDIA_ROOT"]) / FOLDER
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def _staff(pay_app: Flask, session: Session, role: Role) -> FlaskClient:
    staff = make_staff(session, role)
    session.commit()
    client = pay_app.test_client()
    assert crm_login(client, staff.email).status_code == 302
    return client


def test_a_delivered_order_says_it_is_protected_with_the_deadline_and_a_countdown(
    session: Session, pay_app: Flask, control: StandInClient
) -> None:
    order = _deliver(session, _paid(session, pay_app, control), delivered_days_ago=0.5)
    html, _token = _buyer_page(pay_app.test_client(), pay_app, order)
    text = html.replace("\u00a0", " ")
    assert "Заказ защищён" in text
    assert "3 дня" in text  # the express window
    assert "осталось 2 дня 11 часов" in text or "осталось 2 дня 12 часов" in text
    assert "по московскому времени" in text
    assert "Открыть спор" in text and "Подтвердить получение" in text


def test_dispute_with_photos_then_a_partial_refund_through_the_refund_service(
    session: Session, pay_app: Flask, standin, control: StandInClient, mailbox
) -> None:
    standin.auto_notify = False
    order = _deliver(session, _paid(session, pay_app, control))
    before = set(_media(pay_app))  # other tests' photos share the run's media root
    buyer = pay_app.test_client()
    response = _open(buyer, pay_app, order, [(png_bytes(), "брак.png"), (png_bytes(color="blue"), "IMG_1.PNG")])
    assert response.status_code == 303
    session.expire_all()
    dispute = session.scalar(select(Dispute))
    assert dispute.kind == "inspection" and dispute.lines[0].quantity == 2
    assert len(dispute.messages[0].photos) == 2 and len(set(_media(pay_app)) - before) == 2
    assert session.get(Order, order.id).under_dispute
    # An open dispute stops the auto-confirmation, even long after the window.
    assert confirm_inspected_orders(session, utcnow() + timedelta(days=30), policy=POLICY) == "confirmed 0"

    # The buyer's photo is theirs: with the link it opens, without it (or on another order) it does not.
    name = dispute.messages[0].photos[0].file_name
    _html, token = _buyer_page(buyer, pay_app, order)
    photo_url = f"/orders/{order.number}/disputes/{dispute.id}/photos/{name}"
    assert buyer.get(f"{photo_url}?t={token}").status_code == 200
    assert pay_app.test_client().get(photo_url).status_code == 404

    staff = _staff(pay_app, session, Role.OPERATOR)
    page = staff.get(f"/crm/disputes/{dispute.id}").get_data(as_text=True)
    assert "Подошва отклеилась" in page and staff.get(f"/crm/disputes/{dispute.id}/photos/{name}").status_code == 200
    csrf = CSRF_RE.search(page).group(1)
    response = staff.post(
        f"/crm/disputes/{dispute.id}/decide",
        data={"csrf_token": csrf, "decision": "partial_refund", "amount": "2 000,00", "note": "Возвращаем за 2 пары"},
    )
    assert response.status_code == 303
    session.expire_all()
    order = session.get(Order, order.id)
    refund = session.scalar(select(Refund))
    assert refund.amount == Decimal("2000.00") and refund.idempotence_key == f"dispute-{dispute.id}"
    assert refund.status == "succeeded" and len(standin.refunds) == 1
    assert order.payment_status == PaymentStatus.PARTIALLY_REFUNDED
    assert order.status == OrderStatus.COMPLETED and not order.under_dispute
    assert order.history[-1].note == "dispute_decided"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "dispute.decide"))
    assert entry is not None and "partial_refund" in entry.detail
    # A repeated decision (a double click) changes nothing and refunds nothing more.
    again = staff.post(
        f"/crm/disputes/{dispute.id}/decide",
        data={"csrf_token": csrf, "decision": "partial_refund", "amount": "2 000,00", "note": "ещё раз"},
    )
    assert again.status_code == 409 and len(standin.refunds) == 1

    html, _token = _buyer_page(buyer, pay_app, order)
    assert "Частичный возврат" in html and "2 000,00" in html.replace("\u00a0", " ")
    subjects = [message["Subject"] for message in mailbox.messages]
    assert any("решение по спору" in subject for subject in subjects), subjects


def test_a_rejection_needs_a_reason_completes_the_order_and_shows_on_the_order_and_the_buyer_card(
    session: Session, pay_app: Flask, control: StandInClient
) -> None:
    buyer, order = _buyers_delivered_order(session, pay_app, control)
    dispute = open_dispute(
        session, order, DisputeDraft("not_as_described", "Цвет другой", {order.lines[0].id: 1}), POLICY
    )
    session.commit()
    staff = _staff(pay_app, session, Role.ADMIN)
    csrf = CSRF_RE.search(staff.get(f"/crm/disputes/{dispute.id}").get_data(as_text=True)).group(1)
    response = staff.post(f"/crm/disputes/{dispute.id}/decide", data={"csrf_token": csrf, "decision": "rejected"})
    assert response.status_code == 400 and "Укажите причину" in response.get_data(as_text=True)
    response = staff.post(
        f"/crm/disputes/{dispute.id}/decide",
        data={"csrf_token": csrf, "decision": "rejected", "note": "Цвет соответствует карточке товара"},
    )
    assert response.status_code == 303
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.status == OrderStatus.COMPLETED and order.payment_status == PaymentStatus.PAID
    assert session.scalar(select(func.count(Refund.id))) == 0
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "dispute.decide"))
    assert entry is not None and "Цвет соответствует" in entry.detail
    crm_order = staff.get(f"/crm/orders/{order.number}").get_data(as_text=True)
    assert "Претензия отклонена" in crm_order and "Цвет соответствует карточке товара" in crm_order
    card = staff.get(f"/crm/buyers/{buyer.id}").get_data(as_text=True)
    assert f"Открыт спор по заказу {order.number}" in card
    assert f"Спор по заказу {order.number} решён: Претензия отклонена" in card


def test_the_window_confirms_the_order_once_with_an_email_and_cargo_waits_longer(
    session: Session, pay_app: Flask, control: StandInClient, mailbox
) -> None:
    express = _deliver(session, _paid(session, pay_app, control), delivered_days_ago=3.1)
    cargo = _deliver(session, _paid(session, pay_app, control), delivered_days_ago=3.1, cargo=True)
    with pay_app.app_context():
        assert confirm_inspected_orders(session, utcnow(), policy=POLICY) == "confirmed 1"
        assert confirm_inspected_orders(session, utcnow(), policy=POLICY) == "confirmed 0"
    session.expire_all()
    assert session.get(Order, express.id).status == OrderStatus.COMPLETED
    assert session.get(Order, express.id).history[-1].note == "auto_confirmed"
    assert session.get(Order, cargo.id).status == OrderStatus.DELIVERED
    bodies = [message.get_body(("plain",)).get_content() for message in mailbox.messages]
    assert sum("автоматически" in body for body in bodies) == 1, bodies
    # After confirmation a quality claim is still possible (30 days) …
    claim = open_dispute(
        session, session.get(Order, express.id), DisputeDraft("defect", "Брак", {express.lines[0].id: 1}), POLICY
    )
    assert claim.kind == "quality"
    session.rollback()
    # … but not after them.
    with pytest.raises(DisputeRefused) as refused:
        open_dispute(
            session,
            session.get(Order, express.id),
            DisputeDraft("defect", "Брак", {express.lines[0].id: 1}),
            POLICY,
            now=utcnow() + timedelta(days=31),
        )
    assert refused.value.code == "window_closed"


def test_an_overdue_dispute_gives_the_manager_one_task(
    session: Session, pay_app: Flask, control: StandInClient
) -> None:
    _buyer, order = _buyers_delivered_order(session, pay_app, control)
    dispute = open_dispute(session, order, DisputeDraft("wrong_item", "Не тот товар", {order.lines[0].id: 1}), POLICY)
    session.commit()
    later = utcnow() + timedelta(days=6)
    assert open_overdue_dispute_tasks(session, later, "Ответить по заказу %(number)s") == 1
    assert open_overdue_dispute_tasks(session, later, "Ответить по заказу %(number)s") == 0
    session.commit()
    assert session.scalar(select(Task.title)) == f"Ответить по заказу {order.number}"
    assert dispute.answer_due_at - dispute.opened_at == timedelta(days=5)


def test_a_gold_buyer_gets_an_answer_within_three_days() -> None:
    assert ProtectionPolicy(answer_days_by_tier={"gold": 3}).answer_days_for("gold") == 3
    assert ProtectionPolicy(answer_days_by_tier={"gold": 3}).answer_days_for("silver") == 5


def _race(app: Flask, order_id: int) -> dict[str, object]:
    """The job and a buyer's dispute on ``order_id``, each in its own connection, released at the same moment."""
    with app.app_context():
        engine = db.engine
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def confirm() -> None:
        # In the app's context, as the job runner calls it: a confirmation hands the goods over, which sends the
        # closing receipt through the app's payment gateway.
        with app.app_context(), Session(engine) as own:
            barrier.wait()
            results["job"] = confirm_inspected_orders(own, utcnow(), policy=POLICY)

    def dispute() -> None:
        with Session(engine) as own:
            mine = own.get(Order, order_id)
            draft = DisputeDraft("defect", "Брак", {mine.lines[0].id: 1})
            barrier.wait()
            try:
                # The buyer pressed the button in the last moments of the window.
                open_dispute(own, mine, draft, POLICY, now=mine.delivered_at + timedelta(days=2.9))
                own.commit()
                results["dispute"] = "opened"
            except DisputeRefused as error:
                own.rollback()
                results["dispute"] = error.code

    threads = [threading.Thread(target=confirm), threading.Thread(target=dispute)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return results


def test_auto_confirmation_and_a_dispute_at_the_same_moment_exactly_one_wins(
    session: Session, pay_app: Flask, control: StandInClient, engine_name: str
) -> None:
    if engine_name != "postgresql":
        pytest.skip("the race needs concurrent writers (PostgreSQL)")
    for _round in range(4):
        order = _deliver(session, _paid(session, pay_app, control), delivered_days_ago=3.5)
        results = _race(pay_app, order.id)
        session.expire_all()
        final = session.get(Order, order.id)
        won_by_job = results["job"] == "confirmed 1"
        won_by_dispute = results["dispute"] == "opened"
        assert won_by_job != won_by_dispute, results
        assert final.status == (OrderStatus.COMPLETED if won_by_job else OrderStatus.DELIVERED)
        assert final.under_dispute == won_by_dispute
        assert session.scalar(select(func.count(Dispute.id)).where(Dispute.order_id == order.id)) == int(won_by_dispute)


def test_upload_attacks_are_refused_in_russian_and_nothing_is_stored(
    session: Session, pay_app: Flask, control: StandInClient
) -> None:
    order = _deliver(session, _paid(session, pay_app, control))
    client = pay_app.test_client()
    before = _media(pay_app)
    script = b"#!/bin/sh\nrm -rf / --no-preserve-root\n"
    bomb = io.BytesIO()
    from PIL import Image

    Image.new("1", (20_000, 20_000)).save(bomb, "PNG", optimize=True)  # 400 megapixels, small on disk
    assert len(bomb.getvalue()) < 2_000_000
    huge = png_bytes() + b"\0" * (50 * 1024 * 1024)
    cases = [
        ([(script, "photo.jpg")], "не фотография JPEG, PNG или WebP"),
        ([(bomb.getvalue(), "bomb.png")], "слишком много пикселей"),
        ([(huge, "big.png")], "больше 10 МБ"),
        ([(b"GIF89a" + b"\0" * 20, "../../../../etc/passwd")], "не фотография JPEG, PNG или WebP"),
    ]
    for files, message in cases:
        response = _open(client, pay_app, order, files)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, files[0][1]
        assert message in html, (files[0][1], html[html.find("error") - 200 : html.find("error") + 400])
    assert _media(pay_app) == before
    assert session.scalar(select(func.count(Dispute.id))) == 0
    assert session.scalar(select(func.count(DisputePhoto.id))) == 0
    session.expire_all()
    assert not session.get(Order, order.id).under_dispute

    # A good photo under a path-traversal name is stored under a random name of ours, inside the media root.
    response = _open(client, pay_app, order, [(png_bytes(), "../../static/evil.png")])
    assert response.status_code == 303
    [stored] = set(_media(pay_app)) - set(before)
    assert stored.is_relative_to(Path(pay_app.config["MEDIA_ROOT"]) / FOLDER) and "evil" not in stored.name


def test_a_request_beyond_the_upload_limit_is_a_russian_413(
    session: Session, pay_app: Flask, control: StandInClient
) -> None:
    order = _deliver(session, _paid(session, pay_app, control))
    before = _media(pay_app)
    pay_app.config["DISPUTE_PHOTO_MAX_BYTES"] = 100_000  # the route's limit: ten of these and a megabyte
    try:
        response = _open(pay_app.test_client(), pay_app, order, [(b"\xff" * 2_200_000, "a.jpg")])
    finally:
        pay_app.config["DISPUTE_PHOTO_MAX_BYTES"] = 10_000_000
    assert response.status_code == 413
    assert "Файлы слишком большие" in response.get_data(as_text=True)
    assert _media(pay_app) == before and session.scalar(select(func.count(Dispute.id))) == 0


def test_the_thread_hides_internal_notes_from_the_buyer_and_mails_both_ways(
    session: Session, pay_app: Flask, control: StandInClient, mailbox
) -> None:
    buyer, order = _buyers_delivered_order(session, pay_app, control)
    dispute = open_dispute(
        session, order, DisputeDraft("wrong_quantity", "Пришло 3 вместо 4", {order.lines[0].id: 1}), POLICY
    )
    session.commit()
    staff = _staff(pay_app, session, Role.OPERATOR)
    csrf = CSRF_RE.search(staff.get(f"/crm/disputes/{dispute.id}").get_data(as_text=True)).group(1)
    for body, internal in (("Поставщик признаёт недовложение", "y"), ("Проверяем у поставщика, ответим завтра", "")):
        response = staff.post(
            f"/crm/disputes/{dispute.id}/messages", data={"csrf_token": csrf, "body": body, "internal": internal}
        )
        assert response.status_code == 303
    session.expire_all()
    assert session.get(Dispute, dispute.id).answered_at is not None  # the reply, not the note, answered it

    owner = pay_app.test_client()
    from tests.support.web import login

    login(owner, buyer.email)
    page = owner.get(f"/orders/{order.number}/disputes/{dispute.id}").get_data(as_text=True)
    assert "Проверяем у поставщика" in page and "Поставщик признаёт" not in page
    # Another buyer (or a stranger) does not see it at all.
    assert pay_app.test_client().get(f"/orders/{order.number}/disputes/{dispute.id}").status_code in (401, 404)

    to_buyer = [m for m in mailbox.messages if m["To"] == order.email]
    bodies = [m.get_body(("plain",)).get_content() for m in to_buyer]
    assert any("Проверяем у поставщика" in body for body in bodies)
    assert not any("Поставщик признаёт" in body for body in bodies)

    response = owner.post(
        f"/orders/{order.number}/disputes/{dispute.id}/messages",
        data={"csrf_token": CSRF_RE.search(page).group(1), "body": "Жду, спасибо"},
    )
    assert response.status_code == 303
    assert any(m["To"] == "operator@mostik.local" and "Покупатель написал" in m["Subject"] for m in mailbox.messages)


def test_a_manager_sees_only_their_buyers_disputes_and_cannot_decide(
    session: Session, pay_app: Flask, control: StandInClient
) -> None:
    from crm.buyers.services import assign_managers

    order = _deliver(session, _paid(session, pay_app, control))
    dispute = open_dispute(session, order, DisputeDraft("defect", "Брак", {order.lines[0].id: 1}), POLICY)
    session.commit()
    manager = _staff(pay_app, session, Role.ACCOUNT_MANAGER)
    assert manager.get(f"/crm/disputes/{dispute.id}").status_code == 403
    assert order.number not in manager.get("/crm/disputes").get_data(as_text=True)
    buyer = create_buyer(session)
    order.buyer_id = buyer.id
    session.commit()
    staff_id = session.scalar(select(StaffUser.id).where(StaffUser.role == Role.ACCOUNT_MANAGER))
    assign_managers(session, [buyer.id], staff_id)
    session.commit()
    page = manager.get(f"/crm/disputes/{dispute.id}")
    assert page.status_code == 200 and "Сохранить решение" not in page.get_data(as_text=True)
    assert order.number in manager.get("/crm/disputes").get_data(as_text=True)
    csrf = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    refused = manager.post(
        f"/crm/disputes/{dispute.id}/decide", data={"csrf_token": csrf, "decision": "rejected", "note": "Нет"}
    )
    assert refused.status_code == 403 and session.get(Dispute, dispute.id).decision is None


def test_return_then_refund_refunds_when_the_goods_are_back(
    session: Session, pay_app: Flask, control: StandInClient
) -> None:
    order = _deliver(session, _paid(session, pay_app, control))
    dispute = open_dispute(session, order, DisputeDraft("wrong_item", "Не та модель", {order.lines[0].id: 4}), POLICY)
    session.commit()
    staff = _staff(pay_app, session, Role.OPERATOR)
    csrf = CSRF_RE.search(staff.get(f"/crm/disputes/{dispute.id}").get_data(as_text=True)).group(1)
    response = staff.post(
        f"/crm/disputes/{dispute.id}/decide",
        data={"csrf_token": csrf, "decision": "return_refund", "note": "Отправьте товар на склад в Харбине"},
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Dispute, dispute.id).status == "awaiting_return"
    assert session.scalar(select(func.count(Refund.id))) == 0
    assert session.get(Order, order.id).under_dispute  # still held: no auto-confirmation meanwhile
    response = staff.post(f"/crm/disputes/{dispute.id}/return-received", data={"csrf_token": csrf})
    assert response.status_code == 303
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.payment_status == PaymentStatus.REFUNDED and session.scalar(select(Refund.amount)) == Decimal(
        "4000.00"
    )
    assert order.status == OrderStatus.DELIVERED and not order.under_dispute  # nothing is left to confirm
    assert confirm_inspected_orders(session, utcnow() + timedelta(days=10), policy=POLICY) == "confirmed 0"
